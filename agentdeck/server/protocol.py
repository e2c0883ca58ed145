"""The wire protocol: JSON lines over a Unix socket, one JSON document per line.

Client → daemon: first `{"type": "hello", "protocol": N}`, then requests
`{"id": 7, "command": {...a command of agentdeck.events...}}`.

Daemon → client: `{"type": "welcome", "protocol": N, "pid": P, "last_seq": S}` (or
`{"type": "error", "error": "..."}` and the connection closes), then, in any order:
replies `{"type": "reply", "id": 7, "ok": true, "result": {...}}` /
`{"type": "reply", "id": 7, "ok": false, "error": "one line", "code": "usage"|"failed"}`,
events (each line is exactly one event of the pydantic vocabulary, `parse_event` reads
it), and after a subscription's replay `{"type": "replayed", "last_seq": S}`.
"""

from __future__ import annotations

import json
from typing import Any

# 2: review commands (merge, reject, request_changes, retry, cleanup, pull_request, review, result).
# 3: Subscribe(exclude=[event types]): the cockpit's main stream leaves out text deltas.
PROTOCOL_VERSION = 3
# Events carry tool output (capped at a few dozen kB); a line is never near this.
LINE_LIMIT = 16 * 1024 * 1024
CONTROL_TYPES = {"welcome", "reply", "error", "replayed"}


class ProtocolError(Exception):
    """The other side spoke something else; `str()` says what."""


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def decode(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"not a JSON line: {line[:80]!r}") from exc
    if not isinstance(message, dict):
        raise ProtocolError(f"not a JSON object: {line[:80]!r}")
    return message


def hello() -> dict[str, Any]:
    return {"type": "hello", "protocol": PROTOCOL_VERSION}


def check_hello(message: dict[str, Any]) -> str | None:
    """None when the client's hello is acceptable, else the reason to refuse it."""
    if message.get("type") != "hello":
        return "expected a hello first: {\"type\": \"hello\", \"protocol\": %d}" % PROTOCOL_VERSION
    version = message.get("protocol")
    if version != PROTOCOL_VERSION:
        return (
            f"protocol mismatch: this session daemon speaks protocol {PROTOCOL_VERSION}, the client "
            f"{version}; run `agentdeck stop` and try again so the daemon of this agentdeck starts"
        )
    return None
