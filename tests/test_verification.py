"""Verification of a finished task on a real repository: the test command, the checks, the judge, the events."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from agentdeck.config import Settings
from agentdeck.events import TestsFinished, VerificationFinished, VerificationStarted
from agentdeck.runtime.checks import file_kind, scope_check, task_types
from agentdeck.runtime.project_tests import parse_counts
from agentdeck.runtime.verification import Subject, Verifier
from agentdeck.workspace import create_task_workspace, open_repository
from agentdeck.workspace.residue import changed_paths
from tests.support.git_repos import make_repo
from tests.support.scripted_model import ScriptedModel, Turn

PROJECT = {
    "README.md": "# calc\n",
    "calc.py": "def add(a, b):\n    return a + b\n",
    "tests/__init__.py": "",
    "tests/test_calc.py": (
        "import unittest\n\nfrom calc import add\n\n\n"
        "class AddTest(unittest.TestCase):\n"
        "    def test_adds(self):\n        self.assertEqual(add(2, 3), 5)\n\n"
        "    def test_zero(self):\n        self.assertEqual(add(0, 0), 0)\n"
    ),
}
UNITTEST = f"{sys.executable} -m unittest -q"


def settings(**review) -> Settings:
    s = Settings()
    s.demo.tokens_per_second = 0
    s.test_command = UNITTEST
    for key, value in review.items():
        setattr(s.review, key, value)
    return s


def changed_task(
    repo: Path, task_id: str, files: dict[str, str], task: str = "make add handle strings"
) -> Subject:
    workspace = create_task_workspace(open_repository(repo), task_id)
    for name, text in files.items():
        (Path(workspace.path) / name).write_text(text)
    if files:
        workspace.checkpoint("the agent's change")
    return Subject(task_id, task, "1. edit calc.py", Path(workspace.path), workspace.base_commit, "demo", [])


class Recorder:
    def __init__(self) -> None:
        self.events = []

    def __call__(self, event):
        self.events.append(event)
        return event


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "calc", PROJECT)


async def test_green_tests_are_counted_and_the_demo_judge_approves(project: Path) -> None:
    subject = changed_task(
        project, "strings-1", {"calc.py": "def add(a, b):\n    # TODO: strings\n    return a + b\n"}
    )
    events = Recorder()
    result = await Verifier(project, settings(), events).verify(subject)
    assert [type(e) for e in events.events] == [VerificationStarted, TestsFinished, VerificationFinished]
    assert events.events[0].test_command == UNITTEST and events.events[0].judge_model == "demo"
    tests = result.tests
    assert tests.status == "passed" and (tests.passed, tests.failed) == (2, 0) and tests.exit_code == 0
    assert tests.message.startswith("2 passed in ") and "OK" in tests.output_tail
    assert (
        result.verdict.kind == "approve"
        and result.verdict.findings[0].file == "calc.py"
        and result.verdict.findings[0].line == 2
    )
    assert "demo model judged the demo model's work" in result.verdict.same_family_warning
    assert result.stats.files_changed == 1 and result.stats.insertions == 1
    assert result.flags == ["judge of the executor's family"]


async def test_failing_tests_are_reported_with_counts_and_flagged(project: Path) -> None:
    subject = changed_task(project, "break-1", {"calc.py": "def add(a, b):\n    return a - b\n"})
    result = await Verifier(project, settings(), Recorder()).verify(subject)
    assert result.tests.status == "failed" and result.tests.failed == 1 and result.tests.passed == 1
    assert result.tests.message.startswith("1 passed, 1 failed in ")
    assert result.verdict.kind == "request_changes"
    assert "tests failed" in result.flags and "judge: request changes" in result.flags


async def test_a_test_command_that_hangs_is_killed_at_the_timeout(project: Path) -> None:
    subject = changed_task(project, "slow-1", {"calc.py": "X = 1\n"})
    s = settings(test_timeout_seconds=0.5, judge=False)
    s.test_command = "sleep 30"
    result = await Verifier(project, s, Recorder()).verify(subject)
    assert result.tests.status == "timeout" and result.tests.message == "timed out after 0.5 s and was killed"
    assert (
        result.tests.duration_s < 5 and result.verdict.kind == "skipped" and "tests timeout" in result.flags
    )


async def test_a_runner_that_found_no_tests_is_not_a_pass(project: Path) -> None:
    subject = changed_task(project, "none-1", {"NOTES.md": "notes\n"}, task="write notes")
    s = settings(judge=False)
    s.test_command = "echo 'Ran 0 tests in 0.000s'; echo; echo OK"
    result = await Verifier(project, s, Recorder()).verify(subject)
    assert result.tests.status == "error" and result.tests.message.startswith("no tests ran")
    assert "tests error" in result.flags


async def test_no_test_command_is_said_and_the_judge_still_runs(project: Path) -> None:
    subject = changed_task(project, "notes-1", {"NOTES.md": "notes\n"}, task="write notes")
    s = settings()
    s.test_command = None
    result = await Verifier(project, s, Recorder()).verify(subject)
    assert result.tests.status == "not_configured" and "set test_command" in result.tests.message
    assert result.verdict.kind == "approve"


async def test_what_the_test_run_leaves_in_the_worktree_is_removed(project: Path) -> None:
    subject = changed_task(project, "debris-1", {"NOTES.md": "notes\n"}, task="write notes")
    s = settings(judge=False)
    s.test_command = "mkdir -p build && echo x > build/out.txt && echo changed > README.md"
    result = await Verifier(project, s, Recorder()).verify(subject)
    assert result.tests.status == "passed" and result.tests.removed == ["README.md", "build/out.txt"]
    assert "removed 2 files it left in the worktree" in result.tests.message
    assert (
        changed_paths(subject.worktree) == set()
        and (subject.worktree / "README.md").read_text() == "# calc\n"
    )


async def test_a_large_mixed_change_is_flagged(project: Path) -> None:
    subject = changed_task(
        project,
        "big-1",
        {"calc.py": "".join(f"X{n} = {n}\n" for n in range(30))},
        task="refactor calc and document it",
    )
    result = await Verifier(project, settings(diff_budget_lines=20, judge=False), Recorder()).verify(subject)
    checks = {c.name: c for c in result.checks}
    assert (
        not checks["size"].ok
        and checks["size"].message
        == "too large to review in one sitting: 32 changed lines (budget 20) — split it"
    )
    assert not checks["task_types"].ok and "refactor + docs" in checks["task_types"].message
    assert "too large" in result.flags and "mixed task types" in result.flags


async def test_a_malformed_verdict_is_stored_as_judge_failed_and_verification_ends(project: Path) -> None:
    subject = changed_task(project, "judge-1", {"calc.py": "def add(a, b):\n    return a + b\n\nX = 1\n"})
    scripted = ScriptedModel([Turn(text='{"decision": "approve", "summary": ')])
    events = Recorder()
    result = await Verifier(project, settings(), events, judge_client=lambda: scripted).verify(subject)
    assert result.verdict.kind == "judge_failed" and "held no JSON object" in result.verdict.reason
    assert "judge failed" in result.flags and isinstance(events.events[-1], VerificationFinished)
    # The judge saw the task, the plan, the tests and the diff, with fresh context.
    request = scripted.requests[0]
    assert (
        len(request) == 2
        and "make add handle strings" in request[1]["content"]
        and "+X = 1" in request[1]["content"]
    )
    assert "2 passed" in request[1]["content"]


async def test_a_task_that_changed_nothing_is_not_tested_or_judged(project: Path) -> None:
    subject = changed_task(project, "empty-1", {})
    result = await Verifier(project, settings(), Recorder()).verify(subject)
    assert (
        result.tests.status == "skipped"
        and result.verdict.kind == "skipped"
        and result.stats.files_changed == 0
    )


async def test_cancelling_verification_kills_the_test_command(project: Path, tmp_path: Path) -> None:
    subject = changed_task(project, "cancel-1", {"calc.py": "X = 1\n"})
    pid_file = tmp_path / "pid"
    s = settings(judge=False)
    # Unconfined, so the pid file (outside the worktree) and $$ are the host's; the confined case
    # is tests/test_sandbox.py::test_an_interrupted_confined_command_leaves_no_process.
    s.sandbox.mode = "off"
    s.test_command = f"echo $$ > {pid_file}; sleep 60"
    run = asyncio.create_task(Verifier(project, s, Recorder()).verify(subject))
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.02)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize(
    ("output", "counts"),
    [
        (
            "=== 3 failed, 12 passed, 1 skipped, 2 errors in 3.21s ===",
            {"failed": 3, "passed": 12, "skipped": 1, "errors": 2},
        ),
        ("....\n12 passed in 0.12s\n", {"passed": 12}),
        (
            "Ran 5 tests in 0.001s\n\nFAILED (failures=1, errors=1, skipped=1)\n",
            {"passed": 2, "failed": 1, "errors": 1, "skipped": 1},
        ),
        ("Ran 4 tests in 0.001s\n\nOK\n", {"passed": 4, "failed": 0, "errors": 0, "skipped": 0}),
        ("Tests:       1 failed, 2 skipped, 5 passed, 8 total", {"failed": 1, "skipped": 2, "passed": 5}),
        (
            "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured\ntest result: FAILED. 1 passed; 2 failed; 0 ignored;",
            {"passed": 4, "failed": 2, "skipped": 1},
        ),
        ("all good", {}),
    ],
)
def test_counts_are_read_from_common_test_runners(output: str, counts: dict) -> None:
    assert parse_counts(output) == counts


@pytest.mark.parametrize(
    ("task", "kinds"),
    [
        ("refactor the parser and add a --verbose flag", ["refactor", "feature"]),
        ("add tests for the parser", ["tests"]),
        ("write a CONTRIBUTING.md with how to run the tests", ["docs"]),
        ("speed up the test suite", ["performance"]),
        ("refactor the parser, speed up tokenizing and document it", ["refactor", "performance", "docs"]),
        ("take notes", []),
    ],
)
def test_task_types_are_read_clause_by_clause(task: str, kinds: list[str]) -> None:
    assert task_types(task) == kinds


def test_a_docs_task_that_changed_code_is_out_of_scope() -> None:
    assert [file_kind(p) for p in ("docs/a.md", "tests/test_x.py", "src/x.py", "web/x.test.ts")] == [
        "docs",
        "tests",
        "code",
        "tests",
    ]
    assert not scope_check("document the io module", ["docs/io.md", "src/io.py"]).ok
    assert scope_check("document the io module", ["docs/io.md"]).ok
    assert scope_check("add a --verbose flag", ["src/io.py", "docs/io.md"]).ok


def test_verification_events_round_trip_as_json() -> None:
    from agentdeck.events import parse_event

    event = VerificationStarted(task_id="t", test_command="pytest")
    assert parse_event(json.loads(event.model_dump_json())) == event
