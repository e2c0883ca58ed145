"""Find the repository's session daemon, or start one: never hang on a stale socket or pid.

Liveness is an flock on `daemon.lock`, held by the daemon for its whole life: the kernel
releases it the moment the process dies (kill -9 included), so a socket or pid file left
behind is recognised as stale without trusting pids (which get reused).
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from agentdeck.server.paths import SessionPaths

START_TIMEOUT_SECONDS = 30.0
_POLL_SECONDS = 0.05


class DaemonError(Exception):
    """The daemon could not be reached or started; `str()` is one line."""


def daemon_pid(paths: SessionPaths) -> int | None:
    """The pid of the live daemon of this session, or None when none holds the lock."""
    try:
        fd = os.open(paths.lock, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return _read_pid(paths) or -1  # alive (pid file not yet written: -1)
            raise
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(paths: SessionPaths) -> int | None:
    try:
        return int(paths.pid.read_text().strip())
    except (OSError, ValueError):
        return None


def clean_stale(paths: SessionPaths) -> bool:
    """Remove the socket and pid file of a dead daemon; True when there was something to remove."""
    removed = False
    for path in (paths.socket, paths.pid):
        try:
            path.unlink()
            removed = True
        except FileNotFoundError:
            pass
    return removed


def spawn_daemon(repo_root: Path, paths: SessionPaths) -> subprocess.Popen:
    """Start `python -m agentdeck daemon` detached from this terminal (its own session)."""
    paths.make_dir()
    log = open(paths.log, "ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "agentdeck", "daemon", "--repo", str(repo_root)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
            cwd=str(repo_root),
        )
    finally:
        log.close()


async def open_connection(paths: SessionPaths):
    from agentdeck.server.protocol import LINE_LIMIT

    return await asyncio.open_unix_connection(paths.socket_address(), limit=LINE_LIMIT)


async def connect_or_start(
    repo_root: Path,
    paths: SessionPaths,
    *,
    start: bool = True,
    timeout: float = START_TIMEOUT_SECONDS,
    notice=None,
):
    """(reader, writer) to the session daemon; starts one when none runs and `start` is set.

    Returns None when no daemon runs and `start` is False.
    """
    try:
        return await open_connection(paths)
    except (FileNotFoundError, ConnectionRefusedError):
        pass
    alive = daemon_pid(paths)
    process = None
    if alive is None:
        if clean_stale(paths) and notice:
            notice("removed the socket and pid file of a session daemon that is no longer running")
        if not start:
            return None
        process = spawn_daemon(repo_root, paths)
        if notice:
            notice(
                f"started the session daemon (pid {process.pid}); it keeps running after this command, "
                "`agentdeck stop` ends it"
            )
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await open_connection(paths)
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        if process is not None and process.poll() is not None and daemon_pid(paths) is None:
            raise DaemonError(
                f"the session daemon exited at start (status {process.returncode}): {_log_tail(paths)}"
            )
        if time.monotonic() > deadline:
            raise DaemonError(
                f"the session daemon did not open its socket within {timeout:.0f} s; see {paths.log}"
            )
        await asyncio.sleep(_POLL_SECONDS)


def _log_tail(paths: SessionPaths) -> str:
    try:
        lines = [line for line in paths.log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return f"no log at {paths.log}"
    return lines[-1] if lines else f"nothing in {paths.log}"
