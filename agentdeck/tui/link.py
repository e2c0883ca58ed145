"""How the cockpit reaches its session: over the daemon's socket (normal) or in-process (tests).

Both hand out `SessionAPI` objects, so the app cannot tell them apart. Over the socket a
connection carries one subscription, so the cockpit opens one connection for commands and
the live stream, and short-lived ones to read a task's history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agentdeck.runtime.session_api import SessionAPI
    from agentdeck.server.paths import SessionPaths


class SetupError(Exception):
    """What the person must fix before the session can be reached: a bad config file, not a repository."""


class SessionLink(Protocol):
    label: str

    async def open(
        self, notice: Callable[[str], None] | None = None, *, start: bool = True
    ) -> SessionAPI: ...

    async def release(self, api: SessionAPI) -> None: ...


class DaemonLink:
    """The repository's session daemon, started when none runs.

    Nothing is read or checked until the first `open`, which the cockpit makes after its
    first frame: then `prepare` runs (the demo creates its sample repository there), the
    repository is opened and the whole configuration validated, all in a thread. A problem
    there raises `SetupError` with the one-line message the command line would print.
    """

    def __init__(self, repo_root: Path, prepare: Callable[[], None] | None = None) -> None:
        self.repo_root = repo_root
        self.label = repo_root.name
        self._prepare = prepare
        self._paths: SessionPaths | None = None
        self._setting_up = asyncio.Lock()

    def _set_up(self) -> SessionPaths:
        from agentdeck.config import ConfigError, load_settings
        from agentdeck.server.paths import session_paths
        from agentdeck.workspace import WorkspaceError, open_repository

        try:
            if self._prepare is not None:
                self._prepare()
            paths = session_paths(open_repository(self.repo_root))
            load_settings(self.repo_root)  # the daemon would refuse it too, less clearly
        except (ConfigError, WorkspaceError, OSError) as exc:
            raise SetupError(str(exc)) from None
        return paths

    async def open(self, notice: Callable[[str], None] | None = None, *, start: bool = True) -> SessionAPI:
        from agentdeck.server.client import SessionClient
        from agentdeck.server.launcher import DaemonError

        async with self._setting_up:
            if self._paths is None:
                self._paths = await asyncio.to_thread(self._set_up)
        # Only attaching may start a daemon: reading a history after `agentdeck stop` must not.
        client = await SessionClient.connect(self.repo_root, self._paths, start=start, notice=notice)
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
