"""`agentdeck skills` as a user runs it: a real subprocess and repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdeck.events import AgentFinished, InboxRejected, SessionStarted, TaskQueued
from tests.support.cli import run_cli
from tests.support.git_repos import git
from tests.support.session import attach, collect_until, kill_daemon
from tests.test_skills import skill_text, write


def test_skills_lists_each_by_name_description_and_where_it_comes_from(repo: Path, agentdeck_cmd) -> None:
    write(
        repo / ".agentdeck" / "skills" / "rel" / "SKILL.md",
        skill_text("release-notes", "Draft release notes."),
    )
    result = run_cli(agentdeck_cmd, "skills", cwd=repo)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    release = next(i for i, line in enumerate(lines) if line.startswith("release-notes "))
    assert "Draft release notes." in lines[release]
    assert "(repository: .agentdeck/skills/rel/SKILL.md)" in lines[release + 1]
    fix = next(i for i, line in enumerate(lines) if line.startswith("test-first-bug-fix "))
    assert "(built-in)" in lines[fix + 1]
    assert "docs/skills.md" in result.stdout


def test_a_broken_skill_file_is_listed_with_path_line_and_error_and_exit_status_1(
    repo: Path, agentdeck_cmd
) -> None:
    write(
        repo / ".agentdeck" / "skills" / "bad.md", "---\nname: bad\ndescription: ok\nwhat is this\n---\nx\n"
    )
    result = run_cli(agentdeck_cmd, "skills", cwd=repo)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert ".agentdeck/skills/bad.md:4: expected `key: value`, got 'what is this'" in result.stdout
    assert "test-first-bug-fix" in result.stdout  # the others are still listed

    data = json.loads(run_cli(agentdeck_cmd, "skills", "--json", cwd=repo).stdout)
    assert {s["name"] for s in data["skills"]} >= {"test-first-bug-fix", "write-docs-for-a-change"}
    [problem] = data["problems"]
    assert problem["line"] == 4 and problem["path"].endswith("bad.md")


def test_skills_name_prints_one_in_full_and_an_unknown_name_lists_the_known(
    repo: Path, agentdeck_cmd
) -> None:
    shown = run_cli(agentdeck_cmd, "skills", "test-first-bug-fix", cwd=repo)
    assert shown.returncode == 0
    assert "Write the failing test" in shown.stdout
    unknown = run_cli(agentdeck_cmd, "skills", "fix-bug", cwd=repo)
    assert unknown.returncode == 2
    assert (
        "unknown skill 'fix-bug': the skills are review-comments-to-changes, test-first-bug-fix"
        in unknown.stderr
    )


@pytest.fixture
def session_repo(repo: Path, monkeypatch: pytest.MonkeyPatch):
    """A repository whose daemon (started by the test) is killed afterwards, whatever happened."""
    monkeypatch.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "0")
    yield repo
    kill_daemon(repo)


async def test_queue_add_skill_on_the_demo_model_shows_the_load_in_the_logs(
    session_repo: Path, agentdeck_cmd
) -> None:
    unknown = run_cli(agentdeck_cmd, "queue", "add", "--skill", "fix-bug", "fix it", cwd=session_repo)
    assert unknown.returncode == 2
    assert (
        "unknown skill 'fix-bug': the skills are review-comments-to-changes, test-first-bug-fix"
        in unknown.stderr
    )

    added = run_cli(
        agentdeck_cmd,
        "queue",
        "add",
        "--json",
        "--skill",
        "test-first-bug-fix",
        "--model",
        "demo",
        "fix the crash on an empty config file",
        cwd=session_repo,
    )
    assert added.returncode == 0, added.stderr
    task_id = json.loads(added.stdout)["task_id"]
    client = await attach(session_repo)
    await collect_until(client.subscribe(0), lambda e: isinstance(e, AgentFinished) and e.task_id == task_id)
    await client.close()

    every = run_cli(agentdeck_cmd, "logs", cwd=session_repo).stdout
    assert f"[{task_id}] queued with skill test-first-bug-fix: fix the crash" in every
    assert f"[{task_id}] → load_skill test-first-bug-fix: reads the skill's instructions in full" in every
    one = run_cli(agentdeck_cmd, "logs", task_id, cwd=session_repo).stdout
    assert "→ load_skill test-first-bug-fix" in one
    assert "✓ # Skill test-first-bug-fix (built-in): Fix a bug by first writing a test" in one
    assert "Followed the skill test-first-bug-fix, loaded with load_skill." in one


async def test_an_inbox_file_naming_an_unknown_skill_is_rejected_with_the_list(session_repo: Path) -> None:
    client = await attach(session_repo)
    stream = client.subscribe(0)
    await collect_until(stream, lambda e: isinstance(e, SessionStarted))
    inbox = session_repo / ".agentdeck" / "inbox"
    (inbox / "fix.md").write_text("---\nskills: test-first-bug-fix\nmodel: demo\n---\nFix the crash.\n")
    queued = (await collect_until(stream, lambda e: isinstance(e, TaskQueued)))[-1]
    assert queued.source == "inbox" and queued.skills == ["test-first-bug-fix"]
    (inbox / "typo.md").write_text("---\nskills: tset-first\n---\nFix the crash.\n")
    rejected = (await collect_until(stream, lambda e: isinstance(e, InboxRejected)))[-1]
    assert "unknown skill 'tset-first': the skills are " in rejected.reason
    assert "unknown skill 'tset-first'" in (inbox / "rejected" / "typo.md.error").read_text()
    await client.close()
    # The inbox stays out of git status; the repository's skills are there to commit.
    write(session_repo / ".agentdeck" / "skills" / "db" / "SKILL.md", skill_text("db-migration", "Migrate."))
    assert git(session_repo, "status", "--porcelain", "-uall").splitlines() == [
        "?? .agentdeck/skills/db/SKILL.md"
    ]


def test_run_skill_loads_it_and_an_unknown_one_is_a_usage_error_before_any_worktree(
    repo: Path, agentdeck_cmd
) -> None:
    unknown = run_cli(agentdeck_cmd, "run", "--model", "demo", "--skill", "nope", "fix it", cwd=repo)
    assert unknown.returncode == 2
    assert "unknown skill 'nope': the skills are review-comments-to-changes, " in unknown.stderr
    assert git(repo, "branch", "--list", "agentdeck/*").strip() == ""

    result = run_cli(
        agentdeck_cmd, "run", "--model", "demo", "--skill", "write-docs-for-a-change", "doc it", cwd=repo
    )
    assert result.returncode == 0, result.stderr
    assert "→ load_skill write-docs-for-a-change" in result.stdout
    assert "✓ # Skill write-docs-for-a-change (built-in)" in result.stdout
