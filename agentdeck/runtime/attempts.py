"""Best-of-N in the session: when every attempt of a group has ended, the judge ranks them, once.

The attempts are ordinary tasks sharing `attempt_group`; this watches their state changes
(a bus subscriber), and when the last one ends starts the ranking (attempt_ranking.py)
off the event loop's hot path. The ranking is stored, then published as `AttemptsRanked`.
A group that ended while the session was down is ranked at the next start.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from agentdeck.events import (
    AttemptRanking,
    AttemptsRanked,
    ChangeStats,
    Event,
    RankedAttempt,
    TaskStateChanged,
    TestsResult,
    Verdict,
)
from agentdeck.runtime.attempt_ranking import AttemptView, rank_attempts
from agentdeck.runtime.judge import same_family_warning
from agentdeck.runtime.store import Store, TaskRow
from agentdeck.task_state import TaskState

if TYPE_CHECKING:
    from agentdeck.runtime.session import Session

# Attempts with a verified change to compare; the others are ranked last, without the judge.
COMPARABLE = (TaskState.FINISHED, TaskState.REJECTED)


def settled(state: TaskState) -> bool:
    """The attempt will not change on its own (an interrupted one may be resumed): it can be compared."""
    return not state.in_queue


def attempt_note(row: TaskRow, store: Store) -> str:
    """What an attempt's agent is told besides the task: that it is one of several, compared by a judge."""
    if not row.attempt_group or not row.attempt:
        return ""
    count = len(store.group(row.attempt_group))
    return (
        f"\n\n## Attempt {row.attempt} of {count}\nOther agents do this same task independently, each in its "
        "own worktree; a judge compares the results and one is kept. Do it the way you judge best."
    )


class Attempts:
    """Ranks each attempt group once all its attempts have ended."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._ranking: dict[str, asyncio.Task[None]] = {}

    def on_event(self, event: Event) -> None:
        """Bus subscriber: an attempt ended, so its group may be complete; or one runs again."""
        if not isinstance(event, TaskStateChanged) or event.task_id is None:
            return
        if not settled(event.state) and event.state != TaskState.QUEUED:
            return
        row = self.session.store.task(event.task_id)
        if row is None or not row.attempt_group:
            return
        if event.state == TaskState.QUEUED:
            # Sent back or resumed: the ranking compared work that is about to change (one still
            # being made would be stored after the drop, and the group never ranked again).
            running = self._ranking.pop(row.attempt_group, None)
            if running is not None:
                running.cancel()
            self.session.store.drop_ranking(row.attempt_group)
        else:
            self.consider(row.attempt_group)

    def start(self) -> None:
        """Rank the groups that ended while the session was down."""
        ranked = self.session.store.rankings()
        groups = {row.attempt_group for row in self.session.store.tasks() if row.attempt_group}
        for group in sorted(groups - set(ranked)):
            self.consider(group)

    def consider(self, group: str) -> None:
        if self.session.stopping or group in self._ranking or group in self.session.store.rankings():
            return
        rows = self.session.store.group(group)
        if not rows or not all(settled(row.state) for row in rows):
            return
        if any(row.state == TaskState.MERGED for row in rows):
            return  # you chose before the judge could: nothing is left to rank
        self._ranking[group] = asyncio.create_task(self._rank(group), name=f"rank {group}")

    async def stop(self) -> None:
        for task in list(self._ranking.values()):
            task.cancel()
        if self._ranking:
            await asyncio.wait(list(self._ranking.values()), timeout=5)

    async def _rank(self, group: str) -> None:
        try:
            await self._rank_group(group)
        except Exception as exc:  # noqa: BLE001 - the group must still be shown, in some order
            rows = self.session.store.group(group)
            ranking = AttemptRanking(
                attempt_group=group,
                order=[RankedAttempt(task_id=row.id, reason=_why_unranked(row)) for row in rows],
                fallback=f"not ranked: the comparison failed ({type(exc).__name__}: {exc}); by attempt number",
            )
            self.session.store.set_ranking(group, ranking.model_dump(mode="json"))
            self.session.publish(AttemptsRanked(ranking=ranking))
        finally:
            self._ranking.pop(group, None)

    async def _rank_group(self, group: str) -> None:
        s = self.session
        rows = s.store.group(group)
        comparable = [row for row in rows if row.state in COMPARABLE and row.branch and row.base_commit]
        views = [await self._view(row) for row in comparable]
        if len(views) >= 2:
            client = s.verifier.judge_client()
            ranking = await rank_attempts(
                client, group, rows[0].task, views, s.settings.review.judge_timeout_seconds
            )
            warnings = [same_family_warning(client.model, view.model) for view in views]
            ranking.same_family_warning = next((warning for warning in warnings if warning), "")
        else:
            ranking = AttemptRanking(
                attempt_group=group,
                order=[
                    RankedAttempt(task_id=view.task_id, reason="the only attempt with a change to merge")
                    for view in views
                ],
                fallback="nothing to compare: fewer than two attempts ended with a change",
            )
        ranked = {entry.task_id for entry in ranking.order}
        ranking.order += [
            RankedAttempt(task_id=row.id, reason=_why_unranked(row)) for row in rows if row.id not in ranked
        ]
        s.store.set_ranking(group, ranking.model_dump(mode="json"))
        if ranking.prompt_tokens or ranking.cost_usd:
            # The comparison counts toward the queue's budget, on the group's first attempt.
            first = s.store.task(rows[0].id)
            if first is not None:
                s.store.update_task(
                    first.id,
                    tokens=first.tokens + ranking.prompt_tokens + ranking.completion_tokens,
                    cost_usd=first.cost_usd + ranking.cost_usd,
                )
        s.publish(AttemptsRanked(ranking=ranking))

    async def _view(self, row: TaskRow) -> AttemptView:
        from agentdeck.workspace import WorkspaceError
        from agentdeck.workspace.diffs import branch_diff

        s = self.session
        group_size = max(1, len(s.store.group(row.attempt_group or "")))
        # All diffs share the judge's one request: each gets its part of the budget.
        budget = max(2_000, s.settings.review.judge_diff_chars // group_size)
        stats = ChangeStats.model_validate(row.stats) if row.stats else ChangeStats()
        try:
            diff = await asyncio.to_thread(branch_diff, s.repo_root, row.id, row.base_commit or "", budget)
            text, cut = diff.text, diff.cut
            stats = ChangeStats(
                files_changed=len(diff.files), insertions=diff.insertions, deletions=diff.deletions
            )
        except WorkspaceError as exc:
            text, cut = f"(the change could not be read: {exc})\n", False
        verdict = Verdict.model_validate(row.verdict) if row.verdict else None
        return AttemptView(
            task_id=row.id,
            model=s.model_of(row),
            tests=TestsResult.model_validate(row.tests) if row.tests else None,
            stats=stats,
            diff=text,
            diff_cut=cut,
            verdict=f"{verdict.kind.replace('_', ' ')}: {verdict.summary or verdict.reason}"
            if verdict
            else "",
        )


def _why_unranked(row: TaskRow) -> str:
    if row.state in COMPARABLE:
        return f"{row.state}; tests {row.tests.get('status', 'not run') if row.tests else 'not run'}"
    if row.state == TaskState.FAILED:
        return f"the agent failed: {row.error or row.reason or 'no reason recorded'}"
    if row.state == TaskState.CANCELLED:
        return "cancelled before it finished"
    return f"no change to compare ({row.state})"
