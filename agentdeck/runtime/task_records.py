"""The shapes of the JSON columns of a task's row (`TaskRow` in store.py), as the session writes them.

Pure typing: the store keeps writing and reading plain JSON, these names only tell the checker
which keys a column holds. The verification columns are the `model_dump(mode="json")` of the
events.py payloads, so every field of the model is present; tests/test_task_records.py checks
that each record names exactly its model's fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypedDict, cast

from agentdeck.events import (
    ChangeStats,
    Check,
    CheckName,
    Severity,
    TestsResult,
    TestsStatus,
    Verdict,
    VerdictKind,
)

if TYPE_CHECKING:
    from agentdeck.workspace.merging import Method


class TestsRecord(TypedDict):
    """`tests`: a stored TestsResult."""

    status: TestsStatus
    command: str | None
    exit_code: int | None
    duration_s: float
    passed: int | None
    failed: int | None
    errors: int | None
    skipped: int | None
    message: str
    output_tail: str
    removed: list[str]


class FindingRecord(TypedDict):
    """One of `verdict.findings`: a stored Finding."""

    file: str | None
    line: int | None
    severity: Severity
    message: str


class VerdictRecord(TypedDict):
    """`verdict`: a stored Verdict."""

    kind: VerdictKind
    summary: str
    findings: list[FindingRecord]
    model: str | None
    reason: str
    same_family_warning: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class CheckRecord(TypedDict):
    """One of `checks`: a stored Check."""

    name: CheckName
    ok: bool
    message: str


class ChangeStatsRecord(TypedDict):
    """`stats`: a stored ChangeStats."""

    files_changed: int
    insertions: int
    deletions: int


class FeedbackRecord(TypedDict):
    """One of `feedback`: a change request; the stored form of replies.FeedbackEntry (same fields)."""

    text: str
    ts: float
    # False until a resumed run was given it in its context.
    delivered: bool


class MergedDecision(TypedDict):
    """`decision` of a merged task: where it landed and how."""

    kind: Literal["merged"]
    ts: float
    # None when it was merged outside agentdeck (the session only saw the branch in your HEAD).
    into: str | None
    commit: str | None
    method: Method | Literal["outside agentdeck", "sprint"]


class RejectedDecision(TypedDict):
    """`decision` of a rejected task."""

    kind: Literal["rejected"]
    ts: float
    reason: str


# `decision`: what you decided about the task; ResultDetails.decision and TaskStatus.decision
# (replies.py) carry it unchanged as a plain dict.
DecisionRecord = MergedDecision | RejectedDecision


# The verification payloads become records through pydantic's own serialisation, so the stored JSON
# is exactly what model_dump gives; the cast names its keys (test_task_records proves they agree).


def tests_record(tests: TestsResult) -> TestsRecord:
    return cast(TestsRecord, tests.model_dump(mode="json"))


def verdict_record(verdict: Verdict) -> VerdictRecord:
    return cast(VerdictRecord, verdict.model_dump(mode="json"))


def check_record(check: Check) -> CheckRecord:
    return cast(CheckRecord, check.model_dump(mode="json"))


def stats_record(stats: ChangeStats) -> ChangeStatsRecord:
    return cast(ChangeStatsRecord, stats.model_dump(mode="json"))
