"""The review model, UI-independent: results that need a decision, ranked; one result in full; the night's summary.

`rank_results` and `summarize` read stored task rows only (no git), so the list is cheap
to rebuild on every event. `result_details` adds the diff from git: call it in a thread.
Its replies (agentdeck/replies.py) are what GetReview and GetResult return, the
same in-process and over the socket.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentdeck.events import ChangeStats, Check, TestsResult, Verdict
from agentdeck.replies import (
    BUCKETS,
    AttemptEntry,
    Bucket,
    FeedbackEntry,
    FileStat,
    NightSummary,
    ResultDetails,
    ReviewItem,
    ReviewList,
)
from agentdeck.runtime.checks import flags as flags_of
from agentdeck.runtime.store import TaskRow
from agentdeck.task_state import TaskState

# The diff shown for one result is cut here (the judge's own cut is review.judge_diff_chars).
MAX_DIFF_CHARS = 400_000


def is_sprint_part(row: TaskRow) -> bool:
    """A role task of a sprint: reviewed, merged and rejected with its sprint, as one result."""
    return bool(row.sprint_id) and row.sprint_id != row.id


def review_item(row: TaskRow) -> ReviewItem:
    tests = TestsResult.model_validate(row.tests) if row.tests else None
    verdict = Verdict.model_validate(row.verdict) if row.verdict else None
    checks = [Check.model_validate(c) for c in row.checks or []]
    stats = ChangeStats.model_validate(row.stats) if row.stats else ChangeStats()
    needs = row.state.awaits_decision and bool(row.branch)
    return ReviewItem(
        task_id=row.id,
        task=row.task,
        state=row.state,
        needs_decision=needs,
        bucket=_bucket(row, tests, verdict),
        verdict=verdict.kind if verdict else None,
        verdict_summary=(verdict.summary or verdict.reason) if verdict else "",
        tests=tests.status if tests else None,
        tests_message=tests.message if tests else "",
        files_changed=stats.files_changed,
        insertions=stats.insertions,
        deletions=stats.deletions,
        flags=flags_of(tests, verdict, checks)
        if row.state != TaskState.FAILED
        else ["agent failed", *flags_of(tests, verdict, checks)],
        branch=row.branch,
        base_branch=row.base_branch,
        model=row.model,
        tokens=row.tokens,
        cost_usd=row.cost_usd,
        ended=row.ended,
        decision=row.decision.get("kind") if row.decision else None,
        error=row.error,
    )


def rank_results(
    rows: list[TaskRow], rankings: Mapping[str, dict[str, Any]] | None = None
) -> list[ReviewItem]:
    """Results best first: approved and green, then untested, doubtful, failing, failed; pending and decided last.

    The attempts of a best-of-N group make one item (see `group_item`); a sprint is one result (its
    integration task): its role tasks are parts of it, not results of their own."""
    items = [
        review_item(row)
        for row in rows
        if row.state.has_result and not row.attempt_group and not is_sprint_part(row)
    ]
    groups: dict[str, list[TaskRow]] = {}
    for row in rows:
        if row.attempt_group:
            groups.setdefault(row.attempt_group, []).append(row)
    for group, members in groups.items():
        if any(row.state.has_result for row in members):
            items.append(group_item(members, (rankings or {}).get(group)))

    def key(item: ReviewItem) -> tuple[float | str, ...]:
        size = item.insertions + item.deletions
        if item.bucket == "decided":
            return (BUCKETS.index(item.bucket), -(item.ended or 0), item.task_id)
        return (BUCKETS.index(item.bucket), len(item.flags), size, item.ended or 0, item.task_id)

    return sorted(items, key=key)


def group_item(rows: list[TaskRow], ranking: dict[str, Any] | None) -> ReviewItem:
    """One best-of-N group as one item: led by the judge's pick (or the best attempt still to decide)."""
    from agentdeck.events import AttemptRanking

    by_id = {row.id: row for row in rows}
    order = sorted(rows, key=lambda row: (row.attempt or 0, row.id))
    reasons: dict[str, str] = {}
    note = ""
    ranked = AttemptRanking.model_validate(ranking) if ranking else None
    if ranked is not None:
        reasons = {entry.task_id: entry.reason for entry in ranked.order}
        known = [by_id[entry.task_id] for entry in ranked.order if entry.task_id in by_id]
        order = known + [row for row in order if row not in known]
        note = ranked.fallback
    else:
        running = sum(row.state.in_queue for row in rows)
        note = (
            f"not ranked yet: {running} of {len(rows)} attempts still at work"
            if running
            else "not ranked yet: the judge compares them now"
        )
    entries: list[AttemptEntry] = []
    for place, row in enumerate(order, start=1):
        item = review_item(row)
        entries.append(
            AttemptEntry(
                task_id=row.id,
                attempt=row.attempt,
                model=row.model,
                state=row.state,
                needs_decision=item.needs_decision,
                rank=place if ranked is not None else None,
                reason=reasons.get(row.id, ""),
                verdict=item.verdict,
                tests=item.tests,
                tests_message=item.tests_message,
                insertions=item.insertions,
                deletions=item.deletions,
                decision=item.decision,
            )
        )
    lead = next((row for row in order if row.state.awaits_decision and row.branch), None)
    lead = lead or next((row for row in order if row.state == TaskState.MERGED), None) or order[0]
    item = review_item(lead)
    if any(entry.needs_decision for entry in entries):
        item.needs_decision = True
        item.state = lead.state
    elif any(row.state.in_queue for row in rows):
        item.bucket = "verifying"
    item.attempt_group = lead.attempt_group
    item.attempts = entries
    item.ranking_note = note
    item.ranking_warning = ranked.same_family_warning if ranked is not None else ""
    return item


