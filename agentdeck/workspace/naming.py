"""Names agentdeck gives to a task's branch, base ref and worktree."""

from __future__ import annotations

import re

import pygit2

from agentdeck.workspace.errors import WorkspaceError

BRANCH_PREFIX = "agentdeck/"
BASE_REF_PREFIX = "refs/agentdeck/base/"

# Stricter than git requires: the id is also a worktree name and a directory name.
_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_task_id(task_id: str) -> None:
    """Raise WorkspaceError unless `task_id` is usable as a ref component and worktree name."""
    if not _TASK_ID.fullmatch(task_id) or not pygit2.reference_is_valid_name(branch_ref(task_id)):
        raise WorkspaceError(
            f"invalid task id {task_id!r}: use letters, digits, '-', '_' or '.', starting with a "
            "letter or digit (new_task_id makes valid ones)"
        )


def branch_name(task_id: str) -> str:
    """The task's branch name, e.g. agentdeck/fix-typo-1a2b."""
    return BRANCH_PREFIX + task_id


def branch_ref(task_id: str) -> str:
    """The task's full branch ref name."""
    return "refs/heads/" + branch_name(task_id)


def base_ref(task_id: str) -> str:
    """The ref recording the commit the task's branch started from."""
    return BASE_REF_PREFIX + task_id
