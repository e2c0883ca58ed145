"""Start one agent on one task: a fresh worktree, the right model, an agent wired to the bus."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pygit2

from agentdeck.agent.briefing import DEFAULT_ROLE, brief_agent
from agentdeck.agent.budgets import Budget
from agentdeck.agent.loop import Agent
from agentdeck.agent.splitting import SplitSettings
from agentdeck.agent.task_skills import TaskSkills
from agentdeck.agent.tools import ToolContext
from agentdeck.agent.tools.messages import MESSAGE_TOOL
from agentdeck.agent.tools.sandbox import sandbox_policy
from agentdeck.config import ModelRole, Settings
from agentdeck.events import AgentStarted
from agentdeck.llm import make_model_client
from agentdeck.llm.windows import context_window
from agentdeck.runtime.bus import EventBus
from agentdeck.workspace import TaskWorkspace, create_task_workspace, new_task_id, repository_root


@dataclass
class StartedTask:
    agent: Agent
    workspace: TaskWorkspace


async def start_task(
    repo: pygit2.Repository,
    settings: Settings,
    task: str,
    bus: EventBus,
    *,
    role: ModelRole | None = None,
    role_name: str | None = None,
    max_steps: int | None = None,
    task_id: str | None = None,
    workspace: TaskWorkspace | None = None,
    plan: bool = False,
    split_threshold: float | None = None,
    network: str | None = None,
    skills: list[str] | None = None,
    base: str | None = None,
    messenger: Callable[[str, str], Awaitable[str]] | None = None,
) -> StartedTask:
    """Create the task's branch and worktree and an agent ready to `run()`; publishes AgentStarted.

    `task_id` names the task (default: a new id from its text). With `workspace`, the agent
    works in that existing worktree and branch instead (a resumed task): nothing is created.
    `messenger` (a sprint's task) adds the `message` tool, delivered through it.
    `base` is the commit a new branch starts from (default HEAD's; a sprint's contracts commit).
    `network` ("on"/"off") overrides the role's and the configured sandbox network for this task.
    `skills` are the names the task gives; every skill of the repository is listed to the agent
    (UnknownSkill, before anything is created, when a name is not among them).
    `role_name` picks a role of [roles] (its model unless `role` is given; its prompt, budgets and
    name in any case); without it the agent is the executor.
    """
    task_role = settings.task_role(role_name) if role_name else None
    # The role's skills come first, then the ones the task names itself (each once).
    named: list[str] = list(dict.fromkeys([*(task_role.skills if task_role else []), *(skills or [])]))
    task_skills = await asyncio.to_thread(TaskSkills.for_task, repository_root(repo), named)
    role = role or task_role or settings.role("executor")
    model_name = role.model or "demo"
    if workspace is not None:
        task_id = workspace.task_id
    else:
        task_id = task_id or new_task_id(task)
        workspace = await asyncio.to_thread(
            create_task_workspace, repo, task_id, settings.worktrees_dir, base
        )
    model = client_for(role, settings)
    window = await asyncio.to_thread(context_window, model_name, role.context_window)
    # The planner role falls back to the executor's model when none is configured.
    planner = client_for(settings.role("planner"), settings) if plan else None
    budgets = settings.budgets.under(task_role.budgets) if task_role else settings.budgets
    sandbox = await asyncio.to_thread(sandbox_policy, settings, network or role.network)
    briefing = await asyncio.to_thread(
        brief_agent,
        task_id,
        Path(workspace.path),
        role_name or DEFAULT_ROLE,
        task_role.prompt if task_role else None,
    )
    budget = Budget(
        max_steps=max_steps or budgets.max_steps,
        max_cost_usd=budgets.max_cost_usd,
        max_wall_seconds=budgets.max_wall_seconds,
    )
    agent = Agent(
        agent_id=task_id,
        task_id=task_id,
        task=task,
        model=model,
        workspace=workspace,
        tool_context=ToolContext(
            worktree=Path(workspace.path),
            run_timeout_s=settings.run_tool.timeout_seconds,
            output_cap_bytes=settings.run_tool.output_cap_bytes,
            sandbox=sandbox,
            messenger=messenger,
        ),
        extra_tools=(MESSAGE_TOOL,) if messenger else (),
        budget=budget,
        emit=bus.publish,
        context_window=window,
        split_settings=SplitSettings(
            threshold=settings.split_threshold if split_threshold is None else split_threshold,
            max_depth=settings.split.max_depth,
            max_fanout=settings.split.max_fanout,
            parallel=settings.split.parallel,
        ),
        planner=planner,
        skills=task_skills,
        briefing=briefing,
    )
    bus.publish(
        AgentStarted(
            agent_id=task_id,
            task_id=task_id,
            task=task,
            model=model_name,
            demo=model.is_demo,
            branch=workspace.branch,
            worktree=str(workspace.path),
            base_commit=workspace.base_commit,
            sandbox=sandbox.label(),
            role=role_name,
            conventions=briefing.conventions_file,
            max_steps=budget.max_steps,
            max_cost_usd=budget.max_cost_usd,
            max_wall_seconds=budget.max_wall_seconds,
        )
    )
    return StartedTask(agent=agent, workspace=workspace)


def client_for(role: ModelRole, settings: Settings):
    """The model client that plays `role`, with the configured demo pace and retries."""
    return make_model_client(
        role.model or "demo",
        role.api_base,
        demo_tokens_per_second=settings.demo.tokens_per_second,
        max_retries=settings.retries.max_retries,
        backoff_base_s=settings.retries.backoff_base_seconds,
        temperature=role.temperature,
    )
