"""`ModelClient` over litellm: any provider litellm knows, streamed, retried, one-line errors.

Importing this module does not import litellm (3.6–5.6 s); the first `stream_turn` does.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import random
from dataclasses import dataclass
from typing import Any

from agentdeck.llm.litellm_errors import RETRYABLE, classify, provider_message, retry_cause
from agentdeck.llm.litellm_loader import load_litellm
from agentdeck.llm.types import (
    Message,
    ModelError,
    OnText,
    RetryNotice,
    ToolCall,
    ToolSpec,
    TurnResult,
    Usage,
    estimate_tokens,
    report_retry,
)


@dataclass
class _PendingCall:
    id: str | None = None
    name: str = ""
    arguments: str = ""


class LiteLLMClient:
    """Streams assistant turns from any litellm model string (`anthropic/...`, `openai/...`)."""

    is_demo = False

    def __init__(
        self,
        model: str,
        api_base: str | None = None,
        *,
        max_retries: int = 3,
        backoff_base_s: float = 1.0,
        request_timeout_s: float = 600.0,
        temperature: float | None = None,
    ) -> None:
        self.model = model
        self.temperature = temperature
        self.api_base = api_base
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.request_timeout_s = request_timeout_s
        # litellm's price lookup for an unlisted model fails the same way every turn, and
        # slowly (an exception through its cost machinery): remember it.
        self._price_unknown = False

    async def stream_turn(
        self, messages: list[Message], tools: list[ToolSpec], on_text: OnText
    ) -> TurnResult:
        """Stream one turn; text fragments go to `on_text` as they arrive."""
        try:
            litellm = load_litellm()
        except ImportError as exc:
            raise ModelError(
                f"model {self.model}: litellm could not be imported ({exc}); reinstall "
                "agentdeck with its dependencies"
            ) from None
        attempts = 0
        while True:
            attempts += 1
            progress = _Progress()
            try:
                return await self._attempt(litellm, messages, tools, on_text, progress)
            except _CallbackFailed as failed:
                raise failed.error from None  # the caller's own bug, not a model error
            except Exception as exc:  # CancelledError is a BaseException: it passes through
                kind, detail = classify(exc, litellm)
                if kind in RETRYABLE and not progress.streamed and attempts <= self.max_retries:
                    delay = self.backoff_base_s * 2 ** (attempts - 1)
                    delay += random.uniform(0, delay / 10)
                    report_retry(
                        RetryNotice(
                            attempts,
                            self.max_retries,
                            retry_cause(kind, detail),
                            provider_message(exc),
                            round(delay, 3),
                        )
                    )
                    await asyncio.sleep(delay)
                    continue
                raise ModelError(self._describe(kind, detail, exc, attempts, progress.streamed)) from None

    async def _attempt(
        self,
        litellm: Any,
        messages: list[Message],
        tools: list[ToolSpec],
        on_text: OnText,
        progress: _Progress,
    ) -> TurnResult:
        stream = await litellm.acompletion(**self._request(messages, tools))
        text_parts: list[str] = []
        calls: dict[int, _PendingCall] = {}
        usage_seen: Any = None
        finish_reason: str | None = None
        exhausted = False
        try:
            async for chunk in stream:
                usage = getattr(chunk, "usage", None)
                if usage is not None and (usage.prompt_tokens or usage.completion_tokens):
                    usage_seen = usage
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                finish_reason = choice.finish_reason or finish_reason
                delta = choice.delta
                if delta is None:
                    continue
                for tool_delta in getattr(delta, "tool_calls", None) or []:
                    progress.streamed = True
                    _merge_tool_delta(calls, tool_delta)
                fragment = getattr(delta, "content", None)
                if fragment:
                    progress.streamed = True
                    text_parts.append(fragment)
                    try:
                        maybe_awaitable = on_text(fragment)
                        if inspect.isawaitable(maybe_awaitable):
                            await maybe_awaitable
                    except Exception as exc:
                        raise _CallbackFailed(exc) from exc
            exhausted = True
        finally:
            # On cancellation or error this drops the HTTP stream at once; the server sees
            # the client go away instead of generating on into the void.
            aclose = getattr(stream, "aclose", None)
            if aclose is not None and not exhausted:
                try:
                    await aclose()
                except Exception:
                    pass

        text = "".join(text_parts)
        estimated = usage_seen is None or not _provider_sent_usage(stream)
        tool_calls = [
            ToolCall(id=call.id or f"call_{n}", name=call.name, arguments=call.arguments)
            for n, call in enumerate(calls[i] for i in sorted(calls))
        ]
        return TurnResult(
            text=text,
            tool_calls=tool_calls,
            usage=self._usage(litellm, usage_seen, estimated, messages, tools, text, tool_calls),
            finish_reason=finish_reason,
        )

    def _request(self, messages: list[Message], tools: list[ToolSpec]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "tools": tools or None,
            "stream": True,
            "stream_options": {"include_usage": True},
            "timeout": self.request_timeout_s,
            # We retry ourselves (and only before anything streamed): no SDK retries below.
            "max_retries": 0,
        }
        if self.temperature is not None:
            request["temperature"] = self.temperature
        if self.api_base:
            request["api_base"] = self.api_base
            # Local OpenAI-compatible servers (llama.cpp, vLLM, LM Studio) take no key, but
            # the OpenAI SDK refuses to send a request without one.
            if self.model.startswith("openai/") and not os.environ.get("OPENAI_API_KEY"):
                request["api_key"] = "no-key"
        return request

    def _usage(
        self,
        litellm: Any,
        reported: Any,
        estimated: bool,
        messages: list[Message],
        tools: list[ToolSpec],
        text: str,
        tool_calls: list[ToolCall],
    ) -> Usage:
        if reported is not None:
            usage = Usage(
                prompt_tokens=int(reported.prompt_tokens or 0),
                completion_tokens=int(reported.completion_tokens or 0),
                estimated=estimated,
            )
        else:
            prompt_chars = len(json.dumps(messages, default=str))
            prompt_chars += len(json.dumps(tools, default=str)) if tools else 0
            output_chars = len(text) + sum(len(c.name) + len(c.arguments) for c in tool_calls)
            usage = Usage(
                prompt_tokens=estimate_tokens(prompt_chars),
                completion_tokens=estimate_tokens(output_chars),
                estimated=True,
            )
        if self._price_unknown:
            return usage
        try:
            prompt_cost, completion_cost = litellm.cost_per_token(
                model=self.model,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
            )
            usage.cost_usd = float(prompt_cost) + float(completion_cost)
        except Exception:  # unknown model: local servers, unlisted names
            usage.cost_usd = None
            self._price_unknown = True
        return usage

    def _describe(self, kind: str, detail: str, exc: BaseException, attempts: int, streamed: bool) -> str:
        model = f"model {self.model}"
        where = f" at {self.api_base}" if self.api_base else ""
        tries = f"{attempts} attempt" + ("s" if attempts != 1 else "")
        message = provider_message(exc)
        if streamed:
            return (
                f"{model}: the stream broke off mid-turn ({detail or kind}); not retried "
                "so the partial output is not duplicated"
            )
        if kind == "auth":
            return (
                f"{model}: authentication failed — {self._auth_advice(exc)} (or the "
                "provider's key variable) or choose another model with --model"
            )
        if kind == "unreachable":
            if self.api_base:
                return (
                    f"{model}{where} is unreachable ({detail}): check --api-base and that "
                    "the server is running"
                )
            return (
                f"{model} is unreachable ({detail}): check the network connection, or pass "
                "--api-base if the server is elsewhere"
            )
        if kind == "connection_lost":
            return f"{model}{where}: the connection dropped ({detail}) after {tries}"
        if kind == "timeout":
            return f"{model}{where}: no response within {self.request_timeout_s:g} s after {tries}"
        if kind == "rate_limit":
            return (
                f"{model}: rate limited (429) after {tries}: {message} — wait a little, or "
                "choose another model with --model"
            )
        if kind == "server":
            return f"{model}{where}: server error ({detail}) after {tries}: {message}"
        if kind == "not_found":
            return f"{model}: not found — {message}"
        if kind == "permission":
            return f"{model}: permission denied (403) — {message}"
        if kind == "bad_request":
            return f"{model}: request rejected ({detail}) — {message}"
        if kind == "unknown_provider":
            provider = self.model.split("/", 1)[0] if "/" in self.model else self.model
            return (
                f"{model}: litellm does not know the provider {provider!r} — use "
                "provider/model, e.g. anthropic/<model> or openai/<model> with --api-base"
            )
        if kind == "local":
            return f"{model}: {message}"
        if kind == "broken_install":
            return (
                f"{model}: litellm could not load a module it needs ({detail}); reinstall "
                "agentdeck with its dependencies"
            )
        return f"{model}: {type(exc).__name__}: {message}"

    def _auth_advice(self, exc: BaseException) -> str:
        """Which key variable to set, or that the key that is set was refused."""
        litellm = load_litellm()
        try:
            missing = litellm.validate_environment(model=self.model, api_base=self.api_base)
            names = [str(n) for n in missing.get("missing_keys") or []]
        except Exception:
            names = []
        if names:
            return f"set {' or '.join(names)}"
        provider = getattr(exc, "llm_provider", None) or self.model.split("/", 1)[0]
        return f"the key was refused: check {str(provider).upper()}_API_KEY"


class _CallbackFailed(Exception):
    """`on_text` raised: re-raised as it is, never retried or reworded."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


