"""A task's workspace: its branch, worktree and base commit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygit2

from agentdeck.workspace import checkpoints
from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.naming import branch_ref


@dataclass(frozen=True)
class DiffStats:
    """Size of a task's committed change relative to its base."""

    files_changed: int
    insertions: int
    deletions: int


@dataclass
class TaskWorkspace:
    """One agent's branch `agentdeck/<task_id>` checked out in its own worktree."""

    task_id: str
    branch: str
    path: Path
    base_commit: str
    repo_root: Path

    @property
    def _ref(self) -> str:
        return branch_ref(self.task_id)

    def _repo(self) -> pygit2.Repository:
        # A fresh Repository per call: callers use threads and pygit2 objects are not
        # safe to share between them. The user's repo shares refs with the worktree and
        # still works after the worktree directory is removed.
        try:
            return pygit2.Repository(str(self.repo_root))
        except pygit2.GitError as exc:
            raise WorkspaceError(f"cannot open the repository at {self.repo_root}: {exc}") from exc

    def head(self) -> str:
        """Hex id of the branch tip."""
        try:
            return str(self._repo().lookup_reference(self._ref).target)
        except KeyError as exc:
            raise WorkspaceError(f"branch {self.branch} no longer exists") from exc

    def checkpoint(self, message: str) -> str | None:
        """Commit everything in the worktree on the branch; the new hex id, or None if unchanged."""
        return checkpoints.commit_all(self.path, self._ref, message)

    def diff_stats(self) -> DiffStats:
        """Files, insertions and deletions from the base commit to the branch tip."""
        stats = checkpoints.tree_diff(self._repo(), self.base_commit, self._ref).stats
        return DiffStats(stats.files_changed, stats.insertions, stats.deletions)

    def changed_files(self) -> list[str]:
        """Paths changed from the base commit to the branch tip, sorted."""
        diff = checkpoints.tree_diff(self._repo(), self.base_commit, self._ref)
        return checkpoints.changed_paths(diff)