def summarize(rows: list[TaskRow]) -> NightSummary:
    summary = NightSummary()
    for row in rows:
        summary.tokens += row.tokens
        summary.cost_usd += row.cost_usd
        if is_sprint_part(row):
            continue
        verdict = row.verdict.get("kind") if row.verdict else None
        tests = row.tests.get("status") if row.tests else None
        if row.summary and row.state.has_result and row.state != TaskState.FAILED:
            summary.done += 1
        summary.approved += verdict == "approve"
        summary.changes_requested += verdict == "request_changes"
        summary.rejected_by_judge += verdict == "reject"
        summary.judge_failed += verdict == "judge_failed"
        summary.tests_failing += tests in ("failed", "timeout", "error")
        summary.failed += row.state == TaskState.FAILED
        summary.verifying += row.state == TaskState.VERIFYING
        summary.to_review += row.state.awaits_decision and bool(row.branch) and not row.attempt_group
        summary.merged += row.state == TaskState.MERGED
        summary.rejected += row.state == TaskState.REJECTED
    # A best-of-N group is one decision, however many attempts wait in it.
    summary.to_review += len(
        {row.attempt_group for row in rows if row.attempt_group and row.state.awaits_decision and row.branch}
    )
    summary.cost_usd = round(summary.cost_usd, 6)
    return summary


def review_list(rows: list[TaskRow], rankings: Mapping[str, dict[str, Any]] | None = None) -> ReviewList:
    return ReviewList(results=rank_results(rows, rankings), summary=summarize(rows))


def result_details(repo_root: Path, row: TaskRow, max_diff_chars: int = MAX_DIFF_CHARS) -> ResultDetails:
    """One result in full, with its diff from git (blocking: call it in a thread)."""
    from agentdeck.workspace import WorkspaceError
    from agentdeck.workspace.diffs import branch_diff

    details = ResultDetails(
        item=review_item(row),
        task=row.task,
        plan=row.plan,
        summary=row.summary,
        verdict=Verdict.model_validate(row.verdict) if row.verdict else None,
        tests=TestsResult.model_validate(row.tests) if row.tests else None,
        checks=[Check.model_validate(c) for c in row.checks or []],
        stats=ChangeStats.model_validate(row.stats) if row.stats else ChangeStats(),
        feedback=[FeedbackEntry.model_validate(f) for f in row.feedback or []],
        branch=row.branch,
        worktree=row.worktree if row.worktree and Path(row.worktree).is_dir() else None,
        base_commit=row.base_commit,
        # The reply carries the stored record as a plain dict.
        decision=dict(row.decision) if row.decision else None,
    )
    if not row.branch or not row.base_commit:
        details.diff_unavailable = "the agent never started, so there is no change"
        return details
    try:
        diff = branch_diff(repo_root, row.id, row.base_commit, max_diff_chars)
    except WorkspaceError as exc:
        details.diff_unavailable = f"the change cannot be shown: {exc}"
        return details
    details.diff, details.diff_cut, details.diff_total_chars = diff.text, diff.cut, diff.total_chars
    details.files = [
        FileStat(
            path=f.path, status=f.status, insertions=f.insertions, deletions=f.deletions, binary=f.binary
        )
        for f in diff.files
    ]
    details.stats = ChangeStats(
        files_changed=len(diff.files), insertions=diff.insertions, deletions=diff.deletions
    )
    return details


def editor_command(path: str | Path, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The command that opens `path` in the user's editor: $VISUAL, then $EDITOR, else vi."""
    editor = environ.get("VISUAL") or environ.get("EDITOR") or "vi"
    return [*shlex.split(editor), str(path)]


def _bucket(row: TaskRow, tests: TestsResult | None, verdict: Verdict | None) -> Bucket:
    if row.state.is_decided:
        return "decided"
    if row.state == TaskState.VERIFYING:
        return "verifying"
    if row.state == TaskState.FAILED:
        return "agent failed"
    test_status = tests.status if tests else None
    kind = verdict.kind if verdict else None
    if test_status in ("failed", "timeout", "error") or kind == "reject":
        return "failing"
    if kind == "approve":
        return "ready" if test_status == "passed" else "approved, untested"
    return "needs a look"
