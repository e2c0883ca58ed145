"""Room to say "the disk is full": a reserve file beside session.db, given up when a write fails.

When SQLite reports SQLITE_FULL the store deletes the reserve (RESERVE_BYTES) and retries,
so the session can still record that the disk is full and stop its agents cleanly (their
events and states committed, nothing half-written: SQLite rolls a failed transaction
back). The session then writes as little as it can until `restore` manages to write the
reserve again — the sign that space was freed.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

RESERVE_BYTES = 512 * 1024
RESERVE_SUFFIX = ".reserve"


def is_full(exc: BaseException) -> bool:
    """True when `exc` is SQLite's "database or disk is full" (or the OS's ENOSPC under it)."""
    if isinstance(exc, sqlite3.OperationalError):
        code = getattr(exc, "sqlite_errorcode", None)
        return code == sqlite3.SQLITE_FULL or "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno == 28  # ENOSPC


def full_message(db_path: Path) -> str:
    return (
        f"the disk holding {db_path.parent} is full: agentdeck stopped the agents (their work is committed "
        "as far as it could be) and writes nothing new. Free space there (`df -h "
        f"{db_path.parent}`; `agentdeck gc` removes merged tasks' worktrees); the session goes on by itself"
    )


class Reserve:
    """The reserve file of one store."""

    def __init__(self, db_path: Path) -> None:
        self.path = Path(str(db_path) + RESERVE_SUFFIX)

    @property
    def held(self) -> bool:
        return self.path.exists()

    def release(self) -> bool:
        """Delete the reserve to make room; True when there was one."""
        try:
            self.path.unlink()
            return True
        except FileNotFoundError:
            return False

    def restore(self) -> bool:
        """Write the reserve in full (fsynced); False, and nothing left behind, when there is no room."""
        if self.held and self.path.stat().st_size >= RESERVE_BYTES:
            return True
        try:
            with open(self.path, "wb") as handle:
                handle.write(b"\0" * RESERVE_BYTES)
                handle.flush()
                os.fsync(handle.fileno())
            return True
        except OSError:
            self.path.unlink(missing_ok=True)
            return False
