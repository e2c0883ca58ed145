"""A retried integration moves its branch to the new merge, and keeps what the branch had."""

from __future__ import annotations

from pathlib import Path

from agentdeck.sprints.integration import Part, integrate, move_worktree
from tests.support.git_repos import git, make_repo


def commit_on(repo: Path, name: str, text: str) -> str:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"write {name}")
    return git(repo, "rev-parse", "HEAD").strip()


def test_commits_the_new_tip_lacks_get_a_ref_before_the_branch_moves(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "agentdeck/sprint-1a2b")
    fixed = commit_on(repo, "fix.txt", "the first integration's fix\n")
    git(repo, "branch", "-q", "again", base)
    git(repo, "checkout", "-q", "again")
    new_tip = commit_on(repo, "merged.txt", "the second integration\n")
    git(repo, "checkout", "-q", "agentdeck/sprint-1a2b")

    kept = move_worktree(repo, new_tip)

    assert kept == f"refs/agentdeck/kept/agentdeck-sprint-1a2b-{fixed[:10]}"
    assert git(repo, "rev-parse", kept).strip() == fixed
    assert git(repo, "rev-parse", "HEAD").strip() == new_tip
    assert (repo / "merged.txt").exists() and not (repo / "fix.txt").exists()


def test_moving_forward_keeps_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    start = git(repo, "rev-parse", "HEAD").strip()
    ahead = commit_on(repo, "merged.txt", "merged\n")
    git(repo, "reset", "-q", "--hard", start)

    assert move_worktree(repo, ahead) is None
    assert git(repo, "rev-parse", "HEAD").strip() == ahead
    assert "refs/agentdeck/kept" not in git(repo, "for-each-ref")


async def test_a_binary_conflict_is_left_to_a_person_and_never_sent_to_the_integrator(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00base")
    git(repo, "add", "logo.png")
    git(repo, "commit", "-q", "-m", "a logo")
    start = git(repo, "rev-parse", "HEAD").strip()
    for branch, body in (("design", b"\x00\x01design"), ("brand", b"\x00\x02brand")):
        git(repo, "checkout", "-q", "-b", branch, start)
        (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + body)
        git(repo, "commit", "-q", "-am", f"{branch}'s logo")
    asked: list[str] = []

    async def resolve(path: str, marked: str, between: list[str]) -> tuple[str, str]:
        asked.append(path)
        return "text", "a model's guess"

    async def run(fn, *args):
        return fn(*args)

    parts = [Part("s-design", "design", "design"), Part("s-brand", "brand", "brand")]
    result = await integrate(repo, "sprint-1a2b", start, parts, resolve, run)

    assert asked == [] and result.tip is None
    assert result.unresolved is not None and result.unresolved.path == "logo.png"
    assert "binary" in result.unresolved.reason and "by hand" in result.unresolved.reason
