"""Git workspaces for agents: a branch and worktree per task, checkpoints and diffs (pygit2 only).

All calls block; run them in a worker thread from async code.
"""

from __future__ import annotations

from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.repository import (
    default_worktrees_dir,
    open_repository,
    repository_root,
    user_tree_is_dirty,
)
from agentdeck.workspace.task import DiffStats, TaskWorkspace
from agentdeck.workspace.task_ids import new_task_id
from agentdeck.workspace.worktrees import (
    create_task_workspace,
    list_task_workspaces,
    open_task_workspace,
    prune_worktrees,
    remove_task_workspace,
)

__all__ = [
    "DiffStats",
    "TaskWorkspace",
    "WorkspaceError",
    "create_task_workspace",
    "default_worktrees_dir",
    "list_task_workspaces",
    "new_task_id",
    "open_repository",
    "open_task_workspace",
    "prune_worktrees",
    "remove_task_workspace",
    "repository_root",
    "user_tree_is_dirty",
]
