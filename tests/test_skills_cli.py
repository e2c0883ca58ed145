"""`agentdeck skills` as a user runs it: a real subprocess and repository."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_cli
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
