"""How the cockpit reaches its session: over the daemon's socket (normal) or in-process (tests).

Both hand out `SessionAPI` objects, so the app cannot tell them apart. Over the socket a
connection carries one subscription, so the cockpit opens one connection for commands and
the live stream, and short-lived ones to read a task's history.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from agentdeck.runtime.session_api import SessionAPI


class SessionLink(Protocol):
    label: str

    async def open(self, notice: Callable[[str], None] | None = None, *, start: bool = True) -> SessionAPI: ...

    async def release(self, api: SessionAPI) -> None: ...


class DaemonLink:
    """The repository's session daemon, started when none runs."""

    def __init__(self, repo_root: Path) -> None:
        from agentdeck.server.paths import session_paths
        from agentdeck.workspace import open_repository

        self.repo_root = repo_root
        self.paths = session_paths(open_repository(repo_root))
        self.label = repo_root.name

    async def open(self, notice: Callable[[str], None] | None = None, *, start: bool = True) -> SessionAPI:
        from agentdeck.server.client import SessionClient
        from agentdeck.server.launcher import DaemonError

        # Only attaching may start a daemon: reading a history after `agentdeck stop` must not.
        client = await SessionClient.connect(self.repo_root, self.paths, start=start, notice=notice)
        if client is None:
            raise DaemonError("the session daemon is not running: run `agentdeck` to start it again")
        return client

    async def release(self, api: SessionAPI) -> None:
        await api.close()  # type: ignore[attr-defined]


class InProcessLink:
    """A `Session` running in this process (tests, benchmarks): every connection is the session."""

    def __init__(self, session: SessionAPI, label: str = "in-process") -> None:
        self.session = session
        self.label = label

    async def open(self, notice: Callable[[str], None] | None = None, *, start: bool = True) -> SessionAPI:
        return self.session

    async def release(self, api: SessionAPI) -> None:
        return None
