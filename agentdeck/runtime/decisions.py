"""What you decide about results: merge (one, or several in an integration pass), reject, send back, clean up.

Each decision checks the task's state, does its git work in a thread, then changes the
task's state and publishes the event. Merges are serialised: two landings never race for
the base branch.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import TYPE_CHECKING, Any

import pygit2
from pydantic import BaseModel

from agentdeck.api import (
    Cleanup,
    Command,
    CreatePullRequest,
    GetResult,
    GetReview,
    Merge,
    Reject,
    RequestChanges,
    Retry,
)
from agentdeck.events import ChangesRequested, CleanedUp, Merged, PullRequestCreated, Rejected, TestsResult
from agentdeck.faults import fault_point
from agentdeck.replies import (
    CleanupEntry,
    CleanupReport,
    ConflictInfo,
    MergeReport,
    MergeStepInfo,
    PullRequestOpened,
    TaskReply,
)
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.store import TaskRow
from agentdeck.runtime.task_records import FeedbackRecord, MergedDecision, RejectedDecision
from agentdeck.task_state import TaskState
from agentdeck.workspace import WorkspaceError, merge_journal
from agentdeck.workspace.merge_journal import MergeIntent
from agentdeck.workspace.merging import Conflict, Method

if TYPE_CHECKING:
    from agentdeck.runtime.session import Session


class Decisions:
    """The session's decision commands; state and events go through the session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._merge_lock = asyncio.Lock()
        # Tasks a merge is landing right now: sending one back meanwhile would race the landing.
        self._merging: set[str] = set()

    @property
    def lock(self) -> asyncio.Lock:
        """Held by merges, cleanup and gc: none of them touches a branch or worktree while another runs."""
        return self._merge_lock

    async def answer(self, command: Command[Any]) -> BaseModel:
        """Serve one review command (see agentdeck/api.py) with its reply."""
        match command:
            case Merge():
                return await self.merge(command.task_ids)
            case Reject():
                return self.reject(command.agent_id, command.reason)
            case RequestChanges() | Retry():
                return self.send_back(command.agent_id, command.feedback)
            case Cleanup():
                return await self.cleanup(command.force)
            case CreatePullRequest():
                return await self.pull_request(command.agent_id)
            case GetReview():
                from agentdeck.runtime.review import review_list

                store = self.session.store
                return review_list(store.tasks(), store.rankings())
            case GetResult():
                from agentdeck.runtime.review import group_item, result_details

                store = self.session.store
                row = self.session.tasks.get(command.agent_id)
                details = await asyncio.to_thread(result_details, self.session.repo_root, row)
                details.sandbox = self.session.sandbox_of(row.id)  # the store has one owner: this thread
                if row.attempt_group:
                    group = row.attempt_group
                    details.group = group_item(store.group(group), store.rankings().get(group))
                if self.session.sprints.is_integration(row):
                    details.sprint = self.session.sprints.details(row.id)
                return details
            case _:
                raise CommandError(f"unknown review command {type(command).__name__}")

    # -- merge ---------------------------------------------------------------------------

    async def merge(self, task_ids: list[str]) -> MergeReport:
        s = self.session
        if len(set(task_ids)) != len(task_ids):
            raise CommandError(f"a task is given twice: {' '.join(task_ids)}")
        rows = [s.tasks.get(task_id) for task_id in task_ids]
        for row in rows:
            _check_state(row, row.state.can_merge, "merge")
        _check_one_attempt_per_group(rows)
        target = await self._target(rows)
        # Every row has a branch (checked above): the filter only tells the type checker so.
        branches = {row.branch: row for row in rows if row.branch}
        messages = {row.branch: _merge_message(row, target) for row in rows if row.branch}
        async with self._merge_lock:
            self._merging.update(task_ids)
            try:
                return await self._merge_locked(rows, target, branches, messages)
            finally:
                self._merging.difference_update(task_ids)

    async def _merge_locked(
        self, rows: list[TaskRow], target: str, branches: dict[str, TaskRow], messages: dict[str, str]
    ) -> MergeReport:
        from agentdeck.workspace.merging import MergeRefused, land, plan_merge

        s = self.session
        task_ids = [row.id for row in rows]
        for row in rows:  # decided meanwhile, while an earlier merge held the lock?
            current = s.tasks.get(row.id)
            _check_state(current, current.state.can_merge, "merge")
        try:
            plan = await asyncio.to_thread(plan_merge, s.repo_root, target, list(branches), messages)
        except WorkspaceError as exc:
            raise CommandError(str(exc), code="failed") from None
        report = MergeReport(merged=False, target=target)
        report.pair_conflicts = [_conflict(c) for c in plan.pair_conflicts]
        if plan.new_tip is None:  # a conflict stopped it
            report.conflicts = [_conflict(c) for c in plan.conflicts]
            files = ", ".join(c.path for c in plan.conflicts)
            report.reason = f"conflicts in {files}: nothing was merged"
            return report
        if len(rows) > 1 and s.settings.test_command and plan.new_tip != plan.old_tip:
            report.tests = await self._integration_tests(plan.new_tip)
            if report.tests.status != "passed":
                report.reason = f"the tests {report.tests.status} on the combined result ({report.tests.message}): nothing was merged"
                return report
        reflog = f"agentdeck: merge {', '.join(task_ids)}"
        methods: dict[str, Method] = {branches[step.branch].id: step.method for step in plan.steps}
        # Written before the first write to git: a crash from here on is finished on the next start.
        try:
            merge_journal.begin(
                self._journal_dir, MergeIntent(target, plan.old_tip, plan.new_tip, methods, task_ids)
            )
        except OSError as exc:
            raise CommandError(
                f"cannot write the merge journal in {self._journal_dir} ({exc}); nothing was merged",
                code="failed",
            ) from None
        try:
            landing = await asyncio.to_thread(land, s.repo_root, plan, reflog)
        except MergeRefused as exc:
            merge_journal.done(self._journal_dir)  # land wrote nothing
            raise CommandError(str(exc), code="failed") from None
        except (WorkspaceError, pygit2.GitError, OSError) as exc:
            # Cut off after a first write (a full disk, a stale lock): finish it from the journal
            # now if that works, else the journal stays for the next start. Never half-merged.
            outcome = self.recover() or "the merge journal is gone"
            raise CommandError(
                f"the merge was cut off partway ({exc}); {outcome}. "
                f"If it was not finished, the next start of the session finishes it (`agentdeck stop`, then `agentdeck status`)",
                code="failed",
            ) from None
        fault_point("merge:before-mark-merged")
        report.merged, report.commit = True, landing.commit
        report.checkout = str(landing.checkout) if landing.checkout else None
        for step in plan.steps:
            row = branches[step.branch]
            report.steps.append(MergeStepInfo(task_id=row.id, branch=step.branch, method=step.method))
        self._mark_merged(methods, target, landing.commit, f"merged into {target}")
        s.sprints.landed(task_ids, target, landing.commit)
        merge_journal.done(self._journal_dir)
        report.rejected = self._reject_other_attempts(rows)
        s.schedule()  # tasks queued --after these may start now
        return report

    def _reject_other_attempts(self, merged: list[TaskRow]) -> list[str]:
        """One attempt of a group landed: the others are turned down (still running ones cancelled)."""
        s = self.session
        done: list[str] = []
        for row in merged:
            if not row.attempt_group:
                continue
            for other in s.store.group(row.attempt_group):
                if other.id == row.id or other.state.is_closed:
                    continue
                why = f"attempt {row.id} of its group was merged instead"
                if other.state.can_reject:
                    s.tasks.set_state(
                        other,
                        TaskState.REJECTED,
                        f"{why}; its branch is kept until `agentdeck cleanup`",
                        decision=RejectedDecision(kind="rejected", ts=time.time(), reason=why),
                    )
                    s.publish(Rejected(task_id=other.id, agent_id=other.id, reason=why))
                else:  # queued, running or verifying: it will never be chosen now
                    s.cancel_attempt(other.id, why)
                done.append(other.id)
        return done

    def _mark_merged(self, methods: dict[str, Method], target: str, commit: str, why: str) -> None:
        s = self.session
        for task_id, method in methods.items():
            row = s.store.task(task_id)
            if row is None or row.state == TaskState.MERGED:
                continue
            s.tasks.set_state(
                row,
                TaskState.MERGED,
                f"{why} ({method})",
                decision=MergedDecision(
                    kind="merged", ts=time.time(), into=target, commit=commit, method=method
                ),
            )
            together = [other for other in methods if other != task_id]
            s.publish(
                Merged(
                    task_id=task_id,
                    agent_id=task_id,
                    into=target,
                    commit=commit,
                    method=method,
                    together=together,
                )
            )

    @property
    def _journal_dir(self):
        return self.session.store.path.parent

    def recover(self) -> str | None:
        """Finish a merge a crash cut in half (see merge_journal); what happened, or None when none was."""
        try:
            intent = merge_journal.pending(self._journal_dir)
            if intent is None:
                return None
            recovery = merge_journal.complete(
                self.session.repo_root, intent, f"agentdeck: finish merge {', '.join(intent.methods)}"
            )
        except Exception as exc:  # noqa: BLE001 - a journal must never stop the session from starting
            return f"an interrupted merge was left as it is ({type(exc).__name__}: {exc}); finish or undo it by hand in git, then delete {merge_journal.journal_path(self._journal_dir)}"
        if recovery.landed:
            self._mark_merged(
                intent.methods,
                intent.target,
                intent.new_tip,
                f"merged into {intent.target}, {recovery.reason}",
            )
        merge_journal.done(self._journal_dir)
        return f"merge of {', '.join(intent.methods)}: {recovery.reason}"

    async def _target(self, rows: list[TaskRow]) -> str:
        targets = {row.base_branch for row in rows if row.base_branch}
        if len(targets) > 1:
            raise CommandError(
                f"these tasks started from different branches ({', '.join(sorted(targets))}): merge them separately"
            )
        if targets:
            return targets.pop()
        # Tasks from before base branches were recorded land on your current branch.
        from agentdeck.workspace import open_repository

        repo = await asyncio.to_thread(open_repository, self.session.repo_root)
        if repo.head_is_detached:
            raise CommandError(
                "your HEAD is detached and the tasks have no recorded base branch: switch to the branch to merge into"
            )
        return repo.head.shorthand

    async def _integration_tests(self, commit: str) -> TestsResult:
        """The test command on the combined result, in a temporary worktree that is removed afterwards."""
        from agentdeck.runtime.project_tests import run_tests
        from agentdeck.workspace import create_task_workspace, open_repository
        from agentdeck.workspace.cleanup import INTEGRATION_PREFIX, remove_integration_workspace

        s = self.session
        workspace_id = f"{INTEGRATION_PREFIX}{secrets.token_hex(3)}"

        def create():
            return create_task_workspace(
                open_repository(s.repo_root), workspace_id, s.settings.worktrees_dir, base=commit
            )

        try:
            workspace = await asyncio.to_thread(create)
        except WorkspaceError as exc:
            return TestsResult(
                status="error",
                command=s.settings.test_command,
                message=f"no worktree for the combined result: {exc}",
            )
        try:
            return await run_tests(
                s.settings.test_command, workspace.path, s.settings.review.test_timeout_seconds
            )
        finally:
            await asyncio.shield(asyncio.to_thread(remove_integration_workspace, s.repo_root, workspace_id))

    # -- reject, send back -----------------------------------------------------------------

    def reject(self, task_id: str, reason: str) -> TaskReply:
        s = self.session
        row = s.tasks.get(task_id)
        _check_state(row, row.state.can_reject, "reject")
        self._check_not_merging(task_id, "reject")
        why = reason.strip() or "rejected by the user"
        s.tasks.set_state(
            row,
            TaskState.REJECTED,
            f"{why}; its branch is kept until `agentdeck cleanup`",
            decision=RejectedDecision(kind="rejected", ts=time.time(), reason=why),
        )
        s.publish(Rejected(task_id=task_id, agent_id=task_id, reason=why))
        s.schedule()
        return TaskReply(task_id=task_id, state=TaskState.REJECTED)

    def send_back(self, task_id: str, feedback: str | None) -> TaskReply:
        """Queue the task again on its branch; `feedback` goes into the next run's context."""
        s = self.session
        row = s.tasks.get(task_id)
        verb = "request changes to" if feedback else "retry"
        _check_state(row, row.state.can_send_back, verb)
        self._check_not_merging(task_id, verb)
        if row.cleaned is not None:
            raise CommandError(
                f"cannot {verb} task {task_id}: cleanup removed its worktree; queue it again as a new task"
            )
        entries = list(row.feedback or [])
        text = (feedback or "").strip()
        if text:
            entries.append(FeedbackRecord(text=text, ts=time.time(), delivered=False))
        s.store.update_task(
            task_id,
            feedback=entries or None,
            resume=bool(row.branch),
            error=None,
            tests=None,
            verdict=None,
            checks=None,
            stats=None,
            decision=None,
        )
        if text:
            s.publish(ChangesRequested(task_id=task_id, agent_id=task_id, feedback=text))
        reason = f"changes requested: {' '.join(text.split())[:200]}" if text else "retried by the user"
        s.tasks.set_state(s.tasks.get(task_id), TaskState.QUEUED, reason)
        s.schedule()
        return TaskReply(task_id=task_id, state=s.tasks.get(task_id).state)

    async def pull_request(self, task_id: str) -> PullRequestOpened:
        from agentdeck.runtime.pull_request import create_pull_request

        s = self.session
        row = s.tasks.get(task_id)
        if not row.branch:
            raise CommandError(f"task {task_id} has no branch (its agent never started): nothing to propose")
        if row.state.in_queue and row.state != TaskState.INTERRUPTED:
            raise CommandError(f"task {task_id} is {row.state}: wait until it is done")
        base = await self._target([row])
        url = await create_pull_request(s.repo_root, row, base)
        s.publish(PullRequestCreated(task_id=task_id, agent_id=task_id, url=url, branch=row.branch))
        return PullRequestOpened(task_id=task_id, url=url)

    def _check_not_merging(self, task_id: str, verb: str) -> None:
        if task_id in self._merging:
            raise CommandError(
                f"cannot {verb} task {task_id}: a merge of it is in progress; try again when it is done"
            )

    # -- cleanup -------------------------------------------------------------------------------

    async def cleanup(self, force: bool) -> CleanupReport:
        from agentdeck.workspace.cleanup import integration_leftovers, remove_integration_workspace

        s = self.session
        report = CleanupReport(force=force)
        async with self._merge_lock:
            for row in s.store.tasks():
                # A person decided about these: their worktrees are what cleanup removes.
                if not row.state.is_decided or not row.branch:
                    continue
                entry = await self.clean(row, force=force)
                if entry is not None:
                    report.results.append(entry)
            for leftover in await asyncio.to_thread(integration_leftovers, s.repo_root):
                await asyncio.to_thread(remove_integration_workspace, s.repo_root, leftover)
                report.integration_leftovers.append(leftover)
        return report

    async def clean(
        self, row: TaskRow, *, force: bool = False, keep_refs: bool = False, by: str = "cleanup"
    ) -> CleanupEntry | None:
        """Clean one decided task up (the caller holds `lock`); None when nothing of it was left.

        `keep_refs` (gc): only the worktree goes, every branch and ref stays."""
        from agentdeck.workspace.cleanup import cleanup_task

        s = self.session
        result = await asyncio.to_thread(cleanup_task, s.repo_root, row.id, force=force, keep_refs=keep_refs)
        if not (result.worktree_removed or result.branch_deleted or result.kept):
            return None
        if result.worktree_removed or result.branch_deleted:
            if result.worktree_removed:
                s.store.update_task(row.id, cleaned=time.time())
            s.publish(
                CleanedUp(
                    task_id=row.id,
                    agent_id=row.id,
                    worktree_removed=result.worktree_removed,
                    branch_deleted=result.branch_deleted,
                    commits_dropped=result.dropped,
                    bytes_freed=result.bytes_freed,
                    by=by,  # type: ignore[arg-type]
                )
            )
        return CleanupEntry(
            task_id=row.id,
            state=row.state,
            worktree_removed=result.worktree_removed,
            branch_deleted=result.branch_deleted,
            dropped=result.dropped,
            unmerged=result.unmerged,
            kept=result.kept,
            bytes_freed=result.bytes_freed,
            kept_ref=result.kept_ref,
        )


