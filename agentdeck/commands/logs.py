"""`agentdeck logs`: the session's events as readable lines (one task's in full, or all, compact)."""

from __future__ import annotations

import argparse
import sys

from agentdeck.cli import EXIT_OK
from agentdeck.events import (
    AgentFailed,
    AgentFinished,
    AgentStarted,
    AgentWaiting,
    ChangesRequested,
    CleanedUp,
    DiskUsageChanged,
    StoreFullChanged,
    Event,
    InboxRejected,
    Merged,
    ModelRetrying,
    PullRequestCreated,
    Rejected,
    TestsFinished,
    VerificationFinished,
    VerificationStarted,
    SessionStarted,
    SessionStopping,
    SteerReceived,
    TaskForegroundChanged,
    TaskQueued,
    TaskStateChanged,
    TextDelta,
    ToolCallStarted,
)
from agentdeck.progress import ProgressPrinter, retry_text
from agentdeck.text import format_bytes, one_line


def session_line(event: Event) -> str | None:
    """One line for a session-level event, or None."""
    who = f"[{event.task_id}] " if event.task_id else ""
    match event:
        case TaskQueued():
            extra = "".join(
                [
                    " foreground" if event.foreground else "",
                    f" after {event.after}" if event.after else "",
                    f" priority {event.priority}" if event.priority else "",
                    f" from the {event.source}" if event.source != "cli" else "",
                ]
            )
            return f"{who}queued{extra}: {one_line(event.task)}"
        case TaskStateChanged():
            return f"{who}{event.state}" + (f": {event.reason}" if event.reason else "")
        case TaskForegroundChanged():
            return f"{who}{'promoted to the foreground' if event.foreground else 'demoted to the background'}"
        case InboxRejected():
            return f"inbox: rejected {event.path}: {event.reason} (moved to {event.moved_to})"
        case SessionStarted():
            lost = f"; interrupted by the last stop or crash: {', '.join(event.interrupted)}" if event.interrupted else ""
            return f"session daemon started (pid {event.pid}){lost}"
        case SessionStopping():
            return "session daemon stopping: agents checkpoint first"
    return review_line(event, who)


def review_line(event: Event, who: str) -> str | None:
    """One line for a verification or review event, or None."""
    match event:
        case VerificationStarted():
            tests = f"tests `{event.test_command}`" if event.test_command else "no test command"
            judge = f"judge {event.judge_model}" if event.judge_model else "no judge"
            return f"{who}verification started: {tests}, checks, {judge}"
        case TestsFinished():
            return f"{who}tests {event.tests.status.replace('_', ' ')}: {event.tests.message}"
        case VerificationFinished():
            verdict = event.verdict
            text = verdict.summary or verdict.reason
            flags = f" [{', '.join(event.flags)}]" if event.flags else ""
            return f"{who}verdict: {verdict.kind.replace('_', ' ')}{flags}: {one_line(text, 160)}"
        case Merged():
            together = f" with {', '.join(event.together)}" if event.together else ""
            return f"{who}merged into {event.into} ({event.method}{together}) at {event.commit[:10]}"
        case Rejected():
            return f"{who}rejected: {event.reason}"
        case ChangesRequested():
            return f"{who}changes requested: {one_line(event.feedback, 160)}"
        case CleanedUp():
            parts = [p for p, done in (("worktree removed", event.worktree_removed), ("branch deleted", event.branch_deleted)) if done]
            dropped = f", {event.commits_dropped} unmerged commits dropped (--force)" if event.commits_dropped else ""
            freed = f", {format_bytes(event.bytes_freed)} freed" if event.bytes_freed else ""
            by = {"gc": " (gc)", "budget": " (gc: over session.max_worktree_gb)"}.get(event.by, "")
            return f"{who}cleaned up{by}: {', '.join(parts)}{dropped}{freed}"
        case DiskUsageChanged():
            budget = f" of {format_bytes(event.budget_bytes)}" if event.budget_bytes else ""
            return f"worktrees use {format_bytes(event.total_bytes)}{budget}" + (f"; {event.paused}" if event.paused else "")
        case PullRequestCreated():
            return f"{who}pull request: {event.url}"
        case StoreFullChanged():
            return event.reason
    return None


def compact_line(event: Event) -> str | None:
    """One line for any event in the all-tasks view (prose and tool output left out)."""
    line = session_line(event)
    if line is not None:
        return line
    who = f"[{event.task_id}] "
    match event:
        case AgentStarted():
            return f"{who}agent started · model {event.model} · branch {event.branch}"
        case ToolCallStarted():
            return f"{who}→ {event.name}"
        case SteerReceived():
            return f"{who}steer: {one_line(event.text)}"
        case AgentWaiting():
            return f"{who}waiting: {event.reason}"
        case ModelRetrying():
            return f"{who}{retry_text(event)}"
        case AgentFinished():
            return f"{who}finished in {event.steps} steps: {one_line(event.summary)}"
        case AgentFailed():
            return f"{who}failed ({event.kind}): {event.error}"
    return None


async def print_logs(client, args: argparse.Namespace) -> int:
    out = sys.stdout
    printer = ProgressPrinter(out) if args.id and not args.json else None
    async for event in client.subscribe(args.from_seq, args.id, follow=args.follow):
        if args.json:
            out.write(event.model_dump_json() + "\n")
        elif printer is not None:
            line = session_line(event)
            if line is None:
                printer(event)
            else:
                printer.line(line)
        elif not isinstance(event, TextDelta):
            line = compact_line(event)
            if line is not None:
                out.write(line + "\n")
        if args.follow:
            out.flush()
    out.flush()
    return EXIT_OK
