"""Undo what a test run left in a task worktree, so build debris is never checkpointed or merged."""

from __future__ import annotations

import os
from pathlib import Path

import pygit2
from pygit2.enums import FileStatus

from agentdeck.workspace.errors import WorkspaceError


def changed_paths(worktree: Path) -> set[str]:
    """Paths in `worktree` that differ from its HEAD: modified, deleted or untracked (ignored aside)."""
    repo = _open(worktree)
    return {
        name
        for name, flags in repo.status(untracked_files="all", ignored=False).items()
        if flags not in (FileStatus.CURRENT, FileStatus.IGNORED)
    }


def discard_new_changes(worktree: Path, before: set[str]) -> list[str]:
    """Restore or delete every path that changed since `before` was taken; returns those paths, sorted."""
    repo = _open(worktree)
    statuses = repo.status(untracked_files="all", ignored=False)
    new = sorted(
        name
        for name, flags in statuses.items()
        if flags not in (FileStatus.CURRENT, FileStatus.IGNORED) and name not in before
    )
    tracked = [name for name in new if statuses[name] != FileStatus.WT_NEW]
    root = Path(worktree)
    for name in new:
        if statuses[name] == FileStatus.WT_NEW:
            target = root / name
            if target.is_file() or target.is_symlink():
                target.unlink()
            _remove_empty_parents(target.parent, root)
    if tracked:
        try:
            repo.checkout_head(strategy=pygit2.enums.CheckoutStrategy.FORCE, paths=tracked)
        except pygit2.GitError as exc:
            raise WorkspaceError(f"cannot restore {', '.join(tracked)} in {worktree}: {exc}") from exc
    return new


def _remove_empty_parents(directory: Path, root: Path) -> None:
    while directory != root and directory.is_relative_to(root):
        try:
            os.rmdir(directory)
        except OSError:
            return  # not empty (or gone): stop here
        directory = directory.parent


def _open(worktree: Path) -> pygit2.Repository:
    try:
        return pygit2.Repository(str(worktree))
    except pygit2.GitError as exc:
        raise WorkspaceError(f"cannot open the task worktree {worktree}: {exc}") from exc
