"""Build a real agent (real worktree, real tools, real bus) around a given model, for tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from agentdeck.agent.budgets import Budget
from agentdeck.agent.loop import Agent
from agentdeck.agent.splitting import SplitSettings
from agentdeck.agent.task_skills import TaskSkills
from agentdeck.agent.tools import ToolContext
from agentdeck.events import Event
from agentdeck.llm.types import ModelClient
from agentdeck.runtime.bus import EventBus
from agentdeck.workspace import TaskWorkspace, create_task_workspace, new_task_id, open_repository


@dataclass
class Harness:
    agent: Agent
    workspace: TaskWorkspace
    bus: EventBus
    events: list[Event] = field(default_factory=list)
    _waiters: list[tuple[type, asyncio.Event]] = field(default_factory=list)

    def on_event(self, event: Event) -> None:
        self.events.append(event)
        for kind, flag in self._waiters:
            if isinstance(event, kind):
                flag.set()

    def seen(self, kind: type) -> asyncio.Event:
        """An asyncio.Event set when an event of `kind` is published (now or already)."""
        flag = asyncio.Event()
        if any(isinstance(e, kind) for e in self.events):
            flag.set()
        self._waiters.append((kind, flag))
        return flag

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def make_agent(
    repo: Path,
    model: ModelClient,
    *,
    task: str = "do the task",
    budget: Budget | None = None,
    run_timeout_s: float = 30.0,
    context_window: int | None = 10_000,
    split_settings: SplitSettings | None = None,
    planner: ModelClient | None = None,
    skills: TaskSkills | None = None,
) -> Harness:
    repository = open_repository(repo)
    task_id = new_task_id(task)
    workspace = create_task_workspace(repository, task_id)
    bus = EventBus()
    harness = Harness(agent=None, workspace=workspace, bus=bus)  # type: ignore[arg-type]
    bus.subscribe(harness.on_event)
    harness.agent = Agent(
        agent_id=task_id,
        task_id=task_id,
        task=task,
        model=model,
        workspace=workspace,
        tool_context=ToolContext(worktree=Path(workspace.path), run_timeout_s=run_timeout_s),
        budget=budget or Budget(),
        emit=bus.publish,
        context_window=context_window,
        split_settings=split_settings,
        planner=planner,
        skills=skills,
    )
    return harness