class _Progress:
    """Whether any of the turn reached the caller (then a retry would duplicate it)."""

    streamed = False


def _provider_sent_usage(stream: Any) -> bool:
    """Whether the usage came from the provider rather than from litellm's own count.

    Asked for `include_usage`, litellm ends every stream with a usage chunk; when the
    provider sent none it fills in its own token count. Only the provider chunks it
    keeps (`chunks`) tell the two apart; if that attribute goes away, trust the usage.
    """
    chunks = getattr(stream, "chunks", None)
    if not isinstance(chunks, list):
        return True
    return any(getattr(chunk, "usage", None) is not None for chunk in chunks)


def _merge_tool_delta(calls: dict[int, _PendingCall], delta: Any) -> None:
    """Fold one streamed tool-call delta into the call with the same index."""
    index = getattr(delta, "index", None)
    if index is None:  # some providers leave it out: a new id or name starts a new call
        starts_call = getattr(delta, "id", None) or getattr(getattr(delta, "function", None), "name", None)
        index = len(calls) if starts_call or not calls else max(calls)
    call = calls.setdefault(int(index), _PendingCall())
    call_id = getattr(delta, "id", None)
    if call_id and not call.id:
        call.id = call_id
    function = getattr(delta, "function", None)
    if function is not None:
        name = getattr(function, "name", None)
        if name and not call.name:
            call.name = name
        call.arguments += getattr(function, "arguments", None) or ""


def missing_credentials(model: str, api_base: str | None) -> list[str]:
    """Key variables the provider needs that are not set (empty when unknown or not needed).

    Checked before an agent starts, so a missing key costs a second, not a worktree.
    """
    if api_base:  # a local OpenAI-compatible server usually takes no key (see _request)
        return []
    litellm = load_litellm()
    try:
        missing = litellm.validate_environment(model=model)
    except Exception:  # unknown provider: the first call says so in one line
        return []
    return [str(name) for name in missing.get("missing_keys") or []]
