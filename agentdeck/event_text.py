"""What an event means, in one sentence: the one describer the logs, `agentdeck run`'s progress
and the cockpit's transcript share (each adds its own icon, colour or `[task]` in front).

`describe` answers None for what is not worth a line of its own: streamed prose, tool
output, meters and turns. Those have renderings of their own (progress.py, the transcript).
"""

from __future__ import annotations

import json

from agentdeck import events as ev
from agentdeck.task_state import TaskState
from agentdeck.text import format_bytes, one_line


def files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


def retry_text(event: ev.ModelRetrying) -> str:
    """'retrying after rate limits (429) in 2 s (attempt 2 of 4): <the provider's words>'."""
    attempt = f"attempt {event.attempt + 1} of {event.max_retries + 1}"
    return f"retrying after {event.cause} in {event.delay_s:g} s ({attempt}): {event.error}"


def _argument(arguments: str, key: str) -> str:
    """One argument of a tool call's JSON arguments, or "?" when they cannot be read."""
    try:
        value = json.loads(arguments or "{}").get(key)
    except (ValueError, AttributeError):
        value = None
    return one_line(str(value), 60) if value is not None else "?"


def describe(event: ev.Event) -> str | None:
    """One line for `event`, without whose task it is; None when it is not worth a line."""
    return _session(event) or _agent(event) or _review(event)


def _session(event: ev.Event) -> str | None:
    match event:
        case ev.TaskQueued():
            extra = "".join(
                [
                    " foreground" if event.foreground else "",
                    f" as role {event.role}" if event.role else "",
                    f" after {event.after}" if event.after else "",
                    f" priority {event.priority}" if event.priority else "",
                    f" from the {event.source}" if event.source != "cli" else "",
                    f" with skill{'s' if len(event.skills) > 1 else ''} {', '.join(event.skills)}"
                    if event.skills
                    else "",
                    f" as attempt {event.attempt} of group {event.attempt_group}"
                    if event.attempt_group
                    else "",
                    f" on {event.model}" if event.attempt_group and event.model else "",
                ]
            )
            return f"queued{extra}: {one_line(event.task)}"
        case ev.TaskStateChanged() if (
            event.state == TaskState.RUNNING and event.previous == TaskState.STALLED
        ):
            return event.reason or "running again"
        case ev.TaskStateChanged():
            return f"{event.state}" + (f": {event.reason}" if event.reason else "")
        case ev.TaskForegroundChanged():
            return "promoted to the foreground" if event.foreground else "demoted to the background"
        case ev.InboxRejected():
            return f"inbox: rejected {event.path}: {event.reason} (moved to {event.moved_to})"
        case ev.SessionStarted():
            lost = (
                f"; interrupted by the last stop or crash: {', '.join(event.interrupted)}"
                if event.interrupted
                else ""
            )
            recovered = "".join(f"; {line}" for line in event.recovered)
            return f"session daemon started (pid {event.pid}){lost}{recovered}"
        case ev.SessionStopping():
            return "session daemon stopping: agents checkpoint first"
        case ev.DiskUsageChanged():
            budget = f" of {format_bytes(event.budget_bytes)}" if event.budget_bytes else ""
            return f"worktrees use {format_bytes(event.total_bytes)}{budget}" + (
                f"; {event.paused}" if event.paused else ""
            )
        case ev.StoreFullChanged():
            return event.reason
    return None


