"""Creating, reopening, listing and removing task worktrees."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pygit2

from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.naming import base_ref, branch_name, check_task_id
from agentdeck.workspace.repository import (
    commit_at,
    common_git_dir,
    default_worktrees_dir,
    has_changes,
    repository_root,
)
from agentdeck.workspace.task import TaskWorkspace


def create_task_workspace(
    repo: pygit2.Repository, task_id: str, worktrees_dir: Path | None = None, base: str | None = None
) -> TaskWorkspace:
    """Branch agentdeck/<task_id> from HEAD's commit (or commit `base`) and check it out in a new worktree."""
    check_task_id(task_id)
    root = repository_root(repo)
    if repo.head_is_unborn:
        raise WorkspaceError(
            f"{root} has no commits yet: make a first commit so agents have a base to branch from"
        )
    branch = branch_name(task_id)
    if repo.lookup_branch(branch) is not None:
        raise WorkspaceError(f"branch {branch} already exists: choose another task id or delete that branch")
    if base_ref(task_id) in repo.references:
        raise WorkspaceError(f"{base_ref(task_id)} already exists: choose another task id or delete that ref")
    if task_id in repo.list_worktrees():
        raise WorkspaceError(
            f"a worktree named {task_id} already exists: choose another task id, or run "
            "`git worktree prune` if its directory was deleted"
        )
    if worktrees_dir is None:
        worktrees_dir = default_worktrees_dir(repo)
    parent = Path(worktrees_dir).expanduser().resolve()
    if parent.is_relative_to(root.resolve()) and not parent.is_relative_to(common_git_dir(repo)):
        # Agent files there would show up as untracked files in the user's own tree.
        raise WorkspaceError(
            f"{parent} is inside your working tree {root}: choose a worktrees directory outside it"
        )
    target = parent / task_id
    if os.path.lexists(target):
        raise WorkspaceError(f"{target} already exists: remove it or choose another task id")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot create the worktrees directory {parent}: {exc.strerror}") from exc

    base_commit = repo.head.peel(pygit2.Commit) if base is None else commit_at(repo, base)
    # Only refs are written in the user's repository: its HEAD, index and files stay as they are.
    branch_reference = repo.create_branch(branch, base_commit)
    base_reference = repo.create_reference(base_ref(task_id), base_commit.id)
    try:
        repo.add_worktree(task_id, str(target), branch_reference)
    except (pygit2.GitError, OSError, ValueError) as exc:
        base_reference.delete()
        branch_reference.delete()
        raise WorkspaceError(f"cannot create the worktree {target}: {exc}") from exc
    return TaskWorkspace(
        task_id=task_id, branch=branch, path=target, base_commit=str(base_commit.id), repo_root=root
    )


def open_task_workspace(repo: pygit2.Repository, task_id: str) -> TaskWorkspace:
    """Reopen an existing task workspace, e.g. after a restart."""
    check_task_id(task_id)
    branch = branch_name(task_id)
    if repo.lookup_branch(branch) is None:
        raise WorkspaceError(f"no workspace for task {task_id}: branch {branch} does not exist")
    try:
        base = repo.lookup_reference(base_ref(task_id)).target
    except KeyError as exc:
        raise WorkspaceError(
            f"task {task_id} has lost its base ref {base_ref(task_id)}: recreate it with "
            f"`git update-ref {base_ref(task_id)} <commit the branch started from>`"
        ) from exc
    path = _worktree_path(repo, task_id)
    if path is None:
        raise WorkspaceError(
            f"task {task_id} has no worktree (its branch {branch} is kept): start a new task to continue"
        )
    if not path.is_dir():
        raise WorkspaceError(
            f"the worktree of task {task_id} ({path}) was deleted: remove the task to clean up, or run "
            "`git worktree prune`"
        )
    root = repository_root(repo)
    return TaskWorkspace(task_id=task_id, branch=branch, path=path, base_commit=str(base), repo_root=root)


