"""Artifacts: files a role task publishes for the tasks that depend on it (a schema, an API, a module).

When a dependant starts, each published file is read from its dependency's branch and placed,
read-only, under `.agentdeck/artifacts/<task id>/` in the dependant's worktree (a `.gitignore`
there keeps them out of its commits, so they never reach the integration twice), and shown in
its context. The sprint stores what was passed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pygit2

ARTIFACTS_DIR = ".agentdeck/artifacts"
MAX_ARTIFACT_BYTES = 64_000
MAX_CONTEXT_CHARS = 6_000


def read_published(repo_root: Path, branch: str, paths: list[str]) -> dict[str, str]:
    """The published files as they are at the tip of `branch` (missing ones left out; blocking)."""
    repo = pygit2.Repository(str(repo_root))
    ref = repo.lookup_branch(branch)
    if ref is None:
        return {}
    tree = ref.peel(pygit2.Commit).tree
    found = {}
    for path in paths:
        try:
            blob = repo.get(tree[path].id)
        except KeyError:
            continue
        if isinstance(blob, pygit2.Blob) and not blob.is_binary:
            found[path] = blob.data[:MAX_ARTIFACT_BYTES].decode("utf-8", "replace")
    return found


def place(worktree: Path, by_task: dict[str, dict[str, str]]) -> list[str]:
    """Write the artifacts read-only into the worktree; return their paths relative to it."""
    root = Path(worktree) / ARTIFACTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    # Ignores itself and everything beside it: checkpoints never commit another task's files.
    (root / ".gitignore").write_text("*\n", encoding="utf-8")
    placed = []
    for task_id, files in by_task.items():
        for path, text in files.items():
            target = (root / task_id / path).resolve()
            if not target.is_relative_to(root.resolve()):
                continue  # a published path that would escape the folder is not placed
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                os.chmod(target, stat.S_IRUSR | stat.S_IWUSR)
            target.write_text(text, encoding="utf-8")
            os.chmod(target, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            placed.append(f"{ARTIFACTS_DIR}/{task_id}/{path}")
    return placed


def context_section(by_task: dict[str, dict[str, str]]) -> str:
    """The artifacts as a section of a dependant's task text (each file cut to a size that fits)."""
    if not any(by_task.values()):
        return ""
    parts = ["## Artifacts published for you (read-only copies in your worktree)"]
    for task_id, files in by_task.items():
        for path, text in files.items():
            shown = (
                text
                if len(text) <= MAX_CONTEXT_CHARS
                else text[:MAX_CONTEXT_CHARS] + "\n[… cut: read the file]"
            )
            parts.append(
                f"### {ARTIFACTS_DIR}/{task_id}/{path} (from {task_id})\n\n```\n{shown.rstrip()}\n```"
            )
    return "\n\n".join(parts)
