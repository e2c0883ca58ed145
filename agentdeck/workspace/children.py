"""Child worktrees for sub-agents that run side by side, and merging their work back.

A child branches from the parent's branch tip, works in its own worktree, and is merged
back into the parent's branch: fast-forward when the parent has not moved, otherwise a
merge commit made in memory. A conflict is detected before anything is written; the
child's branch is then kept so nothing is lost, and the conflicting files are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pygit2
from pygit2.enums import ResetMode

from agentdeck.workspace.checkpoints import signature
from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.naming import base_ref, branch_name
from agentdeck.workspace.repository import commit_at
from agentdeck.workspace.task import TaskWorkspace
from agentdeck.workspace.worktrees import create_task_workspace, remove_task_workspace


@dataclass
class MergeOutcome:
    merged: bool
    commit: str | None = None
    conflicts: list[str] = field(default_factory=list)


def create_child_workspace(parent: TaskWorkspace, child_id: str) -> TaskWorkspace:
    """A worktree on branch agentdeck/<child_id>, from the parent's branch tip, beside the parent's."""
    repo = pygit2.Repository(str(parent.repo_root))
    child = create_task_workspace(repo, child_id, Path(parent.path).parent, base=parent.head())
    # The child's change is measured from where the parent's task began.
    child.base_commit = parent.base_commit
    return child


def child_exists(parent: TaskWorkspace, child_id: str) -> bool:
    """A branch, base ref or worktree of that name is already there (kept from an earlier run)."""
    repo = pygit2.Repository(str(parent.repo_root))
    return (
        repo.lookup_branch(branch_name(child_id)) is not None
        or base_ref(child_id) in repo.references
        or child_id in repo.list_worktrees()
    )


def merge_child(parent: TaskWorkspace, child: TaskWorkspace, message: str) -> MergeOutcome:
    """Merge the child's branch into the parent's, and bring the parent's (clean) worktree up to date."""
    repo = pygit2.Repository(str(parent.repo_root))
    ours = commit_at(repo, parent.head())
    theirs = commit_at(repo, child.head())
    if ours.id == theirs.id or repo.descendant_of(ours.id, theirs.id):
        return MergeOutcome(merged=True, commit=str(ours.id))
    if repo.descendant_of(theirs.id, ours.id):
        new_id = theirs.id
    else:
        index = repo.merge_commits(ours, theirs)
        if index.conflicts is not None:
            paths = sorted(
                {str(entry.path) for conflict in index.conflicts for entry in conflict if entry is not None}
            )
            return MergeOutcome(merged=False, conflicts=paths)
        tree = index.write_tree(repo)
        author = signature(repo)
        new_id = repo.create_commit(None, author, author, message + "\n", tree, [ours.id, theirs.id])
    # Move the parent's branch and its worktree together; the worktree was checkpointed, so clean.
    worktree = pygit2.Repository(str(parent.path))
    if worktree.head.target != ours.id:
        raise WorkspaceError(f"branch {parent.branch} moved during the merge; nothing was merged")
    worktree.reset(new_id, ResetMode.HARD)
    return MergeOutcome(merged=True, commit=str(new_id))


def remove_child_workspace(parent: TaskWorkspace, child: TaskWorkspace, *, delete_branch: bool) -> None:
    repo = pygit2.Repository(str(parent.repo_root))
    remove_task_workspace(repo, child.task_id, delete_branch=delete_branch)