def list_task_workspaces(repo: pygit2.Repository) -> list[TaskWorkspace]:
    """Every agentdeck task of this repository whose worktree is present, by task id."""
    found = []
    for name in sorted(repo.list_worktrees()):
        if not _is_agentdeck_task(repo, name):
            continue
        try:
            found.append(open_task_workspace(repo, name))
        except WorkspaceError:
            continue  # half-gone tasks are prune_worktrees' and remove_task_workspace's job
    return found


def remove_task_workspace(
    repo: pygit2.Repository, task_id: str, *, delete_branch: bool = False, force: bool = False
) -> None:
    """Delete a task's worktree directory and metadata; refuse to drop uncommitted work unless forced."""
    check_task_id(task_id)
    if not _is_agentdeck_task(repo, task_id):
        raise WorkspaceError(f"no workspace for task {task_id}: nothing to remove")
    path = _worktree_path(repo, task_id)
    if path is not None:
        if path.is_dir():
            _check_removable(repo, task_id, path, force)
            _rmtree(path)
        repo.lookup_worktree(task_id).prune(True)
    if delete_branch:
        _delete_branch_and_base(repo, task_id)


def prune_worktrees(repo: pygit2.Repository) -> list[str]:
    """Drop the metadata of agentdeck worktrees whose directories are gone; return their names."""
    pruned = []
    for name in sorted(repo.list_worktrees()):
        # The user's own worktrees are left to git: one on an unmounted drive only looks gone.
        if not _is_agentdeck_task(repo, name):
            continue
        worktree = repo.lookup_worktree(name)
        if worktree.is_prunable:  # directory gone and not locked
            worktree.prune(False)
            pruned.append(name)
    return pruned


def _is_agentdeck_task(repo: pygit2.Repository, task_id: str) -> bool:
    return base_ref(task_id) in repo.references or repo.lookup_branch(branch_name(task_id)) is not None


def _worktree_path(repo: pygit2.Repository, name: str) -> Path | None:
    if name not in repo.list_worktrees():
        return None
    return Path(repo.lookup_worktree(name).path)


def _check_removable(repo: pygit2.Repository, task_id: str, path: Path, force: bool) -> None:
    root = repository_root(repo).resolve()
    resolved = path.resolve()
    if resolved == root or root.is_relative_to(resolved):
        raise WorkspaceError(f"refusing to delete {path}: it contains your own working tree")
    if force:
        return
    try:
        dirty = has_changes(pygit2.Repository(str(path)))
    except pygit2.GitError as exc:
        raise WorkspaceError(
            f"cannot check {path} for uncommitted changes ({exc}): inspect it, then remove with force"
        ) from exc
    if dirty:
        raise WorkspaceError(
            f"task {task_id} has uncommitted changes in {path}: checkpoint or discard them, or remove "
            "with force to delete them"
        )


def _rmtree(path: Path) -> None:
    def make_writable_and_retry(func, failed_path, _exc) -> None:  # type: ignore[no-untyped-def]
        # Agents may leave read-only files or directories (chmod'ed build output, Go module caches).
        for writable in (os.path.dirname(failed_path), failed_path):
            if os.path.lexists(writable) and not os.path.islink(writable):
                os.chmod(writable, os.stat(writable).st_mode | stat.S_IRWXU)
        func(failed_path)

    try:
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=make_writable_and_retry)
        else:
            shutil.rmtree(path, onerror=make_writable_and_retry)
    except OSError as exc:
        raise WorkspaceError(
            f"cannot delete {path} ({exc}): delete it by hand, then prune worktrees"
        ) from exc


def _delete_branch_and_base(repo: pygit2.Repository, task_id: str) -> None:
    branch = repo.lookup_branch(branch_name(task_id))
    if branch is not None:
        try:
            branch.delete()
        except pygit2.GitError as exc:
            raise WorkspaceError(
                f"cannot delete branch {branch_name(task_id)} ({exc}): if it is checked out, switch "
                "to another branch first"
            ) from exc
    if base_ref(task_id) in repo.references:
        repo.lookup_reference(base_ref(task_id)).delete()
