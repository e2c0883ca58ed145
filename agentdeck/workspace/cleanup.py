"""Removing a decided task's worktree and branch, never losing unmerged work without `force`.

A commit is safe when another branch (not an agentdeck one), a tag or a remote-tracking
ref reaches it. A branch whose commits are all safe is deleted; one with unsafe commits
is kept, and those commits are listed as what `force` would delete. A worktree with
uncommitted changes is kept the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pygit2
from pygit2.enums import SortMode

from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.naming import BRANCH_PREFIX, base_ref, branch_name
from agentdeck.workspace.repository import has_changes
from agentdeck.workspace.worktrees import remove_task_workspace

INTEGRATION_PREFIX = "integration-"
MAX_COMMITS_LISTED = 20


@dataclass
class CleanupResult:
    """What cleanup did to one task, and what it kept and why."""

    task_id: str
    worktree_removed: bool = False
    branch_deleted: bool = False
    # "abc1234 subject" for each commit on no other branch: kept, or (forced) dropped.
    unmerged: list[str] = field(default_factory=list)
    dropped: int = 0
    uncommitted: bool = False
    kept: str = ""  # why something was kept; empty when everything went


def unmerged_commits(repo: pygit2.Repository, branch: str) -> list[str]:
    """Commits on `branch` that no other branch, tag or remote-tracking ref reaches, newest first."""
    ref = repo.lookup_branch(branch)
    if ref is None:
        return []
    walker = repo.walk(ref.target, SortMode.TOPOLOGICAL)
    for name in repo.references:
        if name == f"refs/heads/{branch}" or name.startswith(f"refs/heads/{BRANCH_PREFIX}"):
            continue
        if name.startswith(("refs/heads/", "refs/tags/", "refs/remotes/")):
            try:
                walker.hide(repo.references[name].peel(pygit2.Commit).id)
            except (pygit2.GitError, ValueError, KeyError):
                continue  # a tag of a blob, a broken ref: it protects nothing
    return [f"{str(commit.id)[:10]} {commit.message.splitlines()[0] if commit.message else ''}".rstrip() for commit in walker]


def cleanup_task(repo_root: Path, task_id: str, *, force: bool = False) -> CleanupResult:
    """Remove the task's worktree, and its branch when nothing unmerged would go (or `force`)."""
    repo = pygit2.Repository(str(repo_root))
    result = CleanupResult(task_id)
    branch = branch_name(task_id)
    result.unmerged = unmerged_commits(repo, branch)
    worktree = _worktree_path(repo, task_id)
    if worktree is not None and worktree.is_dir():
        try:
            result.uncommitted = has_changes(pygit2.Repository(str(worktree)))
        except pygit2.GitError:
            result.uncommitted = True  # cannot tell: treat as work that would go
    if worktree is None and repo.lookup_branch(branch) is None and base_ref(task_id) not in repo.references:
        return result  # nothing left of it
    if result.uncommitted and not force:
        result.kept = f"its worktree {worktree} has uncommitted changes"
        return result
    try:
        remove_task_workspace(repo, task_id, delete_branch=False, force=force)
        result.worktree_removed = worktree is not None
        if result.unmerged and not force:
            count = len(result.unmerged)
            result.kept = f"branch {branch} has {count} commit{'s' if count != 1 else ''} on no other branch"
            return result
        remove_task_workspace(repo, task_id, delete_branch=True)
    except WorkspaceError as exc:
        result.kept = str(exc)
        return result
    result.branch_deleted = True
    result.dropped = len(result.unmerged)
    return result


def integration_leftovers(repo_root: Path) -> list[str]:
    """Temporary integration workspaces left by an interrupted integration pass."""
    repo = pygit2.Repository(str(repo_root))
    prefix = BRANCH_PREFIX + INTEGRATION_PREFIX
    return sorted(name.removeprefix(BRANCH_PREFIX) for name in repo.branches.local if name.startswith(prefix))


def remove_integration_workspace(repo_root: Path, workspace_id: str) -> None:
    """Delete a temporary integration worktree and its branch: they never hold anyone's work."""
    repo = pygit2.Repository(str(repo_root))
    if repo.lookup_branch(branch_name(workspace_id)) is None and base_ref(workspace_id) not in repo.references:
        return
    remove_task_workspace(repo, workspace_id, delete_branch=True, force=True)


def _worktree_path(repo: pygit2.Repository, task_id: str) -> Path | None:
    if task_id not in repo.list_worktrees():
        return None
    return Path(repo.lookup_worktree(task_id).path)
