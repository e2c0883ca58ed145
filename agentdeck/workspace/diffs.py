"""A task's change as text and per-file counts, for the judge and for review."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from agentdeck.workspace.checkpoints import tree_diff
from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.naming import branch_ref

_STATUS = {"A": "added", "D": "deleted", "M": "modified", "R": "renamed", "C": "copied", "T": "type changed"}


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str
    insertions: int
    deletions: int
    binary: bool = False


@dataclass
class BranchDiff:
    """The change from the task's base commit to its branch tip; `text` is cut at `max_chars`."""

    text: str
    cut: bool
    total_chars: int
    files: list[FileChange] = field(default_factory=list)

    @property
    def insertions(self) -> int:
        return sum(f.insertions for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions for f in self.files)


def branch_diff(repo_root: Path, task_id: str, base_commit: str, max_chars: int | None = None) -> BranchDiff:
    """The task's diff against its base, as a unified patch and per-file counts."""
    try:
        repo = pygit2.Repository(str(repo_root))
    except pygit2.GitError as exc:
        raise WorkspaceError(f"cannot open the repository at {repo_root}: {exc}") from exc
    diff = tree_diff(repo, base_commit, branch_ref(task_id))
    diff.find_similar()
    files = []
    for patch in diff:
        if patch is None:  # the typing allows it; libgit2 gives a patch for every delta
            continue
        delta = patch.delta
        _, added, removed = patch.line_stats
        path = delta.old_file.path if delta.status_char() == "D" else delta.new_file.path
        files.append(
            FileChange(
                path, _STATUS.get(delta.status_char(), "changed"), added, removed, bool(delta.is_binary)
            )
        )
    text = diff.patch or ""
    total = len(text)
    cut = max_chars is not None and total > max_chars
    if cut:
        # Cut at a line end, so the judge never sees half a line.
        text = text[: text.rfind("\n", 0, max_chars) + 1]
    return BranchDiff(text=text, cut=cut, total_chars=total, files=files)
