"""The context-fill meter: how many tokens the next request will carry, kept up to date cheaply.

After a turn, the provider's reported usage is exact for everything up to and including
the assistant's reply; messages appended after that (tool results, steering) are
estimated one by one, once each, and cached. An update therefore costs the estimate of
the new messages only, not a recount of the transcript.
"""

from __future__ import annotations

import json

from agentdeck.llm.types import Message, ToolSpec, estimate_tokens

# Below this many tokens of room, a tool output that doesn't fit is replaced by the notice alone.
MIN_USEFUL_OUTPUT_TOKENS = 50


def message_tokens(message: Message) -> int:
    """An estimate of one message's tokens: its JSON form, as it goes over the wire."""
    # A few tokens of per-message framing (role, separators) on top of the content.
    # ensure_ascii: a non-Latin character becomes a 6-character escape, so scripts that
    # take about a token a character (Chinese, Japanese) are not undercounted.
    return estimate_tokens(len(json.dumps(message, default=str))) + 4


class ContextMeter:
    """Tokens in the context of an agent's next request, and the fraction of its window."""

    def __init__(self, window: int | None, tools: list[ToolSpec]) -> None:
        self.window = window
        self._tools_tokens = estimate_tokens(len(json.dumps(tools))) if tools else 0
        self._messages: list[Message] | None = None
        self._per_message: list[int] = []
        # Exact figure from the provider: tokens of messages[:_anchor_len], if known.
        self._anchor_len = 0
        self._anchor_tokens: int | None = None
        self._estimated_since_anchor = 0
        self._estimated_total = 0

    def reset(self, messages: list[Message]) -> None:
        """Start over on a new transcript (after compaction, or for a sub-agent)."""
        self._messages = messages
        self._per_message = []
        self._anchor_len = 0
        self._anchor_tokens = None
        self._estimated_since_anchor = 0
        self._estimated_total = 0
        self.update(messages)

    def update(self, messages: list[Message]) -> int:
        """Count the messages appended since the last call; returns the tokens in the context."""
        if messages is not self._messages or len(messages) < len(self._per_message):
            self.reset(messages)
            return self.used
        for message in messages[len(self._per_message) :]:
            tokens = message_tokens(message)
            self._per_message.append(tokens)
            self._estimated_total += tokens
            if len(self._per_message) > self._anchor_len:
                self._estimated_since_anchor += tokens
        return self.used

    def record_usage(self, messages: list[Message], prompt_tokens: int, completion_tokens: int) -> int:
        """The provider's count after a turn whose reply is the last message: exact from here on."""
        self.update(messages)
        self._anchor_len = len(messages)
        self._anchor_tokens = prompt_tokens + completion_tokens
        self._estimated_since_anchor = 0
        return self.used

    @property
    def used(self) -> int:
        if self._anchor_tokens is not None:
            return self._anchor_tokens + self._estimated_since_anchor
        return self._estimated_total + self._tools_tokens

    @property
    def fraction(self) -> float:
        return self.used / self.window if self.window else 0.0

    def room_below(self, threshold: float) -> int | None:
        """Tokens that can still be added before the context reaches `threshold` (None: no window)."""
        if not self.window:
            return None
        return int(threshold * self.window) - self.used


def fit_output(meter: ContextMeter, threshold: float, call_id: str, output: str) -> str:
    """A tool output as it may enter the context: cut, with a notice, if all of it would fill it past `threshold`."""
    room = meter.room_below(threshold)
    if room is None or message_tokens({"role": "tool", "tool_call_id": call_id, "content": output}) <= room:
        return output
    notice = (
        f"[agentdeck: this output was cut from {len(output):,} characters: all of it would have filled the "
        f"context past {threshold:.0%}. Read a narrower range or search instead.]"
    )
    envelope = message_tokens({"role": "tool", "tool_call_id": call_id, "content": ""})
    keep_tokens = room - envelope - message_tokens({"content": notice})
    if keep_tokens < MIN_USEFUL_OUTPUT_TOKENS:
        return notice
    keep_chars = keep_tokens * 4
    cut = output[:keep_chars] + "\n" + notice
    # Escapes make some text count for more than it looks: shorten until it really fits.
    while keep_chars > 0 and message_tokens({"role": "tool", "tool_call_id": call_id, "content": cut}) > room:
        keep_chars = keep_chars * 3 // 4
        cut = output[:keep_chars] + "\n" + notice
    return cut if keep_chars > 0 else notice


ELIDED = "[agentdeck: this older tool output was left out to keep the request small]"


def elide_old_outputs(
    messages: list[Message], tools: list[ToolSpec], window: int | None, limit: float
) -> list[Message]:
    """A copy of `messages` whose oldest tool outputs are elided until the request is under `limit` of the window."""
    if not window:
        return messages
    sizes = [message_tokens(m) for m in messages]
    total = sum(sizes) + estimate_tokens(len(json.dumps(tools)))
    budget = int(limit * window)
    out = list(messages)
    for i, message in enumerate(messages):
        if total <= budget:
            break
        if message.get("role") == "tool" and message.get("content") != ELIDED:
            out[i] = {**message, "content": ELIDED}
            total += message_tokens(out[i]) - sizes[i]
    return out
