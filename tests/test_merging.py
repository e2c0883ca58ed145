"""Landing task branches on real repositories: fast-forward, merge commit, conflicts, dirty trees, cleanup."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from agentdeck.workspace import WorkspaceError, create_task_workspace, open_repository
from agentdeck.workspace.cleanup import cleanup_task
from agentdeck.workspace.diffs import branch_diff
from agentdeck.workspace.merging import land, plan_merge
from agentdeck.workspace.residue import changed_paths, discard_new_changes
from tests.support.git_repos import git


def task_with(repo: Path, task_id: str, files: dict[str, str]):
    """A task workspace whose branch has one commit writing `files`."""
    workspace = create_task_workspace(open_repository(repo), task_id)
    for name, text in files.items():
        target = Path(workspace.path) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    assert workspace.checkpoint(f"{task_id}: write {', '.join(files)}")
    return workspace


def tip(repo: Path, ref: str = "main") -> str:
    return git(repo, "rev-parse", ref).strip()


def commit_on_main(repo: Path, name: str, text: str) -> None:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"main: {name}")


def test_fast_forward_lands_the_branch_and_your_checkout_follows(repo: Path) -> None:
    workspace = task_with(repo, "notes-1", {"NOTES.md": "notes\n"})
    plan = plan_merge(repo, "main", [workspace.branch])
    assert plan.ok and [s.method for s in plan.steps] == ["fast-forward"]
    landing = land(repo, plan, "agentdeck: merge notes-1")
    assert tip(repo) == workspace.head() == landing.commit
    assert landing.checkout == repo
    assert (repo / "NOTES.md").read_text() == "notes\n"
    assert git(repo, "status", "--porcelain") == ""


def test_a_moved_base_gets_a_merge_commit_with_both_parents(repo: Path) -> None:
    workspace = task_with(repo, "feature-1", {"src/feature.py": "X = 1\n"})
    commit_on_main(repo, "CHANGELOG.md", "changes\n")
    before = tip(repo)
    plan = plan_merge(repo, "main", [workspace.branch], {workspace.branch: "Merge feature-1: add X"})
    assert [s.method for s in plan.steps] == ["merge commit"]
    assert tip(repo) == before  # planning moved nothing
    land(repo, plan, "agentdeck: merge feature-1")
    parents = git(repo, "log", "-1", "--format=%P", "main").split()
    assert parents == [before, workspace.head()]
    assert git(repo, "log", "-1", "--format=%s", "main").strip() == "Merge feature-1: add X"
    assert (repo / "src/feature.py").exists() and (repo / "CHANGELOG.md").exists()
    assert git(repo, "status", "--porcelain") == ""


def test_a_conflict_is_reported_file_by_file_and_nothing_is_written(repo: Path) -> None:
    workspace = task_with(repo, "greet-1", {"src/app.py": "def greet(name):\n    return f'hi {name}'\n"})
    commit_on_main(repo, "src/app.py", "def greet(name):\n    return f'hey {name}'\n")
    before, objects_before = tip(repo), git(repo, "count-objects")
    plan = plan_merge(repo, "main", [workspace.branch])
    assert not plan.ok and plan.new_tip is None
    assert [(c.path, c.between) for c in plan.conflicts] == [("src/app.py", ("main", workspace.branch))]
    with pytest.raises(WorkspaceError, match="nothing was written"):
        land(repo, plan, "x")
    assert tip(repo) == before and git(repo, "status", "--porcelain") == ""
    assert git(repo, "count-objects") == objects_before  # not even a loose object


def test_a_dirty_checkout_of_the_base_is_refused_and_kept(repo: Path) -> None:
    workspace = task_with(repo, "notes-2", {"NOTES.md": "notes\n"})
    (repo / "README.md").write_text("my unsaved edit\n")
    before = tip(repo)
    plan = plan_merge(repo, "main", [workspace.branch])
    with pytest.raises(
        WorkspaceError, match=r"main is checked out in .* with uncommitted changes \(README.md\)"
    ):
        land(repo, plan, "x")
    assert tip(repo) == before
    assert (repo / "README.md").read_text() == "my unsaved edit\n" and not (repo / "NOTES.md").exists()


def test_untracked_files_stay_unless_the_merge_would_write_over_them(repo: Path) -> None:
    first = task_with(repo, "notes-3", {"NOTES.md": "notes\n"})
    (repo / "scratch.txt").write_text("mine\n")
    land(repo, plan_merge(repo, "main", [first.branch]), "x")
    assert (repo / "scratch.txt").read_text() == "mine\n" and (repo / "NOTES.md").exists()
    second = task_with(repo, "todo-1", {"TODO.md": "theirs\n"})
    (repo / "TODO.md").write_text("mine\n")
    with pytest.raises(WorkspaceError, match=r"uncommitted changes \(TODO.md\)"):
        land(repo, plan_merge(repo, "main", [second.branch]), "x")
    assert (repo / "TODO.md").read_text() == "mine\n"


def test_a_base_branch_that_is_not_checked_out_moves_alone(repo: Path) -> None:
    workspace = task_with(repo, "notes-4", {"NOTES.md": "notes\n"})
    git(repo, "switch", "-q", "-c", "elsewhere")
    (repo / "README.md").write_text("dirty, but not on main\n")
    landing = land(repo, plan_merge(repo, "main", [workspace.branch]), "x")
    assert landing.checkout is None and tip(repo) == workspace.head()
    assert not (repo / "NOTES.md").exists() and git(repo, "branch", "--show-current").strip() == "elsewhere"


def test_integration_pass_merges_in_order_and_reports_conflicts_pair_by_pair(repo: Path) -> None:
    a = task_with(repo, "a-1", {"a.txt": "a\n"})
    b = task_with(repo, "b-1", {"b.txt": "b\n"})
    c = task_with(repo, "c-1", {"a.txt": "not a\n"})
    plan = plan_merge(repo, "main", [a.branch, b.branch])
    assert (
        plan.ok
        and [s.method for s in plan.steps] == ["fast-forward", "merge commit"]
        and not plan.pair_conflicts
    )
    clash = plan_merge(repo, "main", [a.branch, b.branch, c.branch])
    assert not clash.ok
    assert [(x.path, x.between, x.kind) for x in clash.pair_conflicts] == [
        ("a.txt", (a.branch, c.branch), "added on both sides")
    ]
    assert [(x.path, x.between) for x in clash.conflicts] == [
        ("a.txt", (f"main + {a.branch}, {b.branch}", c.branch))
    ]
    land(repo, plan, "x")
    assert (repo / "a.txt").exists() and (repo / "b.txt").exists()
    assert git(repo, "status", "--porcelain") == ""


def test_the_base_moving_between_plan_and_landing_is_refused(repo: Path) -> None:
    workspace = task_with(repo, "notes-5", {"NOTES.md": "notes\n"})
    plan = plan_merge(repo, "main", [workspace.branch])
    commit_on_main(repo, "other.txt", "x\n")
    with pytest.raises(WorkspaceError, match="main moved while the merge was prepared"):
        land(repo, plan, "x")


def test_cleanup_keeps_unmerged_commits_and_lists_them_until_forced(repo: Path) -> None:
    workspace = task_with(repo, "rejected-1", {"NOTES.md": "notes\n"})
    result = cleanup_task(repo, "rejected-1")
    assert result.worktree_removed and not Path(workspace.path).exists()
    assert not result.branch_deleted and "has 1 commit on no other branch" in result.kept
    assert len(result.unmerged) == 1 and result.unmerged[0].endswith("rejected-1: write NOTES.md")
    assert git(repo, "branch", "--list", workspace.branch).strip()
    forced = cleanup_task(repo, "rejected-1", force=True)
    assert forced.branch_deleted and forced.dropped == 1
    assert not git(repo, "branch", "--list", workspace.branch).strip()
    assert not git(repo, "for-each-ref", "refs/agentdeck/").strip()


def test_cleanup_deletes_a_merged_branch_and_keeps_a_dirty_worktree(repo: Path) -> None:
    merged = task_with(repo, "merged-1", {"NOTES.md": "notes\n"})
    land(repo, plan_merge(repo, "main", [merged.branch]), "x")
    result = cleanup_task(repo, "merged-1")
    assert result.worktree_removed and result.branch_deleted and not result.unmerged and not result.kept
    dirty = task_with(repo, "dirty-1", {"x.txt": "x\n"})
    (Path(dirty.path) / "x.txt").write_text("unsaved\n")
    kept = cleanup_task(repo, "dirty-1")
    assert not kept.worktree_removed and "uncommitted changes" in kept.kept
    assert (Path(dirty.path) / "x.txt").read_text() == "unsaved\n"


def test_branch_diff_has_the_patch_and_per_file_counts_and_says_when_cut(repo: Path) -> None:
    workspace = task_with(
        repo, "diff-1", {"NOTES.md": "one\ntwo\n", "src/app.py": "def greet(name):\n    return name\n"}
    )
    diff = branch_diff(repo, "diff-1", workspace.base_commit)
    assert {(f.path, f.status, f.insertions, f.deletions) for f in diff.files} == {
        ("NOTES.md", "added", 2, 0),
        ("src/app.py", "modified", 1, 1),
    }
    assert "+++ b/NOTES.md" in diff.text and not diff.cut
    short = branch_diff(repo, "diff-1", workspace.base_commit, max_chars=80)
    assert (
        short.cut
        and len(short.text) <= 80
        and short.text.endswith("\n")
        and short.total_chars == len(diff.text)
    )


def test_what_a_test_run_leaves_behind_is_discarded(repo: Path) -> None:
    workspace = task_with(repo, "residue-1", {"NOTES.md": "notes\n"})
    path = Path(workspace.path)
    before = changed_paths(path)
    (path / "build" / "out").mkdir(parents=True)
    (path / "build" / "out" / "x.o").write_text("obj")
    (path / "README.md").write_text("rewritten by a test\n")
    assert discard_new_changes(path, before) == ["README.md", "build/out/x.o"]
    assert (
        not (path / "build").exists()
        and (path / "README.md").read_text() == "# Demo\n\nA small project for tests.\n"
    )
    assert changed_paths(path) == set()
    assert pygit2.Repository(str(path)).head.shorthand == workspace.branch