def _check_state(row: TaskRow, allowed: bool, verb: str) -> None:
    """Refuse `verb` on `row` unless its state allows it (`allowed`), saying what to do instead."""
    if allowed:
        if verb == "merge" and not row.branch:
            raise CommandError(f"task {row.id} has no branch (its agent never started): nothing to merge")
        return
    hints = {
        TaskState.VERIFYING: "its tests and judge are still running: wait for the verdict (`agentdeck status`)",
        TaskState.QUEUED: "it has not run yet",
        TaskState.RUNNING: "its agent is still running",
        TaskState.WAITING: "its agent is waiting for you: steer it, or cancel it first",
        TaskState.STALLED: "its agent is stalled: interrupt, resume or cancel it first",
        TaskState.MERGED: "it is already merged",
        TaskState.REJECTED: "it is already rejected",
    }
    hint = hints.get(row.state, f"it is {row.state}")
    raise CommandError(f"cannot {verb} task {row.id}: {hint}")


def _check_one_attempt_per_group(rows: list[TaskRow]) -> None:
    groups: dict[str, str] = {}
    for row in rows:
        if row.attempt_group in groups:
            raise CommandError(
                f"{groups[row.attempt_group]} and {row.id} are attempts at the same task (group "
                f"{row.attempt_group}): merge one of them; the others are rejected with it"
            )
        if row.attempt_group:
            groups[row.attempt_group] = row.id


def _merge_message(row: TaskRow, target: str) -> str:
    first = " ".join(row.task.split())[:72]
    return f"Merge {row.branch} into {target}: {first}\n\nTask {row.id}, by an agentdeck agent.\n"


def _conflict(conflict: Conflict) -> ConflictInfo:
    return ConflictInfo(path=conflict.path, between=list(conflict.between), kind=conflict.kind)
