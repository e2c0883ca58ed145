"""`agentdeck gc` on the client side, and the disk parts of `agentdeck status`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from agentdeck.commands.exit_status import EXIT_OK
from agentdeck.text import format_bytes

if TYPE_CHECKING:
    from agentdeck.replies import DiskStatus, TaskStatus


def register(commands) -> None:
    """gc: free the disk of decided tasks' worktrees (docs/session.md, "Disk")."""
    from agentdeck.commands.session import attached, session_parser

    gc = session_parser(
        commands,
        "gc",
        "free disk: remove worktrees of merged and rejected tasks, oldest first (branches stay)",
        "Remove the worktrees (build output included) of merged and rejected tasks, the ones decided longest\n"
        "ago first, and print the space freed per task and in total. Only worktrees go: every branch and\n"
        "ref (refs/agentdeck/...) stays, so no commit is lost, merged or not. A worktree with uncommitted\n"
        "changes is kept and listed. `cleanup` does the same and also deletes fully merged branches.\n"
        "With session.max_worktree_gb set, the daemon runs gc by itself when the worktrees grow over it.",
        "  agentdeck gc --dry-run\n  agentdeck gc\n  agentdeck gc --json",
    )
    gc.add_argument(
        "--dry-run", action="store_true", help="list what would go and how much it takes; delete nothing"
    )
    gc.add_argument(
        "--json", action="store_true", help="print the gc report as one JSON document (see docs/session.md)"
    )
    gc.set_defaults(func=attached(run_gc))


async def run_gc(args: argparse.Namespace, client) -> int:
    from agentdeck.api import Gc

    report = await client.execute(Gc(dry_run=args.dry_run))
    if args.json:
        print(report.model_dump_json())
        return EXIT_OK
    print(render_gc(report))
    return EXIT_OK


def render_gc(report) -> str:
    if not report.results:
        return (
            f"nothing to collect: no merged or rejected task has a worktree left "
            f"(worktrees use {format_bytes(report.total_bytes_before)})"
        )
    lines = []
    for entry in report.results:
        size = format_bytes(entry.freed_bytes if not report.dry_run else entry.bytes)
        if report.dry_run:
            line = f"would remove {entry.task_id} ({entry.state}): {size}"
        elif entry.removed:
            line = f"removed {entry.task_id} ({entry.state}): {size} freed; branch {entry.branch} kept"
        else:
            line = f"kept {entry.task_id} ({entry.state}): {entry.kept or 'nothing removed'}"
            if "uncommitted" in entry.kept:
                line += " (commit or delete them in the worktree, then run gc again)"
        if entry.removed and entry.kept:
            line += f"; kept: {entry.kept}"
        if entry.kept_ref:
            line += f"; its worktree's HEAD was off its branch: kept as {entry.kept_ref}"
        lines.append(line)
    count = sum(1 for e in report.results if report.dry_run or e.removed)
    verb = "would free" if report.dry_run else "freed"
    total = f"{verb} {format_bytes(report.freed_bytes)} in {count} worktree{'s' if count != 1 else ''}"
    if report.total_bytes_after is not None:
        total += f"; worktrees now use {format_bytes(report.total_bytes_after)}"
    else:
        total += f" of {format_bytes(report.total_bytes_before)}"
    lines.append(total)
    if report.dry_run:
        lines.append("nothing was deleted (--dry-run); every branch and ref would stay")
    if report.paused:
        lines.append(report.paused)
    return "\n".join(lines)


def disk_line(disk: DiskStatus) -> str | None:
    """`worktrees: 1.2 GB (budget 10 GB)`, and the pause when there is one; None before a measurement."""
    if disk.total_bytes is None:
        return None
    line = f"worktrees: {format_bytes(disk.total_bytes)} on disk"
    if disk.budget_bytes:
        line += f" of the {format_bytes(disk.budget_bytes)} budget"
    if disk.other_bytes:
        line += f" ({format_bytes(disk.other_bytes)} not of any task: `agentdeck run`, leftovers)"
    if disk.paused:
        line += f"\nno new background task starts: {disk.paused} (foreground tasks still start)"
    return line


def disk_cell(task: TaskStatus) -> str:
    value = task.disk_bytes
    return format_bytes(value) if value else "-"
