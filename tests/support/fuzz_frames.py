"""Hostile frames for the daemon's socket: random bytes and mutations of valid requests.

Seeded: the same seed gives the same frames, so a failure found by the fuzz test or the
soak script (tests/benchmarks/soak_socket.py) can be replayed frame by frame.

A `Frame` is what one client does on one turn: the bytes it writes, and how it behaves
(send on a fresh connection instead of the handshaken one, close without reading, ...).
Every newline-terminated line it writes must be answered by the daemon with one reply
(an error reply, for a bad line) unless the daemon closes the connection.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agentdeck.api import Enqueue, Stop, parse_command
from agentdeck.server import protocol

# Ids no task of a session ever has: a valid mutation never touches the real tasks.
_NO_TASK = "fuzz-no-such-task"


@dataclass(frozen=True)
class Frame:
    """One turn of a hostile client."""

    kind: str  # which mutation made it: the report counts by kind
    data: bytes
    # "send": write, then read one reply per line; "fresh": the same but on a new, handshaken
    # connection; "hello": on a new connection, `data` replaces the hello; "hangup": write
    # and close at once without reading (a client that leaves mid-frame or mid-reply).
    mode: str = "send"

    @property
    def lines(self) -> int:
        """How many replies the daemon owes (each complete line is one request)."""
        return self.data.count(b"\n")


def valid_requests(rng: random.Random, request_id: int) -> dict[str, Any]:
    """A well-formed request the daemon accepts: only harmless commands (no task is created or ended)."""
    commands: list[dict[str, Any]] = [
        {"type": "status"},
        {"type": "review"},
        {"type": "subscribe", "from_seq": rng.randrange(0, 50), "follow": False, "exclude": ["text_delta"]},
        {"type": "subscribe", "from_seq": 0, "task_id": _NO_TASK, "follow": True},
        {"type": "enqueue", "task": "fuzz task", "after": _NO_TASK, "priority": 1},
        {"type": "steer", "agent_id": _NO_TASK, "text": "hello"},
        {"type": "interrupt", "agent_id": _NO_TASK},
        {"type": "cancel", "agent_id": _NO_TASK},
        {"type": "resume", "agent_id": _NO_TASK},
        {"type": "promote", "agent_id": _NO_TASK},
        {"type": "demote", "agent_id": _NO_TASK},
        {"type": "edit_task", "agent_id": _NO_TASK, "priority": 3, "after": ""},
        {"type": "merge", "task_ids": [_NO_TASK]},
        {"type": "reject", "agent_id": _NO_TASK, "reason": "no"},
        {"type": "request_changes", "agent_id": _NO_TASK, "feedback": "more"},
        {"type": "retry", "agent_id": _NO_TASK, "feedback": "again"},
        {"type": "cleanup", "force": False},
        {"type": "gc", "dry_run": True},
        {"type": "pull_request", "agent_id": _NO_TASK},
        {"type": "result", "agent_id": _NO_TASK},
    ]
    return {"id": request_id, "command": rng.choice(commands)}


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of any type, including the awkward ones (huge ints, NaN, lone surrogates)."""
    choices = [
        lambda: None,
        lambda: rng.choice([True, False]),
        lambda: rng.randint(-(2**31), 2**31),
        lambda: rng.choice([2**63, -(2**63) - 1, 10**30, -(10**400)]),
        lambda: rng.choice([0.5, -1e308, 1e308, float("nan"), float("inf"), float("-inf")]),
        lambda: "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(0, 20))),
        lambda: rng.choice(["", "\x00", "\ud800", "\udfff x", "../../etc/passwd", "a\nb", "🦀" * 10]),
        lambda: [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))] if depth < 3 else [],
        lambda: (
            {str(rng.randrange(100)): _random_value(rng, depth + 1) for _ in range(rng.randrange(0, 3))}
            if depth < 3
            else {}
        ),
    ]
    return rng.choice(choices)()


def _dumps(value: Any) -> bytes:
    # allow_nan: the daemon must cope with NaN/Infinity, which Python's json reads.
    return json.dumps(value, separators=(",", ":"), allow_nan=True).encode()


def _nested(rng: random.Random, depth: int) -> bytes:
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
    return opener * depth + b"1" + closer * depth


