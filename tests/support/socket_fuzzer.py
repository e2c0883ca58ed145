"""Drive hostile frames (tests/support/fuzz_frames.py) at a live daemon and judge every answer.

The rule checked for every frame: each complete line gets exactly one reply (an error reply
that says in words what was wrong, for a bad line), or the daemon closes that connection
after an `error` line saying why. Silence (no answer within `reply_timeout`) is a failure,
and so is a reply that reads like a traceback. Used by tests/test_faults_socket.py and
tests/benchmarks/soak_socket.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from agentdeck.server import protocol
from agentdeck.server.launcher import open_connection
from agentdeck.server.paths import SessionPaths
from tests.support.fuzz_frames import Frame, FrameGenerator

# Share of "send" frames written on the connection already open (the rest open a new one).
_REUSE = 0.7
# After an error reply on a kept connection, how often a valid request checks it still works.
_PROBE = 0.15
_PROBE_ID = -1


@dataclass
class FuzzReport:
    """What one fuzz run saw: counts for the report, and every broken rule in `problems`."""

    seed: int
    frames: int = 0
    lines: int = 0
    error_replies: int = 0
    ok_replies: int = 0
    closed_connections: int = 0
    hangups: int = 0
    connections: int = 0
    probes: int = 0
    seconds: float = 0.0
    kinds: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    # A few error texts per kind of frame: what a person reading the replies would see.
    samples: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"fuzz seed {self.seed}: {self.frames} frames ({self.lines} lines) in {self.seconds:.1f} s "
            f"({self.frames_per_second:.0f}/s): {self.error_replies} error replies, {self.ok_replies} ok replies, "
            f"{self.closed_connections} connections closed by the daemon, {self.hangups} client hang-ups, "
            f"{self.connections} connections, {self.probes} probes, {len(self.problems)} problems"
        )


class _Closed(Exception):
    """The daemon closed the connection; `reason` is its error line, or None when it said nothing."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason)
        self.reason = reason


