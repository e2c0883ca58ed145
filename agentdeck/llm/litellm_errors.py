"""Sorting litellm's exceptions into kinds: which to retry, and what one line to tell the user.

litellm 1.106 wraps failures inconsistently (a refused connection arrives as a 500, a
missing key as a 500 or a "connection error"), so the kind is read from the whole chain
of wrapped exceptions, not from the outer type or status alone.
"""

from __future__ import annotations

import json
import re
import socket
from typing import Any

# Error kinds a retry can help with, when nothing of the turn was streamed yet.
RETRYABLE = frozenset({"rate_limit", "server", "timeout", "unreachable", "connection_lost"})
_MESSAGE_LIMIT = 200


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (causes, contexts, litellm's originals)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        original = getattr(current, "original_exception", None)
        todo += [
            original if isinstance(original, BaseException) else None,
            current.__cause__,
            current.__context__,
        ]
    return seen


def _status(chain: list[BaseException]) -> int | None:
    for exc in chain:
        try:
            status = int(getattr(exc, "status_code", None) or 0)
        except (TypeError, ValueError):
            continue
        if status:
            return status
    return None


_MISSING_KEY = re.compile(
    r"missing (?:\w+ )*api.?key|api.?key\b.*\b(?:missing|not set|not valid|invalid)"
    r"|missing credentials|api_key client option",
    re.IGNORECASE,
)


def classify(exc: BaseException, litellm: Any) -> tuple[str, str]:
    """(kind, detail) of a failed call; the kind decides retrying and the message."""
    import httpx
    import openai

    chain = _chain(exc)

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    status = _status(chain)
    if has(ImportError):
        missing = next(e for e in chain if isinstance(e, ImportError))
        return "broken_install", str(missing)
    # Connection failures first: litellm reports a refused connection as a 500.
    if has(ConnectionRefusedError):
        return "unreachable", "connection refused"
    if has(socket.gaierror):
        return "unreachable", "host not found"
    if has(httpx.ConnectError) and not has(httpx.TimeoutException, TimeoutError):
        return "unreachable", "cannot connect"
    if has(litellm.Timeout, openai.APITimeoutError, httpx.TimeoutException, TimeoutError):
        return "timeout", ""
    # A missing key arrives as 401, as a 500 (OpenAI SDK) or as a "connection error"
    # wrapping a ValueError (Gemini): recognise it by what it says.
    if has(litellm.AuthenticationError, openai.AuthenticationError) or status == 401:
        return "auth", ""
    if any(_MISSING_KEY.search(_first_line(e)) for e in chain):
        return "auth", ""
    if any("LLM Provider NOT provided" in _first_line(e) for e in chain):
        return "unknown_provider", ""
    network = any(
        isinstance(e, (OSError, httpx.TransportError)) or type(e).__module__.startswith("aiohttp")
        for e in chain
    )
    if network:
        reset = has(ConnectionResetError, httpx.RemoteProtocolError)
        return "connection_lost", "connection reset" if reset else "connection error"
    if has(litellm.APIConnectionError) and status in (None, 500):
        # litellm wraps local failures (bad arguments, provider SDK errors) this way;
        # no request went out, so retrying would only fail again.
        return "local", ""
    if has(litellm.RateLimitError) or status == 429:
        return "rate_limit", "429"
    if has(litellm.ContextWindowExceededError):
        return "bad_request", "context window exceeded"
    if has(litellm.NotFoundError) or status == 404:
        return "not_found", "404"
    if has(litellm.PermissionDeniedError) or status == 403:
        return "permission", "403"
    if has(litellm.BadRequestError, litellm.UnprocessableEntityError) or status in (400, 422):
        return "bad_request", str(status or 400)
    if status is not None and status >= 500:
        return "server", str(status)
    if has(litellm.ServiceUnavailableError, litellm.InternalServerError, litellm.APIError):
        return "server", str(status or 500)
    return "other", ""


_CAUSES = {
    "rate_limit": "rate limits (429)",
    "server": "server errors ({detail})",
    "timeout": "timeouts",
    "unreachable": "failed connections ({detail})",
    "connection_lost": "dropped connections ({detail})",
}


def retry_cause(kind: str, detail: str) -> str:
    """What keeps a call failing, for "retrying after …": "rate limits (429)", "server errors (503)"."""
    return _CAUSES.get(kind, kind).format(detail=detail or "?")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0]


_PREFIXES = re.compile(r"^(?:litellm\.\w+:\s*|\w+Error:\s*|\w*Exception\s*-\s*|Error code: \d+\s*-\s*)+")


def provider_message(exc: BaseException) -> str:
    """The provider's own words, one line, without litellm's prefixes and debug trailers."""
    text = str(getattr(exc, "message", None) or exc)
    text = _PREFIXES.sub("", text.strip())
    trailers = ("Traceback (most recent call last)", "Received Model Group", "LiteLLM Retried")
    for trailer in trailers:
        text = text.split(trailer, 1)[0]
    if text.startswith("{"):
        try:
            body = json.loads(text)
            error = body.get("error", body)
            text = str(error.get("message", text) if isinstance(error, dict) else error)
        except (ValueError, AttributeError):
            pass
    text = " ".join(text.split())
    if len(text) > _MESSAGE_LIMIT:
        text = text[: _MESSAGE_LIMIT - 1].rstrip() + "…"
    return text or type(exc).__name__
