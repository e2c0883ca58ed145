"""Finishing a merge a crash cut in half (workspace/merge_journal.py), on real repositories: forward when safe, else nothing."""

from __future__ import annotations

from pathlib import Path

from agentdeck.workspace.merge_journal import MergeIntent, begin, complete, done, pending
from agentdeck.workspace.merging import plan_merge
from tests.support.git_repos import git


def branch_with_a_change(repo: Path) -> str:
    git(repo, "switch", "-q", "-c", "agentdeck/t1")
    (repo / "notes.md").write_text("notes\n")
    (repo / "README.md").write_text("changed by the task\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "task work")
    git(repo, "switch", "-q", "main")
    return "agentdeck/t1"


def intent_for(repo: Path, branch: str) -> MergeIntent:
    plan = plan_merge(repo, "main", [branch])
    return MergeIntent("main", plan.old_tip, plan.new_tip, {"t1": plan.steps[0].method}, ["t1"])


def test_a_checkout_left_half_updated_is_brought_forward_with_its_branch(repo: Path, tmp_path: Path) -> None:
    intent = intent_for(repo, branch_with_a_change(repo))
    begin(tmp_path, intent)
    assert pending(tmp_path) == intent
    (repo / "notes.md").write_text("notes\n")  # the crash came after one file of the checkout
    recovery = complete(repo, intent, "test: finish")
    assert recovery.landed
    assert git(repo, "rev-parse", "main").strip() == intent.new_tip
    assert (
        git(repo, "status", "--porcelain") == ""
        and (repo / "README.md").read_text() == "changed by the task\n"
    )
    done(tmp_path)
    assert pending(tmp_path) is None


def test_nothing_is_written_when_a_file_holds_other_changes_or_the_branch_moved(repo: Path) -> None:
    intent = intent_for(repo, branch_with_a_change(repo))
    (repo / "README.md").write_text("your own edit, after the crash\n")
    recovery = complete(repo, intent, "test: finish")
    assert not recovery.landed and "README.md" in recovery.reason and "merge again" in recovery.reason
    assert git(repo, "rev-parse", "main").strip() == intent.old_tip
    assert (repo / "README.md").read_text() == "your own edit, after the crash\n"

    git(repo, "checkout", "-q", "--", "README.md")
    git(repo, "commit", "-q", "--allow-empty", "-m", "you committed meanwhile")
    moved = complete(repo, intent, "test: finish")
    assert not moved.landed and "moved since" in moved.reason


def test_a_journal_naming_a_commit_the_repository_lacks_changes_nothing(repo: Path) -> None:
    intent = intent_for(repo, branch_with_a_change(repo))
    made_up = MergeIntent(intent.target, intent.old_tip, "0" * 39 + "1", intent.methods, intent.together)
    recovery = complete(repo, made_up, "test: finish")
    assert not recovery.landed and "not in the repository" in recovery.reason
    assert git(repo, "rev-parse", "main").strip() == intent.old_tip
