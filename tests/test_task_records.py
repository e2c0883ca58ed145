"""The TypedDicts of task_records.py name exactly what the session stores in a task's JSON columns."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from pydantic import BaseModel

from agentdeck.events import ChangeStats, Check, Finding, TestsResult, Verdict
from agentdeck.replies import FeedbackEntry
from agentdeck.runtime import task_records as records
from agentdeck.runtime.store import Store, TaskRow


@pytest.mark.parametrize(
    ("record", "model"),
    [
        (records.TestsRecord, TestsResult),
        (records.VerdictRecord, Verdict),
        (records.FindingRecord, Finding),
        (records.CheckRecord, Check),
        (records.ChangeStatsRecord, ChangeStats),
        # Feedback is written by hand; its reply form is FeedbackEntry.
        (records.FeedbackRecord, FeedbackEntry),
    ],
)
def test_each_record_names_every_field_of_its_model_and_no_other(
    record: type, model: type[BaseModel]
) -> None:
    # model_dump writes every field, so each key is always there (none NotRequired).
    assert record.__required_keys__ == set(model.model_fields)
    assert record.__optional_keys__ == frozenset()


def test_verification_records_are_stored_as_model_dump_and_read_back_as_the_same_payloads(
    tmp_path: Path,
) -> None:
    tests = TestsResult(status="failed", command="pytest", exit_code=1, passed=3, failed=1, removed=["x.tmp"])
    verdict = Verdict(
        kind="request_changes",
        summary="close",
        findings=[Finding(file="a.py", line=3, severity="major", message="off by one")],
        model="demo",
    )
    check = Check(name="size", ok=False, message="too big")
    stats = ChangeStats(files_changed=2, insertions=10, deletions=1)
    store = Store(tmp_path / "s.db")
    store.add_task(TaskRow(id="t-1", task="do it", state="verifying"))
    store.update_task(
        "t-1",
        tests=records.tests_record(tests),
        verdict=records.verdict_record(verdict),
        checks=[records.check_record(check)],
        stats=records.stats_record(stats),
    )

    raw = (
        sqlite3.connect(tmp_path / "s.db")
        .execute("SELECT tests, verdict, checks, stats FROM tasks WHERE id = 't-1'")
        .fetchone()
    )
    assert raw == (
        json.dumps(tests.model_dump(mode="json")),
        json.dumps(verdict.model_dump(mode="json")),
        json.dumps([check.model_dump(mode="json")]),
        json.dumps(stats.model_dump(mode="json")),
    )
    row = store.task("t-1")
    assert row is not None and row.tests and row.verdict and row.checks and row.stats
    assert TestsResult.model_validate(row.tests) == tests
    assert Verdict.model_validate(row.verdict) == verdict
    assert [Check.model_validate(c) for c in row.checks] == [check]
    assert ChangeStats.model_validate(row.stats) == stats