class SocketFuzzer:
    def __init__(self, paths: SessionPaths, seed: int, *, reply_timeout: float = 10.0) -> None:
        self.paths = paths
        self.seed = seed
        self.generator = FrameGenerator(seed)
        self.rng = random.Random(seed ^ 0x5EED)  # connection choices: replayable too
        self.reply_timeout = reply_timeout
        self.report = FuzzReport(seed)
        self._conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def run(
        self, count: int, on_frame: Callable[[int], Awaitable[None] | None] | None = None
    ) -> FuzzReport:
        started = time.perf_counter()
        try:
            for index in range(count):
                frame = self.generator.next_frame()
                await self._play(index, frame)
                if on_frame is not None:
                    result = on_frame(index)
                    if result is not None:
                        await result
        finally:
            await self._drop()
            self.report.seconds = time.perf_counter() - started
        return self.report

    # Connections.

    async def _connect(self, handshake: bool = True) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await open_connection(self.paths)
        self.report.connections += 1
        if handshake:
            writer.write(protocol.encode(protocol.hello()))
            welcome = json.loads(await asyncio.wait_for(reader.readline(), self.reply_timeout))
            if welcome.get("type") != "welcome":
                raise AssertionError(f"a correct hello was refused: {welcome}")
        return reader, writer

    async def _drop(self) -> None:
        if self._conn is not None:
            await _close(self._conn[1])
            self._conn = None

    # Frames.

    async def _play(self, index: int, frame: Frame) -> None:
        report = self.report
        report.frames += 1
        report.kinds[frame.kind] += 1
        report.lines += frame.lines
        try:
            if frame.mode == "hello":
                await self._play_hello(index, frame)
            elif frame.mode == "hangup":
                await self._drop()
                _, writer = await self._connect()
                writer.write(frame.data)
                await _close(writer)
                report.hangups += 1
            else:
                if frame.mode == "fresh" or self._conn is None or self.rng.random() > _REUSE:
                    await self._drop()
                    self._conn = await self._connect()
                await self._exchange(index, frame)
        except TimeoutError:
            self._problem(index, frame, f"no answer within {self.reply_timeout} s")
            await self._drop()
        except (ConnectionError, OSError) as exc:
            self._problem(index, frame, f"the connection failed: {exc!r}")
            await self._drop()

    async def _play_hello(self, index: int, frame: Frame) -> None:
        await self._drop()
        reader, writer = await self._connect(handshake=False)
        try:
            writer.write(frame.data)
            line = await asyncio.wait_for(reader.readline(), self.reply_timeout)
            answer = _parse(line)
            if answer is None or answer.get("type") not in ("error", "welcome"):
                self._problem(index, frame, f"a bad hello got {line[:200]!r}, not an error")
            elif answer["type"] == "error":
                self._check_words(index, frame, answer.get("error"))
                self.report.error_replies += 1
                if await asyncio.wait_for(reader.readline(), self.reply_timeout) != b"":
                    self._problem(index, frame, "the daemon refused a hello but kept the connection open")
                self.report.closed_connections += 1
        finally:
            await _close(writer)

    async def _exchange(self, index: int, frame: Frame) -> None:
        assert self._conn is not None
        reader, writer = self._conn
        try:
            writer.write(frame.data)
            await writer.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon may hang up mid-write (an oversized frame): its error line is still there to read
        request_ids = _request_ids(frame) if frame.kind == "valid" else None
        errors_before = self.report.error_replies
        try:
            for n in range(frame.lines):
                reply = await self._next_reply(reader)
                self._judge_reply(index, frame, reply, request_ids[n] if request_ids else None)
        except _Closed as closed:
            self.report.closed_connections += 1
            self._conn = None
            await _close(writer)
            if closed.reason is None:
                self._problem(index, frame, "the daemon closed the connection without saying why")
            elif frame.kind == "valid":
                self._problem(index, frame, f"a valid request lost its connection: {closed.reason}")
            else:
                self._check_words(index, frame, closed.reason)
                self.report.reasons[closed.reason[:60]] += 1
            return
        if self.report.error_replies > errors_before and self.rng.random() < _PROBE:
            await self._probe(index, frame)

    async def _probe(self, index: int, frame: Frame) -> None:
        """The connection that just had an error reply still serves a correct request."""
        assert self._conn is not None
        reader, writer = self._conn
        self.report.probes += 1
        writer.write(protocol.encode({"id": _PROBE_ID, "command": {"type": "status"}}))
        try:
            reply = await self._next_reply(reader)
        except _Closed as closed:
            self._problem(index, frame, f"after an error reply the connection closed: {closed.reason}")
            self._conn = None
            return
        if not (reply.get("ok") and reply.get("id") == _PROBE_ID and "tasks" in reply.get("result", {})):
            self._problem(index, frame, f"after an error reply a status request got {str(reply)[:200]}")

    async def _next_reply(self, reader: asyncio.StreamReader) -> dict:
        """The next reply on this connection, skipping events and replay markers."""
        while True:
            line = await asyncio.wait_for(reader.readline(), self.reply_timeout)
            if not line:
                raise _Closed(None)
            message = _parse(line)
            if message is None:
                raise AssertionError(f"the daemon sent a line that is not JSON: {line[:200]!r}")
            kind = message.get("type")
            if kind == "error":
                reason = message.get("error")
                if await asyncio.wait_for(reader.readline(), self.reply_timeout) not in (b"",):
                    raise AssertionError(f"the daemon sent an error line but kept the connection: {reason}")
                raise _Closed(str(reason) if reason else None)
            if kind == "reply":
                return message

    def _judge_reply(self, index: int, frame: Frame, reply: dict, request_id: object) -> None:
        if reply.get("ok"):
            self.report.ok_replies += 1
        else:
            self.report.error_replies += 1
            self._check_words(index, frame, reply.get("error"))
            if reply.get("code") not in ("usage", "failed"):
                self._problem(index, frame, f"an error reply without a known code: {reply}")
        if request_id is not None and reply.get("id") != request_id:
            self._problem(
                index, frame, f"the reply's id {reply.get('id')!r} is not the request's {request_id!r}"
            )

    def _check_words(self, index: int, frame: Frame, error: object) -> None:
        """An error a person can read: one short line, no traceback, no library dump."""
        text = error if isinstance(error, str) else ""
        seen = self.report.samples.setdefault(frame.kind, [])
        if len(seen) < 3 and text not in seen:
            seen.append(text)
        if not text.strip():
            self._problem(index, frame, f"an error without words: {error!r}")
        elif "Traceback" in text or "\n" in text or len(text) > 400 or "errors.pydantic.dev" in text:
            self._problem(index, frame, f"an error a person cannot read: {text[:300]!r}")

    def _problem(self, index: int, frame: Frame, what: str) -> None:
        self.report.problems.append(
            f"frame {index} ({frame.kind}, {frame.mode}, {len(frame.data)} bytes, seed {self.seed}): {what}; "
            f"frame starts {frame.data[:120]!r}"
        )


def _parse(line: bytes) -> dict | None:
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _request_ids(frame: Frame) -> list[object]:
    return [json.loads(line)["id"] for line in frame.data.splitlines()]


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await asyncio.wait_for(writer.wait_closed(), 5)