def _agent(event: ev.Event) -> str | None:
    match event:
        case ev.AgentStarted():
            return f"agent started · model {event.model}{briefing_text(event)} · branch {event.branch}"
        case ev.ToolCallStarted() if event.name == "load_skill":
            return (
                f"→ load_skill {_argument(event.arguments, 'name')}: reads the skill's instructions in full"
            )
        case ev.ToolCallStarted():
            return f"→ {event.name}"
        case ev.SteerReceived():
            return f"you: {one_line(event.text)}"
        case ev.AgentWaiting():
            return f"waiting for you: {event.reason}"
        case ev.ModelRetrying():
            return retry_text(event)
        case ev.SplitTriggered():
            goals = "; ".join(brief.goal for brief in event.briefs)
            return f"context at {event.fraction:.0%}: split into {len(event.briefs)} sub-agents — {goals}"
        case ev.SubAgentSpawned():
            return f"sub-agent {event.sub_agent_id} ({event.index}/{event.of}) starts fresh at {event.first_fraction:.0%}: {event.goal}"
        case ev.SubAgentFinished():
            return f"sub-agent {event.sub_agent_id} {event.status} after {event.steps} steps: {event.summary}"
        case ev.ContextCompacted():
            return f"went on from the summaries: context {event.before_fraction:.0%} → {event.after_fraction:.0%}"
        case ev.AgentFinished():
            stats = f"{files(event.files_changed)}, +{event.insertions} −{event.deletions}"
            return f"finished in {event.steps} steps ({stats}): {event.summary}"
        case ev.AgentFailed():
            return f"failed ({event.kind}): {event.error}"
    return None


def _review(event: ev.Event) -> str | None:
    match event:
        case ev.VerificationStarted():
            tests = f"tests `{event.test_command}`" if event.test_command else "no test command"
            judge = f"judge {event.judge_model}" if event.judge_model else "no judge"
            return f"verification started: {tests}, checks, {judge}"
        case ev.TestsFinished():
            return f"tests {event.tests.status.replace('_', ' ')}: {event.tests.message}"
        case ev.VerificationFinished():
            verdict = event.verdict
            flags = f" [{', '.join(event.flags)}]" if event.flags else ""
            return f"verdict: {verdict.kind.replace('_', ' ')}{flags}: {one_line(verdict.summary or verdict.reason, 160)}"
        case ev.Merged():
            together = f" with {', '.join(event.together)}" if event.together else ""
            return f"merged into {event.into} ({event.method}{together}) at {event.commit[:10]}"
        case ev.Rejected():
            return f"rejected: {event.reason}"
        case ev.ChangesRequested():
            return f"changes requested: {one_line(event.feedback, 160)}"
        case ev.CleanedUp():
            parts = [
                p
                for p, done in (
                    ("worktree removed", event.worktree_removed),
                    ("branch deleted", event.branch_deleted),
                )
                if done
            ]
            dropped = (
                f", {event.commits_dropped} unmerged commits dropped (--force)"
                if event.commits_dropped
                else ""
            )
            freed = f", {format_bytes(event.bytes_freed)} freed" if event.bytes_freed else ""
            by = {"gc": " (gc)", "budget": " (gc: over session.max_worktree_gb)"}.get(event.by, "")
            return f"cleaned up{by}: {', '.join(parts)}{dropped}{freed}"
        case ev.PullRequestCreated():
            return f"pull request: {event.url}"
        case ev.AttemptsRanked():
            ranking = event.ranking
            order = " > ".join(entry.task_id for entry in ranking.order) or "nothing to rank"
            how = f"; {ranking.fallback}" if ranking.fallback else f" (judge {ranking.judge_model})"
            pick = f": pick {ranking.pick}: {one_line(ranking.order[0].reason, 120)}" if ranking.order else ""
            return f"attempts of {ranking.attempt_group} ranked {order}{how}{pick}"
        case ev.SprintStarted():
            return f"sprint started: {one_line(event.feature)} ({len(event.tasks)} role tasks after the contracts)"
        case ev.ConflictResolved():
            return f"conflict resolved in {event.path} ({' vs '.join(event.between)}): {one_line(event.why, 160)}"
    return None


def briefing_text(event: ev.AgentStarted) -> str:
    """' · role R · conventions AGENTS.md · budget 30 steps, $2.00, 20 min': what the agent was told."""
    parts = [f"role {event.role}"] if event.role else []
    if event.conventions:
        parts.append(f"conventions {event.conventions}")
    if event.max_steps is not None:
        minutes = f", {event.max_wall_seconds / 60:g} min" if event.max_wall_seconds is not None else ""
        cost = f", ${event.max_cost_usd:.2f}" if event.max_cost_usd is not None else ""
        parts.append(f"budget {event.max_steps} steps{cost}{minutes}")
    return "".join(f" · {part}" for part in parts)
