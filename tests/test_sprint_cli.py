"""`agentdeck sprint` as a new user runs it: the demo model, a real daemon, real git, one result to merge."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.git_repos import git
from tests.support.session import kill_daemon

FEATURE = "Add an export to CSV with tests and docs"


@pytest.fixture
def cli(repo: Path, agentdeck_cmd):
    def run(*args: str, **kwargs):
        return run_cli(agentdeck_cmd, *args, cwd=repo, **kwargs)

    yield run
    kill_daemon(repo)


def wait_for_sprint(cli, sprint_id: str, states: tuple[str, ...], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        sprint = json.loads(cli("sprint", "show", sprint_id, "--json").stdout)
        if sprint["state"] in states:
            return sprint
        assert time.monotonic() < deadline, f"the sprint stayed {sprint['state']}"
        time.sleep(0.3)


def test_dry_run_shows_the_plan_and_starts_nothing(repo: Path, cli) -> None:
    result = cli("sprint", "--model", "demo", "--dry-run", FEATURE)
    assert result.returncode == 0, result.stderr
    assert "TASK   ROLE     DEPENDS ON" in result.stdout and "tests  testing  core" in result.stdout
    assert "nothing was started" in result.stderr
    assert json.loads(cli("status", "--json").stdout)["tasks"] == []
    assert "agentdeck/" not in git(repo, "branch", "--list")


def test_a_vague_feature_is_refused_with_what_to_ask(repo: Path, cli) -> None:
    result = cli("sprint", "--model", "demo", "--yes", "make it better")
    assert result.returncode == 2
    assert "too vague to split into tasks" in result.stderr


def test_a_demo_sprint_ends_in_one_integrated_tested_result_that_merge_lands(repo: Path, cli) -> None:
    started = cli("sprint", "--model", "demo", "--yes", "--json", FEATURE)
    assert started.returncode == 0, started.stderr
    sprint_id = json.loads(started.stdout)["sprint_id"]
    sprint = wait_for_sprint(cli, sprint_id, ("ready for review", "needs you"))
    assert sprint["state"] == "ready for review", sprint["reason"]
    assert [r["path"] for r in sprint["integration"]["resolutions"]] == ["README.md"]

    status = cli("status")
    assert f"sprint {sprint_id} · ready for review" in status.stdout and " testing " in status.stdout
    listing = json.loads(cli("review", "--json").stdout)
    assert [r["task_id"] for r in listing["results"]] == [sprint_id]
    assert listing["results"][0]["tests"] == "passed"
    shown = cli("review", sprint_id, "--no-diff").stdout
    assert "conflicts resolved by the integration agent:" in shown and "testing  finished" in shown

    merged = cli("merge", sprint_id)
    assert merged.returncode == 0, merged.stderr
    for name in ("export_csv.py", "export_csv_cli.py", "tests/test_export_csv.py", "docs/export_csv.md"):
        assert (repo / name).is_file()
    readme = (repo / "README.md").read_text()
    assert "export_csv from the command line" in readme and "docs/export_csv.md" in readme
    assert wait_for_sprint(cli, sprint_id, ("merged",))["state"] == "merged"
