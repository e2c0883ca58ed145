"""The session's view of its worktrees' disk use, the budget `session.max_worktree_gb`, and gc.

Measuring walks every file of every worktree, so it runs in a thread (the event loop never
waits on it) and is cached: the session's tick measures again once the last measurement is
`ttl()` old — at least MIN_TTL_S, and TTL_FACTOR times what the walk took, so a huge tree
costs at most a small share of a core — and `status` takes one at most STATUS_MAX_AGE_S old.
A gc measures again at once. Over the budget the meter collects decided tasks' worktrees by
itself (oldest first, down to the budget); if the worktrees are still over it, new background
starts pause (`paused` says why; the scheduler shows it as each queued task's reason) until
they fit again. Foreground tasks are not held back: a person started those.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING

from agentdeck.events import CleanedUp, DiskUsageChanged, Event, TaskStateChanged
from agentdeck.replies import DiskStatus
from agentdeck.task_state import TaskState
from agentdeck.text import format_bytes
from agentdeck.workspace.disk import GB, DiskUsage, measure

if TYPE_CHECKING:
    from agentdeck.replies import GcReport
    from agentdeck.runtime.session import Session

MIN_TTL_S = 5.0
TTL_FACTOR = 50.0
STATUS_MAX_AGE_S = 1.0
STATUS_FACTOR = 10.0  # a status never makes the walk run more than a tenth of the time
# A change of the shown total is published at most this often (a pause or resume at once).
PUBLISH_EVERY_S = 30.0


def pause_reason(total_bytes: int, budget_gb: float | None) -> str | None:
    """Why new background starts are paused, or None when the worktrees fit their budget."""
    if budget_gb is None or total_bytes <= budget_gb * GB:
        return None
    return (
        f"paused: worktrees use {format_bytes(total_bytes)} of the {budget_gb:g} GB budget (session.max_worktree_gb); "
        "run `agentdeck gc` or merge/reject results"
    )


class DiskMeter:
    """Measures the session's worktrees, keeps the pause reason, and runs gc (by hand or over budget)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.usage: DiskUsage | None = None
        self.paused: str | None = None
        self._lock = asyncio.Lock()
        self._stale = True
        self._ticking: asyncio.Task[None] | None = None
        self._worktrees_dir: Path | None = None
        self._shown: tuple[str, str | None] | None = None
        self._shown_at = 0.0
        # Decided tasks the automatic gc could not remove (uncommitted changes): not retried each tick.
        self._gc_kept: set[str] = set()

    @property
    def budget_gb(self) -> float | None:
        return self.session.settings.session.max_worktree_gb

    @property
    def budget_bytes(self) -> int | None:
        return None if self.budget_gb is None else int(self.budget_gb * GB)

    def ttl(self) -> float:
        return max(MIN_TTL_S, TTL_FACTOR * (self.usage.elapsed_s if self.usage else 0.0))

    def invalidate(self) -> None:
        """Something changed on disk (a task ended, a worktree went): the next look measures again."""
        self._stale = True

    async def current(self, max_age: float, *, force: bool = False) -> DiskUsage:
        """A measurement at most `max_age` seconds old, or newer when something changed since.

        Never more than one walk per STATUS_FACTOR times its own duration, unless `force` (gc)."""
        async with self._lock:  # one walk at a time; the others wait for its result
            usage = self.usage
            if usage is not None and not force:
                age = time.time() - usage.measured_at
                if age <= STATUS_FACTOR * usage.elapsed_s or (not self._stale and age <= max_age):
                    return usage
            self._stale = False
            self.usage = await asyncio.to_thread(self._measure, *self._inputs())
        self._update(self.usage)
        return self.usage

    def on_event(self, event: Event) -> None:
        """Subscribed to the bus: a task that ends or a worktree that goes changes what is on disk."""
        if isinstance(event, CleanedUp) or (
            isinstance(event, TaskStateChanged) and event.state != TaskState.RUNNING
        ):
            self._stale = True

    def _inputs(self) -> tuple[list[str], dict[str, Path]]:
        rows = self.session.store.tasks()
        worktrees = {row.id: Path(row.worktree) for row in rows if row.worktree}
        return [row.id for row in rows], worktrees

    def _measure(self, ids: list[str], worktrees: dict[str, Path]) -> DiskUsage:
        directories = [directory] if (directory := self._worktrees_directory()) else []
        return measure(directories, ids, extra=worktrees)

    def _worktrees_directory(self) -> Path | None:
        """Where new worktrees go, or None while the repository cannot be opened.

        A status must answer even then (the repository was moved, or a recorded session):
        the tasks' own worktrees are still measured, and the next look tries again."""
        if self._worktrees_dir is None:
            from agentdeck.workspace import WorkspaceError, default_worktrees_dir, open_repository

            configured = self.session.settings.worktrees_dir
            try:
                self._worktrees_dir = (
                    Path(configured)
                    if configured
                    else default_worktrees_dir(open_repository(self.session.repo_root))
                )
            except WorkspaceError:
                return None
        return self._worktrees_dir

    # -- the tick ------------------------------------------------------------------------

    async def start(self) -> None:
        """Before the first start of a session: with a budget, know whether to pause."""
        if self.budget_gb is not None:
            await self.tick()

    def poke(self) -> None:
        """From the session's tick: look again in the background unless a look runs already."""
        if self._ticking is None or self._ticking.done():
            self._ticking = asyncio.create_task(self.tick(), name="disk meter")

    def stop(self) -> None:
        if self._ticking is not None:
            self._ticking.cancel()

    async def tick(self) -> None:
        try:
            usage = await self.current(self.ttl())
            budget = self.budget_bytes
            if budget is not None and usage.total_bytes > budget:
                from agentdeck.runtime.gc import candidates, collect

                if candidates(self.session.store.tasks(), usage, self._gc_kept):
                    report = await collect(
                        self.session, usage, target_bytes=budget, by="budget", skip=self._gc_kept
                    )
                    self._gc_kept.update(entry.task_id for entry in report.results if not entry.removed)
                    usage = await self.current(0, force=True)
        except asyncio.CancelledError:
            raise
        except Exception:  # a file system error must not end the session's tick; the next one tries again
            return

    def _update(self, usage: DiskUsage) -> None:
        """After each measurement: the pause, the event the cockpit shows, and gc when over budget."""
        paused = pause_reason(usage.total_bytes, self.budget_gb)
        if paused is not None:
            self.poke()  # the tick's gc may free enough to lift the pause (a no-op from the tick itself)
        resumed = self.paused is not None and paused is None
        flipped = paused != self.paused
        self.paused = paused
        shown = (format_bytes(usage.total_bytes), paused)
        now = time.monotonic()
        if shown != self._shown and (
            flipped or self._shown is None or now - self._shown_at >= PUBLISH_EVERY_S
        ):
            if usage.total_bytes or self._shown is not None:
                self._shown, self._shown_at = shown, now
                self.session.publish(
                    DiskUsageChanged(
                        total_bytes=usage.total_bytes, budget_bytes=self.budget_bytes, paused=paused
                    )
                )
        if resumed:
            self.session.schedule()

    # -- gc by hand ----------------------------------------------------------------------

    async def gc(self, dry_run: bool) -> GcReport:
        """`agentdeck gc`: every decided task's worktree, oldest first (or, `dry_run`, the list)."""
        from agentdeck.runtime.gc import collect

        usage = await self.current(0, force=True)
        report = await collect(self.session, usage, dry_run=dry_run, by="gc")
        if not dry_run:
            self._gc_kept.clear()  # a person looked: the automatic gc may try those again
            usage = await self.current(0, force=True)
            report.total_bytes_after = usage.total_bytes
        report.budget_bytes, report.paused = self.budget_bytes, self.paused
        return report

    def snapshot(self) -> DiskStatus:
        """The `disk` part of `status`: the last measurement, the budget and the pause reason."""
        usage = self.usage
        if usage is None:
            return DiskStatus(budget_bytes=self.budget_bytes, paused=self.paused)
        return DiskStatus(
            total_bytes=usage.total_bytes,
            other_bytes=usage.other_bytes,
            files=usage.files,
            measured_at=usage.measured_at,
            elapsed_ms=round(usage.elapsed_s * 1000, 1),
            budget_bytes=self.budget_bytes,
            paused=self.paused,
        )

    def task_bytes(self, task_id: str) -> int | None:
        return self.usage.per_task.get(task_id) if self.usage else None
