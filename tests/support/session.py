"""Real session daemons for tests: attach a client, wait on events from the socket, clean up."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from agentdeck.events import Event
from agentdeck.server.client import SessionClient
from agentdeck.server.launcher import daemon_pid
from agentdeck.server.paths import SessionPaths


def paths_of(repo: Path) -> SessionPaths:
    return SessionPaths(repo / ".git" / "agentdeck")


async def attach(repo: Path) -> SessionClient:
    client = await SessionClient.connect(repo, paths_of(repo))
    assert client is not None
    return client


async def collect_until(
    events: AsyncIterator[Event], done: Callable[[Event], bool], timeout: float = 60.0
) -> list[Event]:
    """Events from `events` up to and including the first for which `done` is true."""
    seen: list[Event] = []

    async def run() -> list[Event]:
        async for event in events:
            seen.append(event)
            if done(event):
                return seen
        raise AssertionError(f"the stream ended before the awaited event; last: {seen[-3:]}")

    try:
        return await asyncio.wait_for(run(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out; last events: {[type(e).__name__ for e in seen[-5:]]}") from None


def kill_daemon(repo: Path, sig: int = signal.SIGKILL, timeout: float = 10.0) -> int | None:
    """Send `sig` to the repository's daemon and wait until it is gone; its pid, or None if none ran."""
    paths = paths_of(repo)
    pid = daemon_pid(paths)
    if pid is None or pid < 0:
        return None
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while daemon_pid(paths) is not None:  # the flock goes the moment the process is dead
        if time.monotonic() > deadline:
            raise AssertionError(f"daemon {pid} still alive {timeout} s after signal {sig}")
        time.sleep(0.02)
    return pid
