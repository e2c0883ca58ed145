"""`agentdeck gc`: the space part of cleanup, oldest decision first, and able to stop at a budget.

It is `cleanup` (the same `Decisions.clean`, under the same lock) with `keep_refs`: only
worktrees go — the task's own and those its sub-agents left — never a branch or a ref, so
no commit is lost, merged or not. Only tasks a person decided about (merged, rejected) are
collected, the ones that decided longest ago first; with `target_bytes` (the automatic gc
over `session.max_worktree_gb`) it stops once the worktrees fit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

from agentdeck.replies import GcEntry, GcReport
from agentdeck.runtime.store import TaskRow
from agentdeck.workspace.disk import DiskUsage

if TYPE_CHECKING:
    from agentdeck.runtime.session import Session


def decided_at(row: TaskRow) -> float:
    """When a person decided about the task; older rows without a decision fall back to when it ended."""
    ts = row.decision.get("ts") if row.decision else None
    return float(ts or row.ended or row.updated or row.created)


def candidates(rows: Iterable[TaskRow], usage: DiskUsage, skip: Iterable[str] = ()) -> list[TaskRow]:
    """Decided tasks that still take space, the oldest decision first."""
    skipped = set(skip)
    found = [
        row
        for row in rows
        if row.state.is_decided and row.branch and usage.per_task.get(row.id, 0) > 0 and row.id not in skipped
    ]
    return sorted(found, key=lambda row: (decided_at(row), row.created, row.id))


async def collect(
    session: Session,
    usage: DiskUsage,
    *,
    dry_run: bool = False,
    target_bytes: int | None = None,
    by: str = "gc",
    skip: Iterable[str] = (),
) -> GcReport:
    """Remove (or list, `dry_run`) decided tasks' worktrees oldest first; stop at `target_bytes` when given."""
    from agentdeck.workspace.cleanup import remove_sub_agent_worktrees

    report = GcReport(dry_run=dry_run, total_bytes_before=usage.total_bytes)
    remaining = usage.total_bytes
    async with session.decisions.lock:
        for row in candidates(session.store.tasks(), usage, skip):
            if target_bytes is not None and remaining <= target_bytes:
                break
            entry = GcEntry(
                task_id=row.id,
                state=row.state,
                decided=decided_at(row),
                bytes=usage.per_task.get(row.id, 0),
                branch=row.branch,
            )
            if dry_run:
                entry.freed_bytes = entry.bytes
            else:
                current = session.store.task(row.id)
                if current is None or not current.state.is_decided:
                    continue  # sent back meanwhile: it is not ours to remove
                cleaned = await session.decisions.clean(current, keep_refs=True, by=by)
                if cleaned is not None:
                    entry.removed, entry.kept, entry.kept_ref = (
                        cleaned.worktree_removed,
                        cleaned.kept,
                        cleaned.kept_ref,
                    )
                    entry.freed_bytes = cleaned.bytes_freed
                for child in await asyncio.to_thread(remove_sub_agent_worktrees, session.repo_root, row.id):
                    entry.freed_bytes += child.bytes_freed
                    entry.removed = entry.removed or child.worktree_removed
                    if child.kept and not entry.kept:
                        entry.kept = f"sub-agent {child.task_id}: {child.kept}"
            remaining -= entry.freed_bytes
            report.results.append(entry)
    report.freed_bytes = sum(entry.freed_bytes for entry in report.results)
    return report
