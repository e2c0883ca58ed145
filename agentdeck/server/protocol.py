"""The wire protocol: JSON lines over a Unix socket, one JSON document per line.

Client → daemon: first `{"type": "hello", "protocol": N}`, then requests
`{"id": 7, "command": {...a command of agentdeck.api...}}`.

Daemon → client: `{"type": "welcome", "protocol": N, "pid": P, "last_seq": S}` (or
`{"type": "error", "error": "..."}` and the connection closes), then, in any order:
replies `{"type": "reply", "id": 7, "ok": true, "result": {...}}` /
`{"type": "reply", "id": 7, "ok": false, "error": "one line", "code": "usage"|"failed"}`,
events (each line is exactly one event of the pydantic vocabulary, `parse_event` reads
it), and after a subscription's replay `{"type": "replayed", "last_seq": S}`.
"""

from __future__ import annotations

import functools
import json
import re
import typing
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from agentdeck.text import one_line

# 2: review commands (merge, reject, request_changes, retry, cleanup, pull_request, review, result).
# 3: Subscribe(exclude=[event types]): the cockpit's main stream leaves out text deltas.
# 4: every reply is its command's reply model (agentdeck/replies.py); ListSprints beside GetSprint.
PROTOCOL_VERSION = 4
# Events carry tool output (capped at a few dozen kB); a line is never near this.
LINE_LIMIT = 16 * 1024 * 1024
# What the daemon reads from a client: a request is a command (a task text, a steer), never
# near a megabyte. A longer line is refused with an error and the connection closed.
FRAME_LIMIT = 1024 * 1024
CONTROL_TYPES = {"welcome", "reply", "error", "replayed"}


class ProtocolError(Exception):
    """The other side spoke something else; `str()` says what, in words a person can read."""


# How long an error may be on the wire: one line, whatever the request held.
ERROR_CHARS = 300
# What every refusal of a malformed request adds, so the reader knows what was expected.
REQUEST_HINT = 'a request is one JSON object per line: {"id": 1, "command": {"type": "status"}}'
HELLO_HINT = f'expected a hello first: {{"type": "hello", "protocol": {PROTOCOL_VERSION}}}'
# Request ids are echoed in the reply: small, and usable as a dict key by any client.
_ID_CHARS = 100
# A JSON escape of a UTF-16 surrogate: the only way an unpaired one can arrive in valid UTF-8.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def decode(line: bytes) -> dict[str, Any]:
    """One JSON object from one line; ProtocolError says what is wrong with anything else."""
    try:
        # Strict UTF-8 first: json.loads of bytes would guess UTF-16/32 and let surrogates through.
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"the line is not UTF-8 text (byte {exc.start} is {line[exc.start : exc.start + 1]!r})"
        ) from None
    try:
        message = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise ProtocolError("the JSON is nested too deeply to read") from None
    except ValueError as exc:  # json.JSONDecodeError and huge integers alike
        raise ProtocolError(f"not a JSON line ({exc}): {_quote(line)}") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"not a JSON object but {_json_kind(message)}: {_quote(line)}")
    if _SURROGATE_ESCAPE.search(line):
        try:
            json.dumps(message, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise ProtocolError(
                "a string holds an unpaired UTF-16 surrogate escape (like \\ud800): not text"
            ) from None
    return message


def parse_request(message: dict[str, Any]) -> tuple[int | str | None, dict[str, Any]]:
    """The id and the command object of a decoded request; ProtocolError when either is malformed."""
    request_id = message.get("id")
    if not _valid_id(request_id):
        raise ProtocolError(
            f"the request id must be a whole number or a string of at most {_ID_CHARS} characters"
        )
    command = message.get("command")
    if command is None:
        raise ProtocolError(f'the request has no "command"; {REQUEST_HINT}')
    if not isinstance(command, dict):
        raise ProtocolError(f'"command" must be a JSON object, not {_json_kind(command)}; {REQUEST_HINT}')
    kind = command.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(
            f'the command has no "type" naming it; the commands are: {", ".join(command_types())}'
        )
    if kind not in command_types():
        raise ProtocolError(
            f"unknown command {one_line(kind, 40)!r}; the commands are: {', '.join(command_types())}"
        )
    return request_id, command


def request_id_of(message: object) -> int | str | None:
    """The id to answer a bad request with: its own when usable, else null."""
    request_id = message.get("id") if isinstance(message, dict) else None
    return request_id if _valid_id(request_id) else None


def describe_invalid(exc: ValidationError) -> str:
    """A pydantic ValidationError of a command, as one line: which field, what was wrong."""
    errors = exc.errors(include_url=False)
    problems = []
    for error in errors[:3]:
        field = ".".join(str(part) for part in error["loc"][1:]) or "the command"
        problems.append(f"{field}: {error['msg'].lower()}{_got(error)}")
    more = len(errors) - len(problems)
    # The first part of an error's location is the command's type (the union's tag).
    kind = next((str(e["loc"][0]) for e in errors if e["loc"]), "")
    prefix = f"bad {kind} command: " if kind else "bad command: "
    return prefix + "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def too_large() -> str:
    return (
        f"request line too long: the limit is {FRAME_LIMIT // 1024 // 1024} MiB per line; "
        "the daemon closed this connection (reconnect and send smaller requests)"
    )


@functools.cache
def command_types() -> tuple[str, ...]:
    """Every command `type` the daemon knows, in the vocabulary's order."""
    from agentdeck.api import AnyCommand

    union = typing.get_args(AnyCommand)[0]
    return tuple(model.model_fields["type"].default for model in typing.get_args(union))


def _quote(line: bytes) -> str:
    return repr(line.rstrip(b"\r\n")[:80])


def _valid_id(request_id: object) -> bool:
    if request_id is None:
        return True
    if isinstance(request_id, bool):
        return False
    return (
        isinstance(request_id, int)
        and abs(request_id) < 2**63
        or isinstance(request_id, str)
        and len(request_id) <= _ID_CHARS
    )


def _got(error: ErrorDetails) -> str:
    value = error.get("input")
    if error["type"] in ("missing", "extra_forbidden") or isinstance(value, (dict, list)):
        return ""
    return f" (got {one_line(repr(value), 40)})"


def _json_kind(value: object) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null", dict: "an object"}.get(
        type(value), "a number"
    )


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def hello() -> dict[str, Any]:
    return {"type": "hello", "protocol": PROTOCOL_VERSION}


def check_hello(message: dict[str, Any]) -> str | None:
    """None when the client's hello is acceptable, else the reason to refuse it."""
    if message.get("type") != "hello":
        return HELLO_HINT
    version = message.get("protocol")
    if version != PROTOCOL_VERSION or isinstance(version, bool):
        theirs = "did not say which" if version is None else one_line(repr(version), 40)
        return (
            f"protocol mismatch: this session daemon speaks protocol {PROTOCOL_VERSION}, the client "
            f"{theirs}; run `agentdeck stop` and try again so the daemon of this agentdeck starts"
        )
    return None
