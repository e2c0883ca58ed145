"""The model boundary: what the agent loop asks of a model and what it gets back.

Messages are plain OpenAI-format dicts (what litellm takes), so a transcript can be
sent as it is to any provider. Everything behind `ModelClient` (litellm, the offline demo
model, a scripted test model) is interchangeable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

Message = dict[str, Any]
ToolSpec = dict[str, Any]
OnText = Callable[[str], Awaitable[None] | None]


@dataclass
class ToolCall:
    """One tool call as the model asked for it; `arguments` is the raw JSON text."""

    id: str
    name: str
    arguments: str


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # True when the provider reported no usage and the figures are our estimate.
    estimated: bool = False
    # None when the price of the model is unknown (local servers, unlisted models).
    cost_usd: float | None = None


@dataclass
class TurnResult:
    """One complete assistant turn, assembled from the stream."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None

    def as_message(self) -> Message:
        """The assistant message to append to the transcript."""
        message: Message = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ]
        return message


# About four characters a token in English prose and code: good enough where nobody counted.
CHARS_PER_TOKEN = 4


def estimate_tokens(chars: int) -> int:
    """A rough token count for `chars` characters, where no provider reported one."""
    return chars // CHARS_PER_TOKEN


@dataclass
class RetryNotice:
    """A model call failed and will be tried again: which attempt, why, and the provider's words."""

    attempt: int  # the attempt that failed, 1 for the first call
    max_retries: int
    cause: str  # "rate limits (429)", "server errors (503)", "timeouts", ...
    error: str
    delay_s: float


# Who hears that a model call is being retried. The agent sets it around its own run, so a
# client reports retries without knowing about events, and sub-agents running side by side
# (each in its own asyncio task, hence its own context) each hear only their own calls.
retry_listener: ContextVar[Callable[[RetryNotice], None] | None] = ContextVar("retry_listener", default=None)


def report_retry(notice: RetryNotice) -> None:
    """Tell whoever listens in this context that a call is being retried (a client calls this)."""
    listener = retry_listener.get()
    if listener is not None:
        listener(notice)


class ModelError(Exception):
    """A model call failed in a way the user must act on; `str()` is one clear line."""


class ModelClient(Protocol):
    """Streams one assistant turn. Cancelling the awaiting task stops the stream at once."""

    model: str
    is_demo: bool

    async def stream_turn(
        self, messages: list[Message], tools: list[ToolSpec], on_text: OnText
    ) -> TurnResult: ...
