"""Removing a decided task's worktree and branch, never losing unmerged work without `force`.

A commit is safe when another branch (not an agentdeck one), a tag or a remote-tracking
ref reaches it. A branch whose commits are all safe is deleted; one with unsafe commits
is kept, and those commits are listed as what `force` would delete. A worktree with
uncommitted changes is kept the same way. With `keep_refs` (what `agentdeck gc` does) only
the worktree goes: every branch and ref stays. A worktree whose HEAD was moved off its
branch (an agent ran `git checkout` of a commit) would take the commits only that HEAD
reaches with it: they get a ref `refs/agentdeck/kept/<task-id>` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pygit2
from pygit2.enums import SortMode

from agentdeck.workspace.disk import tree_bytes
from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.naming import BRANCH_PREFIX, base_ref, branch_name, branch_ref
from agentdeck.workspace.repository import has_changes
from agentdeck.workspace.worktrees import remove_task_workspace

INTEGRATION_PREFIX = "integration-"
KEPT_REF_PREFIX = "refs/agentdeck/kept/"
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
    bytes_freed: int = 0
    # The ref made for commits that only the worktree's own HEAD reached.
    kept_ref: str | None = None


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
    return [
        f"{str(commit.id)[:10]} {commit.message.splitlines()[0] if commit.message else ''}".rstrip()
        for commit in walker
    ]


def cleanup_task(
    repo_root: Path, task_id: str, *, force: bool = False, keep_refs: bool = False
) -> CleanupResult:
    """Remove the task's worktree, and its branch when nothing unmerged would go (or `force`).

    `keep_refs`: remove the worktree only; the branch, the base ref and every other ref stay."""
    repo = pygit2.Repository(str(repo_root))
    result = CleanupResult(task_id)
    branch = branch_name(task_id)
    result.unmerged = [] if keep_refs else unmerged_commits(repo, branch)
    worktree = _worktree_path(repo, task_id)
    if worktree is not None and worktree.is_dir():
        try:
            result.uncommitted = has_changes(pygit2.Repository(str(worktree)))
        except pygit2.GitError:
            result.uncommitted = True  # cannot tell: treat as work that would go
    if worktree is None and (
        keep_refs or (repo.lookup_branch(branch) is None and base_ref(task_id) not in repo.references)
    ):
        return result  # nothing left of it (to remove)
    if result.uncommitted and not force:
        result.kept = f"its worktree {worktree} has uncommitted changes"
        return result
    try:
        if worktree is not None and worktree.is_dir() and not force:
            result.kept_ref = keep_detached_head(repo, task_id, worktree)
        size = tree_bytes(worktree) if worktree is not None else 0
        remove_task_workspace(repo, task_id, delete_branch=False, force=force)
        result.worktree_removed = worktree is not None
        result.bytes_freed = size if result.worktree_removed else 0
        if keep_refs:
            return result
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


def keep_detached_head(repo: pygit2.Repository, task_id: str, worktree: Path) -> str | None:
    """Give the worktree's HEAD a ref when it is off the task's branch and no ref reaches it; the ref's name."""
    try:
        head = pygit2.Repository(str(worktree))
        if head.head_is_unborn or (not head.head_is_detached and head.head.name == branch_ref(task_id)):
            return None
        commit = head.head.peel(pygit2.Commit).id
    except (pygit2.GitError, KeyError, ValueError):
        return None  # no readable HEAD: nothing it alone could hold
    for name in repo.references:
        try:
            tip = repo.references[name].peel(pygit2.Commit).id
        except (pygit2.GitError, ValueError, KeyError):
            continue
        if tip == commit or repo.descendant_of(tip, commit):
            return None  # already on a ref: safe
    name = KEPT_REF_PREFIX + task_id
    suffix = 1
    while name in repo.references:
        suffix += 1
        name = f"{KEPT_REF_PREFIX}{task_id}-{suffix}"
    repo.create_reference(name, commit)
    return name


def integration_leftovers(repo_root: Path) -> list[str]:
    """Temporary integration workspaces left by an interrupted integration pass."""
    repo = pygit2.Repository(str(repo_root))
    prefix = BRANCH_PREFIX + INTEGRATION_PREFIX
    return sorted(name.removeprefix(BRANCH_PREFIX) for name in repo.branches.local if name.startswith(prefix))


def remove_integration_workspace(repo_root: Path, workspace_id: str) -> None:
    """Delete a temporary integration worktree and its branch: they never hold anyone's work."""
    repo = pygit2.Repository(str(repo_root))
    if (
        repo.lookup_branch(branch_name(workspace_id)) is None
        and base_ref(workspace_id) not in repo.references
    ):
        return
    remove_task_workspace(repo, workspace_id, delete_branch=True, force=True)


def _worktree_path(repo: pygit2.Repository, task_id: str) -> Path | None:
    if task_id not in repo.list_worktrees():
        return None
    return Path(repo.lookup_worktree(task_id).path)


def remove_sub_agent_worktrees(repo_root: Path, task_id: str) -> list[CleanupResult]:
    """Remove the worktrees sub-agents of the task left (`<id>.N`, their work not merged back); refs stay."""
    repo = pygit2.Repository(str(repo_root))
    children = sorted(name for name in repo.list_worktrees() if name.startswith(task_id + "."))
    return [cleanup_task(repo_root, child, keep_refs=True) for child in children]
