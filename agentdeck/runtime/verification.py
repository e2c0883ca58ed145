"""Verification of one finished task: its tests, the checks, then the judge — published as events.

Runs on the session's loop without blocking it: git work in threads, the test command as
an asyncio subprocess, the judge as one model turn. Cancelling the coroutine (the session
stops) kills the test command and leaves the worktree as it was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentdeck.agent.tools.sandbox import sandbox_policy
from agentdeck.config import Settings
from agentdeck.events import (
    ChangeStats,
    Check,
    Event,
    TestsFinished,
    TestsResult,
    Verdict,
    VerificationFinished,
    VerificationStarted,
)
from agentdeck.llm.types import ModelClient
from agentdeck.runtime.checks import flags, run_checks
from agentdeck.runtime.judge import ask_judge, build_messages, same_family_warning
from agentdeck.runtime.project_tests import not_run, run_tests
from agentdeck.workspace import WorkspaceError
from agentdeck.workspace.diffs import branch_diff


@dataclass
class Subject:
    """What is verified: one task's change, where it lives, and who wrote it."""

    task_id: str
    task: str
    plan: str | None
    worktree: Path
    base_commit: str
    executor_model: str
    # Change requests so far: the judge checks that they were addressed.
    feedback: list[str]
    # A sprint's integration: the whole feature, merged from its roles' branches.
    sprint: bool = False


class Verifier:
    """Verifies finished tasks; `test_slots` bounds how many test commands run at once."""

    def __init__(
        self,
        repo_root: Path,
        settings: Settings,
        publish: Callable[[Event], Event],
        judge_client: Callable[[], ModelClient] | None = None,
    ) -> None:
        self.repo_root = Path(repo_root)
        self.settings = settings
        self.publish = publish
        self.test_slots = asyncio.Semaphore(settings.review.test_concurrency)
        # Tests put a scripted model here; by default the `judge` role's model.
        self._judge_client = judge_client or self._judge_role_client

    async def verify(self, subject: Subject) -> VerificationFinished:
        review = self.settings.review
        judge_role = self.settings.role("judge")
        ids: dict[str, Any] = {"task_id": subject.task_id, "agent_id": subject.task_id}
        self.publish(
            VerificationStarted(
                **ids,
                test_command=self.settings.test_command,
                judge_model=judge_role.model if review.judge else None,
            )
        )
        try:
            diff = await asyncio.to_thread(
                branch_diff, self.repo_root, subject.task_id, subject.base_commit, review.judge_diff_chars
            )
        except WorkspaceError as exc:
            return self._finish(
                subject,
                not_run("error", f"the change could not be read: {exc}", self.settings.test_command),
                Verdict(kind="skipped", reason=f"nothing to judge: {exc}"),
                ChangeStats(),
                [],
            )
        stats = ChangeStats(
            files_changed=len(diff.files), insertions=diff.insertions, deletions=diff.deletions
        )
        changed = [f.path for f in diff.files]
        task_text = _with_feedback(subject.task, subject.feedback)
        checks = run_checks(subject.task, stats, changed, review.diff_budget_lines, sprint=subject.sprint)
        if not diff.files:
            skipped = not_run(
                "skipped", "the agent changed nothing: no tests to run", self.settings.test_command
            )
            verdict = Verdict(kind="skipped", reason="the agent changed nothing: nothing to judge")
            return self._finish(subject, skipped, verdict, stats, checks)
        async with self.test_slots:
            # The project's tests are code the agent may have written: same sandbox as its commands.
            policy = await asyncio.to_thread(sandbox_policy, self.settings)
            tests = await run_tests(
                self.settings.test_command, subject.worktree, review.test_timeout_seconds, policy
            )
        self.publish(TestsFinished(**ids, tests=tests))
        if review.judge:
            client = self.judge_client()
            messages = build_messages(
                task_text, subject.plan, diff.text, diff.cut, diff.total_chars, tests, stats
            )
            verdict = await ask_judge(client, messages, review.judge_timeout_seconds)
            verdict.same_family_warning = same_family_warning(client.model, subject.executor_model)
        else:
            verdict = Verdict(kind="skipped", reason="the judge is off (review.judge = false)")
        return self._finish(subject, tests, verdict, stats, checks)

    def judge_client(self) -> ModelClient:
        """The judge's model client (also the one that ranks best-of-N attempts)."""
        return self._judge_client()

    def _judge_role_client(self) -> ModelClient:
        from agentdeck.runtime.task_start import client_for

        return client_for(self.settings.role("judge"), self.settings)

    def _finish(
        self, subject: Subject, tests: TestsResult, verdict: Verdict, stats: ChangeStats, checks: list[Check]
    ) -> VerificationFinished:
        event = VerificationFinished(
            task_id=subject.task_id,
            agent_id=subject.task_id,
            tests=tests,
            verdict=verdict,
            checks=checks,
            stats=stats,
            flags=flags(tests, verdict, checks),
        )
        self.publish(event)
        return event


def _with_feedback(task: str, feedback: list[str]) -> str:
    if not feedback:
        return task
    requests = "\n".join(f"- {text.strip()}" for text in feedback)
    return f"{task.strip()}\n\nThe reviewer asked for these changes since, which the change must address:\n{requests}"


def verified_reason(result: VerificationFinished) -> str:
    """One line for the task list: the verdict, the tests, the size."""
    verdict = result.verdict
    judged = {
        "approve": "judge approves",
        "request_changes": "judge requests changes",
        "reject": "judge rejects",
        "judge_failed": "judge failed",
        "skipped": "not judged",
    }[verdict.kind]
    parts = [
        judged,
        f"tests {result.tests.status.replace('_', ' ')}",
        f"+{result.stats.insertions} −{result.stats.deletions}",
    ]
    parts += [flag for flag in result.flags if not flag.startswith(("tests ", "judge"))]
    return "verified: " + " · ".join(parts) + ": `agentdeck review`"
