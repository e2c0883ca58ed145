"""Resolve a path the model gave into one inside the worktree, or refuse it."""

from __future__ import annotations

import os
from pathlib import Path


class ToolError(Exception):
    """A tool call the model can correct: its text goes back to the model as the result."""


def resolve_inside(worktree: Path, raw: str) -> Path:
    """The real path of `raw` within `worktree`; ToolError if it leads outside.

    `realpath` follows every symlink on the way (also for a file that doesn't exist yet),
    so `..`, absolute paths and symlinks out are all caught by the one containment check.
    """
    if not raw or "\x00" in raw:
        raise ToolError(f"invalid path {raw!r}")
    root = Path(os.path.realpath(worktree))
    candidate = Path(raw) if os.path.isabs(raw) else root / raw
    real = Path(os.path.realpath(candidate))
    if real != root and root not in real.parents:
        raise ToolError(
            f"path {raw!r} leads outside the worktree ({real}); use paths relative to the worktree root"
        )
    relative = real.relative_to(root)
    if relative.parts[:1] == (".git",):
        raise ToolError(f"path {raw!r} is inside .git, which agents may not touch")
    return real


def display(worktree: Path, path: Path) -> str:
    """A path as the model should see it: relative to the worktree root."""
    root = Path(os.path.realpath(worktree))
    relative = path.relative_to(root).as_posix()
    return relative or "."
