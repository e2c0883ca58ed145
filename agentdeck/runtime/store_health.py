"""Before the session trusts session.db: is it whole, and can we write it? Clear errors when not.

A damaged file (garbage over the header, a truncated file) is refused, never repaired or
replaced on its own: nothing in it is lost, and the message says how to keep it aside and
start afresh. A file another process holds a write lock on is waited for, a bounded time,
then refused naming the processes that have it open (read from /proc on Linux).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

LOCK_WAIT_SECONDS = 5.0


def corrupt_message(path: Path, detail: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return (
        f"the session store {path} is damaged ({detail}); agentdeck changed nothing. To start a fresh session, "
        f"move it aside: `mv {path} {path}.corrupt-{stamp}` (and its -wal/-shm files, if any); your tasks' "
        f"branches and worktrees stay in git, and `sqlite3 {path}.corrupt-{stamp} .recover` may rescue its events"
    )


def check_whole(db: sqlite3.Connection, path: Path) -> str | None:
    """None when SQLite finds the file whole (quick_check); else the error to show."""
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return corrupt_message(path, str(exc))
    problems = [row[0] for row in rows if row[0] != "ok"]
    return corrupt_message(path, problems[0]) if problems else None


def check_writable(db: sqlite3.Connection, path: Path, wait: float = LOCK_WAIT_SECONDS) -> str | None:
    """None when a write transaction can begin within `wait` seconds; else who holds the lock."""
    db.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
        return None
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
    holders = (
        ", ".join(f"pid {pid} ({command})" for pid, command in holders_of(path))
        or "a process agentdeck cannot see"
    )
    return (
        f"the session store {path} is locked by another process: {holders}; waited {wait:.0f} s. "
        "End that process or its open transaction (a `sqlite3` shell left in BEGIN?), then try again"
    )


def holders_of(path: Path) -> list[tuple[int, str]]:
    """Other processes with `path` open, from /proc (empty where there is no /proc)."""
    target = os.path.realpath(path)
    found: list[tuple[int, str]] = []
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []
    for pid in pids:
        if pid == os.getpid():
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == target for fd in fds):
                raw = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                command = " ".join(raw.replace("\0", " ").split())  # one line: the message is one line
                found.append((pid, command[:80] or "?"))
        except OSError:
            continue  # gone meanwhile, or not ours to look at
    return found
