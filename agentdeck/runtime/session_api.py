"""The one interface to a session, the same in-process and over the socket.

`Session` (runtime/session.py) implements it directly; `SessionClient` (server/client.py)
over the daemon's socket. A caller (the CLI, the TUI, a test) sends a command of
agentdeck/api.py and gets that command's reply model back, and cannot tell the two apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from agentdeck.api import Command
    from agentdeck.events import Event

ReplyT = TypeVar("ReplyT", bound=BaseModel)


class SessionAPI(Protocol):
    async def execute(self, command: Command[ReplyT]) -> ReplyT:
        """Do what `command` asks; its reply model, or CommandError saying why not (and what to do)."""
        ...

    def subscribe(
        self,
        from_seq: int = 0,
        task_id: str | None = None,
        *,
        follow: bool = True,
        exclude: Iterable[str] = (),
    ) -> AsyncIterator[Event]:
        """Events after `from_seq`: the stored ones, then (with `follow`) live ones, no gap, no duplicate.

        `task_id` keeps one task's events; `exclude` leaves out events of those `type`s."""
        ...
