"""Git objects written inside the sandbox, moved into the repository by agentdeck (outside it).

In the sandbox the repository's object store is read-only (the agent must not be able to delete
or overwrite the user's history), so `git add` writes its objects into the worktree's admin dir.
After each command they are re-hashed and written into the real store: a forged object file
cannot land under a name that does not match its content.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pygit2

_TYPES = {b"commit": 1, b"tree": 2, b"blob": 3, b"tag": 4}


def import_sandbox_objects(objects_dir: Path, worktree: Path) -> int:
    """Write every loose object under `objects_dir` into the worktree's repository; returns how many."""
    files = [p for p in objects_dir.glob("??/*") if p.is_file()]
    if not files:
        return 0
    repo = pygit2.Repository(str(worktree))
    imported = 0
    for path in files:
        try:
            raw = zlib.decompress(path.read_bytes())
            header, _, body = raw.partition(b"\0")
            kind = _TYPES.get(header.split(b" ", 1)[0])
            if kind is not None:
                repo.odb.write(kind, body)
                imported += 1
        except (OSError, zlib.error, pygit2.GitError):
            pass  # a broken or forged file is dropped, never trusted
        path.unlink(missing_ok=True)
    return imported
