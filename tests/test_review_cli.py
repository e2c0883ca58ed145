"""The morning review as a user runs it: `agentdeck review/merge/reject/retry/cleanup` against a real daemon."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.git_repos import git
from tests.support.session import kill_daemon

NOTES = "agentdeck-demo-notes.md"
SETTLED = ("finished", "failed", "merged", "rejected", "cancelled", "interrupted")


@pytest.fixture
def cli(repo: Path, agentdeck_cmd):
    def run(*args: str, **kwargs):
        return run_cli(agentdeck_cmd, *args, cwd=repo, **kwargs)

    yield run
    kill_daemon(repo)


def queue(cli, text: str) -> str:
    result = cli("queue", "add", "--json", text)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["task_id"]


def wait_settled(cli, ids: list[str], timeout: float = 90) -> dict[str, dict]:
    deadline = time.monotonic() + timeout
    while True:
        status = json.loads(cli("status", "--json").stdout)
        tasks = {t["id"]: t for t in status["tasks"] if t["id"] in ids}
        if len(tasks) == len(ids) and all(t["state"] in SETTLED for t in tasks.values()):
            return tasks
        assert time.monotonic() < deadline, (
            f"tasks did not settle: {[(t['id'], t['state']) for t in tasks.values()]}"
        )
        time.sleep(0.3)


def test_review_merge_reject_retry_and_cleanup_from_the_command_line(repo: Path, cli) -> None:
    first, second, third = (
        queue(cli, text)
        for text in ("take notes on the readme", "take notes on the source", "take notes on the tests")
    )
    wait_settled(cli, [first, second, third])

    listing = json.loads(cli("review", "--json").stdout)
    results = {r["task_id"]: r for r in listing["results"]}
    assert set(results) == {first, second, third}
    for item in results.values():
        assert item["verdict"] == "approve" and item["tests"] == "not_configured" and item["needs_decision"]
        assert (
            item["files_changed"] == 1
            and item["insertions"] > 0
            and "judge of the executor's family" in item["flags"]
        )
    assert listing["summary"]["done"] == 3 and listing["summary"]["approved"] == 3

    merged = cli("merge", first)
    assert merged.returncode == 0, merged.stderr
    assert f"merged {first} into main (fast-forward)" in merged.stdout
    assert (repo / NOTES).exists() and git(repo, "status", "--porcelain") == ""

    # Every demo result writes the same notes file: the second one now conflicts, and nothing is written.
    head = git(repo, "rev-parse", "main")
    conflict = cli("merge", second)
    assert conflict.returncode == 1
    assert f"conflict  {NOTES} (added on both sides) between main and agentdeck/{second}" in conflict.stderr
    assert git(repo, "rev-parse", "main") == head and git(repo, "status", "--porcelain") == ""

    rejected = cli("reject", second, "conflicts", "with", "the", "first")
    assert rejected.returncode == 0 and f"rejected {second}" in rejected.stdout

    retried = cli("retry", third, "--feedback", "mention the invoice rounding rule")
    assert retried.returncode == 0, retried.stderr
    assert "with your feedback in its context" in retried.stdout
    rows = wait_settled(cli, [third])
    assert rows[third]["state"] == "finished"
    notes = git(repo, "show", f"agentdeck/{third}:{NOTES}")
    assert "- mention the invoice rounding rule" in notes

    table = cli("review")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:5] == ["ID", "STATE", "VERDICT", "TESTS", "SIZE"]
    assert lines[1].startswith(third)  # the one that still needs a decision comes first
    assert "3 done · 3 approved" in table.stdout and "1 merged · 1 rejected · 1 to review" in table.stdout
    assert "decide: agentdeck merge ID" in table.stdout  # no terminal: the list, not the review screen

    one = cli("review", third)
    assert one.returncode == 0 and "judge (demo): approve" in one.stdout and f"+++ b/{NOTES}" in one.stdout
    assert "feedback: mention the invoice rounding rule" in one.stdout

    cleanup = cli("cleanup")
    assert cleanup.returncode == 0, cleanup.stderr
    assert f"{first} (merged): worktree removed, branch deleted" in cleanup.stdout
    assert f"{second} (rejected): worktree removed; kept: branch agentdeck/{second} has" in cleanup.stdout
    assert "`agentdeck cleanup --force` deletes them" in cleanup.stdout
    assert git(repo, "branch", "--list", f"agentdeck/{second}").strip()
    forced = cli("cleanup", "--force")
    assert f"{second} (rejected): branch deleted;" in forced.stdout and "deleted (--force)" in forced.stdout
    assert not git(repo, "branch", "--list", f"agentdeck/{second}").strip()
    assert git(repo, "branch", "--list", f"agentdeck/{third}").strip()  # undecided work is never touched

    logs = cli("logs")
    assert (
        f"[{first}] merged into main (fast-forward" in logs.stdout
        and f"[{second}] rejected: conflicts with the first" in logs.stdout
    )
    assert f"[{third}] changes requested: mention the invoice rounding rule" in logs.stdout
    assert f"[{third}] verdict: approve" in logs.stdout
    assert git(repo, "status", "--porcelain") == ""
    assert cli("stop").returncode == 0


def test_decisions_on_unknown_or_unfinished_tasks_are_usage_errors(repo: Path, cli) -> None:
    for args in (
        ("merge", "nope"),
        ("reject", "nope"),
        ("retry", "nope", "--feedback", "x"),
        ("review", "nope"),
    ):
        result = cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        # (the first command also says that it started the daemon)
        assert (
            result.stderr.strip().splitlines()[-1]
            == "agentdeck: error: unknown task id 'nope': `agentdeck queue list` shows the ids"
        )
    empty = cli("review")
    assert "no results yet" in empty.stdout and "0 done · 0 approved · 0 failed · 0 to review" in empty.stdout
    assert (
        cli("cleanup").stdout.strip()
        == "nothing to clean up: no merged or rejected task has a worktree or branch left"
    )
