"""The one interface to a session, the same in-process and over the socket.

`Session` (runtime/session.py) implements `execute` and `subscribe` directly;
`SessionClient` (server/client.py) implements them over the daemon's socket. Everything
else here is shared, so a caller (the CLI, a future TUI, a test) cannot tell the two apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any, Literal

from agentdeck.events import (
    Cancel,
    Cleanup,
    CreatePullRequest,
    Demote,
    DropSprintTask,
    EditTask,
    Enqueue,
    Event,
    Gc,
    GetResult,
    GetReview,
    GetSprint,
    GetStatus,
    Interrupt,
    Merge,
    PlanSprint,
    Promote,
    Reject,
    RequestChanges,
    Resume,
    Retry,
    StartSprint,
    Steer,
    Stop,
)

if TYPE_CHECKING:
    from agentdeck.runtime.decisions import CleanupReport, MergeReport
    from agentdeck.runtime.gc import GcReport
    from agentdeck.runtime.review import ResultDetails, ReviewList


class SessionAPI:
    """Typed helpers over `execute(command) -> dict` and `subscribe(from_seq)`."""

    async def execute(self, command: Any) -> dict[str, Any]:  # pragma: no cover - implemented below
        raise NotImplementedError

    def subscribe(
        self,
        from_seq: int = 0,
        task_id: str | None = None,
        *,
        follow: bool = True,
        exclude: Iterable[str] = (),
    ) -> AsyncIterator[Event]:
        """Events after `from_seq`: the stored ones, then (with `follow`) live ones, no gap, no duplicate.

        `task_id` keeps one task's events; `exclude` leaves out events of those `type`s."""
        raise NotImplementedError

    async def enqueue(
        self,
        task: str,
        *,
        priority: int = 0,
        after: str | None = None,
        foreground: bool = False,
        model: str | None = None,
        source: Literal["cli", "inbox", "api"] = "cli",
        skills: list[str] | None = None,
        attempts: int = 1,
        models: list[str] | None = None,
        role: str | None = None,
    ) -> dict[str, Any]:
        """Queue a task; with `attempts` > 1, that many attempts at it as one group (best-of-N)."""
        return await self.execute(
            Enqueue(
                task=task,
                priority=priority,
                after=after,
                foreground=foreground,
                model=model,
                source=source,
                skills=skills or [],
                attempts=attempts,
                models=models or [],
                role=role,
            )
        )

    async def steer(self, task_id: str, text: str) -> dict[str, Any]:
        return await self.execute(Steer(agent_id=task_id, text=text))

    async def interrupt(self, task_id: str) -> dict[str, Any]:
        return await self.execute(Interrupt(agent_id=task_id))

    async def cancel(self, task_id: str) -> dict[str, Any]:
        return await self.execute(Cancel(agent_id=task_id))

    async def resume(self, task_id: str) -> dict[str, Any]:
        return await self.execute(Resume(agent_id=task_id))

    async def promote(self, task_id: str) -> dict[str, Any]:
        return await self.execute(Promote(agent_id=task_id))

    async def demote(self, task_id: str) -> dict[str, Any]:
        return await self.execute(Demote(agent_id=task_id))

    async def edit(
        self, task_id: str, *, priority: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        return await self.execute(EditTask(agent_id=task_id, priority=priority, after=after))

    async def status(self) -> dict[str, Any]:
        return await self.execute(GetStatus())

    async def stop(self) -> dict[str, Any]:
        return await self.execute(Stop())

    # -- review: typed replies, parsed from the same JSON in-process and over the socket --

    async def review(self) -> ReviewList:
        """Every result, ranked (those that need a decision first), and the night's summary."""
        from agentdeck.runtime.review import ReviewList

        return ReviewList.model_validate(await self.execute(GetReview()))

    async def result(self, task_id: str) -> ResultDetails:
        """One result in full: task, plan, verdict and findings, tests, checks, stats, the diff."""
        from agentdeck.runtime.review import ResultDetails

        return ResultDetails.model_validate(await self.execute(GetResult(agent_id=task_id)))

    async def merge(self, *task_ids: str) -> MergeReport:
        """Land the tasks on their base branch; several are an integration pass. `merged` False: nothing written."""
        from agentdeck.runtime.decisions import MergeReport

        return MergeReport.model_validate(await self.execute(Merge(task_ids=list(task_ids))))

    async def reject(self, task_id: str, reason: str = "") -> dict[str, Any]:
        return await self.execute(Reject(agent_id=task_id, reason=reason))

    async def request_changes(self, task_id: str, feedback: str) -> dict[str, Any]:
        """Send the task back to its agent on the same branch, with `feedback` in its context."""
        return await self.execute(RequestChanges(agent_id=task_id, feedback=feedback))

    async def retry(self, task_id: str, feedback: str | None = None) -> dict[str, Any]:
        return await self.execute(Retry(agent_id=task_id, feedback=feedback))

    async def cleanup(self, force: bool = False) -> CleanupReport:
        from agentdeck.runtime.decisions import CleanupReport

        return CleanupReport.model_validate(await self.execute(Cleanup(force=force)))

    async def pull_request(self, task_id: str) -> dict[str, Any]:
        """Push the task's branch and open a pull request with `gh`: {"task_id", "url"}."""
        return await self.execute(CreatePullRequest(agent_id=task_id))

    async def gc(self, dry_run: bool = False) -> GcReport:
        """Remove merged and rejected tasks' worktrees, oldest first (branches and refs stay); `dry_run` lists them."""
        from agentdeck.runtime.gc import GcReport

        return GcReport.model_validate(await self.execute(Gc(dry_run=dry_run)))

    # -- sprints: one feature planned into role tasks, integrated as one result --

    async def plan_sprint(
        self, feature: str, *, roles: list[str] | None = None, max_agents: int = 4, model: str | None = None
    ) -> dict[str, Any]:
        """The planner's plan for `feature` ({"plan", "table"}); nothing is stored or started."""
        return await self.execute(
            PlanSprint(feature=feature, roles=roles or [], max_agents=max_agents, model=model)
        )

    async def start_sprint(
        self,
        plan: dict[str, Any],
        *,
        roles: list[str] | None = None,
        max_agents: int = 4,
        model: str | None = None,
    ) -> dict[str, Any]:
        """Contracts, then the plan's role tasks in dependency order: {"sprint_id", "tasks", ...}."""
        return await self.execute(
            StartSprint(plan=plan, roles=roles or [], max_agents=max_agents, model=model)
        )

    async def sprint(self, sprint_id: str | None = None) -> dict[str, Any]:
        """One sprint in full, or {"sprints": [...]} when `sprint_id` is None."""
        return await self.execute(GetSprint(sprint_id=sprint_id))

    async def drop_sprint_task(self, task_id: str) -> dict[str, Any]:
        return await self.execute(DropSprintTask(task_id=task_id))