class FrameGenerator:
    """Frames from one seed: `frames(n)` always yields the same n frames for the same seed."""

    # Kind → weight. Oversized frames are rare: each one is over a megabyte.
    KINDS = {
        "valid": 8,
        "truncated": 8,
        "bit_flip": 10,
        "wrong_type": 14,
        "missing_field": 8,
        "extra_field": 4,
        "unknown_command": 6,
        "invalid_utf8": 6,
        "lone_surrogate": 4,
        "deep_nesting": 4,
        "not_an_object": 6,
        "bad_id": 4,
        "random_bytes": 6,
        "long_value": 3,
        "burst": 3,
        "bad_hello": 3,
        "hangup_mid_frame": 2,
        "hangup_mid_reply": 2,
        "oversized": 0.4,
    }

    def __init__(self, seed: int, frame_limit: int = protocol.FRAME_LIMIT) -> None:
        self.seed = seed
        self.frame_limit = frame_limit
        self.rng = random.Random(seed)
        self._ids = 0
        self._kinds = list(self.KINDS)
        self._weights = [self.KINDS[k] for k in self._kinds]

    def frames(self, count: int) -> Iterator[Frame]:
        for _ in range(count):
            yield self.next_frame()

    def next_frame(self) -> Frame:
        kind = self.rng.choices(self._kinds, self._weights)[0]
        frame = getattr(self, f"_{kind}")()
        return frame if _harmless(frame) else Frame("valid", self._line(self._request()))

    # Building blocks.

    def _request(self) -> dict[str, Any]:
        self._ids += 1
        return valid_requests(self.rng, self._ids)

    def _line(self, message: Any) -> bytes:
        return _dumps(message) + b"\n"

    @staticmethod
    def _one_line(data: bytes) -> bytes:
        """A mutation must not split its frame in two: a newline inside becomes a space."""
        return data.replace(b"\n", b" ") + b"\n"

    # One method per kind.

    def _valid(self) -> Frame:
        return Frame("valid", self._line(self._request()), mode=self.rng.choice(["send", "send", "fresh"]))

    def _truncated(self) -> Frame:
        body = _dumps(self._request())
        return Frame("truncated", self._one_line(body[: self.rng.randrange(0, len(body))]))

    def _bit_flip(self) -> Frame:
        body = bytearray(_dumps(self._request()))
        for _ in range(self.rng.randrange(1, 9)):
            body[self.rng.randrange(len(body))] ^= 1 << self.rng.randrange(8)
        return Frame("bit_flip", self._one_line(bytes(body)))

    def _wrong_type(self) -> Frame:
        request = self._request()
        target = request["command"] if self.rng.random() < 0.8 else request
        key = self.rng.choice(list(target) + ["command"] * (target is request))
        target[key] = _random_value(self.rng)
        return Frame("wrong_type", self._one_line(_dumps(request)))

    def _missing_field(self) -> Frame:
        request = self._request()
        target = request["command"] if self.rng.random() < 0.7 else request
        for key in self.rng.sample(list(target), self.rng.randrange(1, len(target) + 1)):
            del target[key]
        return Frame("missing_field", self._one_line(_dumps(request)))

    def _extra_field(self) -> Frame:
        request = self._request()
        target = request["command"] if self.rng.random() < 0.5 else request
        target[self.rng.choice(["extra", "type2", "__class__", ""])] = _random_value(self.rng)
        return Frame("extra_field", self._one_line(_dumps(request)))

    def _unknown_command(self) -> Frame:
        request = self._request()
        request["command"]["type"] = self.rng.choice(
            ["", "STATUS", "stop ", "shutdown", "exec", "__init__", "x" * 1000, "statu", "reply", "hello"]
        )
        return Frame("unknown_command", self._one_line(_dumps(request)))

    def _invalid_utf8(self) -> Frame:
        body = bytearray(_dumps(self._request()))
        bad = self.rng.choice(
            [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\x80\x80", b"\xf8\x88\x80\x80\x80"]
        )
        at = self.rng.randrange(len(body) + 1)
        return Frame("invalid_utf8", self._one_line(bytes(body[:at]) + bad + bytes(body[at:])))

    def _lone_surrogate(self) -> Frame:
        # Written as a JSON escape: the only way a lone surrogate travels inside valid UTF-8.
        request = self._request()
        command = request["command"]
        command[self.rng.choice([k for k in command if k != "type"] or ["text"])] = "@SURROGATE@"
        escape = self.rng.choice([b"\\ud800", b"\\udfff", b"x\\ud83d", b"\\ude00y"])
        return Frame("lone_surrogate", self._one_line(_dumps(request).replace(b"@SURROGATE@", escape)))

    def _deep_nesting(self) -> Frame:
        depth = self.rng.choice([50, 500, 5_000, 100_000])
        nested = _nested(self.rng, depth)
        where = self.rng.random()
        if where < 0.4:
            body = nested
        elif where < 0.7:
            body = b'{"id":1,"command":' + nested + b"}"
        else:
            body = b'{"id":1,"command":{"type":"merge","task_ids":' + nested + b"}}"
        return Frame("deep_nesting", body + b"\n")

    def _not_an_object(self) -> Frame:
        body = self.rng.choice(
            [b"[]", b"[1,2]", b"1", b"-0.5e99", b'"status"', b"null", b"true", b"", b"   ", b"NaN", b"{}"]
        )
        return Frame("not_an_object", body + b"\n")

    def _bad_id(self) -> Frame:
        request = self._request()
        request["id"] = self.rng.choice([[1], {"a": 1}, 1.5, -1, 10**30, "x" * 10_000, True, float("nan")])
        return Frame("bad_id", self._one_line(_dumps(request)))

    def _random_bytes(self) -> Frame:
        body = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 300)))
        return Frame("random_bytes", self._one_line(body))

    def _long_value(self) -> Frame:
        # Big but under the limit: the daemon must answer, not choke.
        request = self._request()
        size = self.rng.randrange(10_000, self.frame_limit // 2)
        command = request["command"]
        if self.rng.random() < 0.5:
            command[self.rng.choice([k for k in command if k != "type"] or ["text"])] = "x" * size
        else:
            command["task_ids" if command["type"] == "merge" else "exclude"] = ["y"] * (size // 4)
        return Frame("long_value", self._one_line(_dumps(request)))

    def _burst(self) -> Frame:
        # Several requests in one write, valid and not: one reply each, in order.
        parts = [self.next_frame() for _ in range(self.rng.randrange(2, 6))]
        data = b"".join(p.data for p in parts if p.mode in ("send", "fresh") and p.kind != "oversized")
        return Frame("burst", data or self._line(self._request()))

    def _bad_hello(self) -> Frame:
        hello = protocol.hello()
        choice = self.rng.randrange(5)
        if choice == 0:
            hello["protocol"] = _random_value(self.rng)
        elif choice == 1:
            del hello[self.rng.choice(list(hello))]
        elif choice == 2:
            hello["type"] = _random_value(self.rng)
        elif choice == 3:
            return Frame(
                "bad_hello",
                self._one_line(_dumps(hello)[: self.rng.randrange(len(_dumps(hello)))]),
                mode="hello",
            )
        else:
            return Frame("bad_hello", self._line(self._request()), mode="hello")  # a request before the hello
        return Frame("bad_hello", self._one_line(_dumps(hello)), mode="hello")

    def _hangup_mid_frame(self) -> Frame:
        body = _dumps(self._request())
        return Frame(
            "hangup_mid_frame", body[: self.rng.randrange(1, len(body))].replace(b"\n", b" "), mode="hangup"
        )

    def _hangup_mid_reply(self) -> Frame:
        # Requests with big answers (a replay, a status), then gone before reading them.
        command = self.rng.choice(
            [{"type": "subscribe", "from_seq": 0, "follow": True}, {"type": "status"}, {"type": "review"}]
        )
        self._ids += 1
        return Frame(
            "hangup_mid_reply",
            self._line({"id": self._ids, "command": command}) * self.rng.randrange(1, 20),
            mode="hangup",
        )

    def _oversized(self) -> Frame:
        request = self._request()
        request["command"]["task"] = "z" * (self.frame_limit + self.rng.randrange(1, 4096))
        return Frame("oversized", self._line(request), mode="fresh")


def _harmless(frame: Frame) -> bool:
    """False for a frame that would stop the session or queue a real task (mutations can make one)."""
    for line in frame.data.split(b"\n"):
        try:
            message = json.loads(line)
            command = parse_command(message["command"])
        except Exception:
            continue
        if isinstance(command, (Stop, Enqueue)) and not (
            isinstance(command, Enqueue) and command.after == _NO_TASK
        ):
            return False
    return True
