"""Start one agent on one task: a fresh worktree, the right model, an agent wired to the bus."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from agentdeck.agent.budgets import Budget
from agentdeck.agent.loop import Agent
from agentdeck.agent.tools import ToolContext
from agentdeck.config import ModelRole, Settings
from agentdeck.events import AgentStarted
from agentdeck.llm import make_model_client
from agentdeck.llm.windows import context_window
from agentdeck.runtime.bus import EventBus
from agentdeck.workspace import TaskWorkspace, create_task_workspace, new_task_id


@dataclass
class StartedTask:
    agent: Agent
    workspace: TaskWorkspace


async def start_task(
    repo,
    settings: Settings,
    task: str,
    bus: EventBus,
    *,
    role: ModelRole | None = None,
    max_steps: int | None = None,
) -> StartedTask:
    """Create the task's branch and worktree and an agent ready to `run()`; publishes AgentStarted."""
    role = role or settings.role("executor")
    model_name = role.model or "demo"
    task_id = new_task_id(task)
    workspace = await asyncio.to_thread(create_task_workspace, repo, task_id, settings.worktrees_dir)
    model = make_model_client(
        model_name,
        role.api_base,
        demo_tokens_per_second=settings.demo.tokens_per_second,
        max_retries=settings.retries.max_retries,
        backoff_base_s=settings.retries.backoff_base_seconds,
    )
    window = await asyncio.to_thread(context_window, model_name, role.context_window)
    budgets = settings.budgets
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
        ),
        budget=Budget(
            max_steps=max_steps or budgets.max_steps,
            max_cost_usd=budgets.max_cost_usd,
            max_wall_seconds=budgets.max_wall_seconds,
        ),
        emit=bus.publish,
        context_window=window,
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
        )
    )
    return StartedTask(agent=agent, workspace=workspace)
