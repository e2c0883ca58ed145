"""How much disk the task worktrees take: everything under each directory, build output included.

Counted like `du`: allocated blocks of every file, directory and symlink under the
directory (untracked and ignored files too), symlinks not followed, a file with several
hard links counted once. Files that vanish or cannot be read mid-walk are skipped: a
build running beside the walk must not make it fail. It blocks: call it in a thread.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

GB = 1024**3


@dataclass
class DiskUsage:
    """One measurement: bytes per task (its worktree and its sub-agents'), the rest, and the total."""

    per_task: dict[str, int] = field(default_factory=dict)
    # Entries of the worktree directories that belong to no known task (`agentdeck run`, leftovers).
    other_bytes: int = 0
    files: int = 0
    elapsed_s: float = 0.0
    measured_at: float = 0.0

    @property
    def total_bytes(self) -> int:
        return sum(self.per_task.values()) + self.other_bytes


def measure(
    worktree_dirs: Iterable[Path], task_ids: Iterable[str], extra: dict[str, Path] | None = None
) -> DiskUsage:
    """Walk each directory of worktrees once; each entry goes to the task whose id it is (or `<id>.N`).

    `extra` names worktrees of tasks that lie outside `worktree_dirs` (the worktrees directory
    was changed after they started)."""
    started = time.perf_counter()
    ids = sorted(set(task_ids), key=len, reverse=True)
    usage = DiskUsage(per_task=dict.fromkeys(ids, 0))
    seen: set[tuple[int, int]] = set()  # (device, inode) of files with more than one link
    walked: set[Path] = set()
    for directory in worktree_dirs:
        directory = Path(directory)
        if directory in walked:
            continue
        walked.add(directory)
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            size, files = _entry_size(entry, seen)
            owner = _owner(entry.name, ids)
            usage.files += files
            if owner is None:
                usage.other_bytes += size
            else:
                usage.per_task[owner] += size
    for task_id, path in (extra or {}).items():
        path = Path(path)
        if path.parent in walked or not path.is_dir():
            continue
        size, files = _tree_size(str(path), seen)
        usage.per_task[task_id] = usage.per_task.get(task_id, 0) + size
        usage.files += files
    usage.elapsed_s = time.perf_counter() - started
    usage.measured_at = time.time()
    return usage


def tree_bytes(path: Path) -> int:
    """Bytes on disk under `path` (0 when it is gone)."""
    return _tree_size(str(path), set())[0] if os.path.isdir(path) else 0


def _owner(name: str, ids_longest_first: list[str]) -> str | None:
    for task_id in ids_longest_first:
        # Sub-agents' worktrees are `<id>.1`, `<id>.1.2`: they count toward the task.
        if name == task_id or name.startswith(task_id + "."):
            return task_id
    return None


def _entry_size(entry: os.DirEntry, seen: set[tuple[int, int]]) -> tuple[int, int]:
    try:
        if entry.is_dir(follow_symlinks=False):
            return _tree_size(entry.path, seen)
        return _stat_size(entry.stat(follow_symlinks=False), seen), 1
    except OSError:
        return 0, 0


def _tree_size(top: str, seen: set[tuple[int, int]]) -> tuple[int, int]:
    total, files = 0, 0
    try:
        total += _stat_size(os.lstat(top), seen)
    except OSError:
        return 0, 0
    stack = [top]
    while stack:
        try:
            iterator = os.scandir(stack.pop())
        except OSError:
            continue  # vanished, or not readable: what we cannot see we cannot count
        with iterator:
            for entry in iterator:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        files += 1
                    total += _stat_size(entry.stat(follow_symlinks=False), seen)
                except OSError:
                    continue
    return total, files


def _stat_size(st: os.stat_result, seen: set[tuple[int, int]]) -> int:
    if st.st_nlink > 1 and not _is_dir(st):
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return 0
        seen.add(key)
    blocks = getattr(st, "st_blocks", None)
    # st_blocks is in 512-byte units whatever the file system's block size (POSIX).
    return blocks * 512 if blocks is not None else st.st_size


def _is_dir(st: os.stat_result) -> bool:
    return (st.st_mode & 0o170000) == 0o040000
