"""`SessionClient`: the Session interface over the daemon's socket (see runtime/session_api.py)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentdeck.api import Command, Subscribe
from agentdeck.events import Event, parse_event
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.session_api import ReplyT, SessionAPI
from agentdeck.server import protocol
from agentdeck.server.launcher import DaemonError, connect_or_start
from agentdeck.server.paths import SessionPaths

_END = object()


class SessionClient(SessionAPI):
    """One connection to the session daemon. One subscription at a time per connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._events: asyncio.Queue = asyncio.Queue()
        self._reading: asyncio.Task | None = None
        self.welcome: dict[str, Any] = {}
        self.closed_reason: str | None = None

    @classmethod
    async def connect(
        cls, repo_root: Path, paths: SessionPaths, *, start: bool = True, notice=None
    ) -> SessionClient | None:
        """Attach to the daemon, starting it when none runs (None when none runs and not `start`)."""
        streams = await connect_or_start(repo_root, paths, start=start, notice=notice)
        if streams is None:
            return None
        client = cls(*streams)
        await client._handshake()
        return client

    async def _handshake(self) -> None:
        self._writer.write(protocol.encode(protocol.hello()))
        await self._writer.drain()
        line = await self._reader.readline()
        if not line:
            raise DaemonError("the session daemon closed the connection during the handshake")
        message = protocol.decode(line)
        if message.get("type") != "welcome":
            raise DaemonError(str(message.get("error") or f"unexpected handshake reply: {message}"))
        self.welcome = message
        self._reading = asyncio.create_task(self._read_loop())

    async def _read_loop(self) -> None:
        reason = "the session daemon closed the connection"
        try:
            while line := await self._reader.readline():
                message = protocol.decode(line)
                kind = message.get("type")
                if kind == "reply":
                    future = self._pending.pop(message.get("id", -1), None)
                    if future is not None and not future.done():
                        future.set_result(message)
                elif kind == "replayed":
                    self._events.put_nowait(message)
                elif kind == "error":
                    reason = str(message.get("error"))
                    break
                else:
                    self._events.put_nowait(parse_event(message))
        except (ConnectionError, protocol.ProtocolError, ValueError) as exc:
            reason = f"the connection to the session daemon broke: {exc}"
        self.closed_reason = reason
        for future in self._pending.values():
            if not future.done():
                future.set_exception(CommandError(reason, code="failed"))
        self._pending.clear()
        self._events.put_nowait(_END)

    async def execute(self, command: Command[ReplyT]) -> ReplyT:
        if self.closed_reason:
            raise CommandError(self.closed_reason, code="failed")
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self._writer.write(protocol.encode({"id": request_id, "command": command.model_dump(mode="json")}))
        await self._writer.drain()
        reply = await future
        if not reply.get("ok"):
            raise CommandError(str(reply.get("error")), code=reply.get("code", "failed"))
        try:
            return command.parse_reply(reply.get("result") or {})
        except ValidationError as exc:  # a daemon of another agentdeck build, speaking the same protocol
            raise CommandError(
                f"the session daemon's reply to {command.type} is not what this agentdeck expects "
                f"({exc.error_count()} problem(s)); run `agentdeck stop` and try again, so the daemon "
                "of this agentdeck starts",
                code="failed",
            ) from None

    async def subscribe(
        self,
        from_seq: int = 0,
        task_id: str | None = None,
        *,
        follow: bool = True,
        exclude: Iterable[str] = (),
    ) -> AsyncIterator[Event]:
        await self.execute(
            Subscribe(from_seq=from_seq, task_id=task_id, follow=follow, exclude=list(exclude))
        )
        while True:
            item = await self._events.get()
            if item is _END:
                return
            if isinstance(item, dict):  # the `replayed` marker
                if not follow:
                    return
                continue
            yield item

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, BrokenPipeError):
            pass
        if self._reading is not None:
            self._reading.cancel()
            await asyncio.gather(self._reading, return_exceptions=True)

    async def wait_closed(self, timeout: float | None = None) -> None:
        """Wait until the daemon closes the connection (e.g. after `stop`)."""
        if self._reading is not None:
            await asyncio.wait_for(asyncio.shield(self._reading), timeout)
