"""A scripted model at the model boundary: the agent loop, tools and git around it are real.

Each turn is a `Turn`: prose streamed in fragments, then tool calls. `hang=True` streams
its text and then blocks until cancelled, to test interrupts; `started` is set
when a turn begins streaming, so tests synchronise on events rather than sleeps.

A script function may take `(messages)` or `(messages, tool_names)`. With
`count_prompt=True` the model reports the request's real size as its prompt tokens and
its reply's as completion tokens (as a provider would), so context tests see the meter move with what was actually sent.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentdeck.agent.budget_note import without_budget_note
from agentdeck.llm.types import Message, OnText, ToolCall, ToolSpec, TurnResult, Usage, estimate_tokens


@dataclass
class Turn:
    text: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    prompt_tokens: int = 100
    completion_tokens: int = 20
    cost_usd: float | None = 0.0
    hang: bool = False


def call(name: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    """A tool call for a Turn: call("read", path="README.md")."""
    return (name, arguments)


def finish(summary: str = "done") -> Turn:
    return Turn(text="Finishing.", calls=[call("finish", summary=summary)])


class ScriptedModel:
    """Serves `turns` in order (or asks `script(messages)` for each turn)."""

    model = "scripted"
    is_demo = False

    def __init__(self, turns: list[Turn] | Callable[..., Turn], *, count_prompt: bool = False) -> None:
        self._turns = turns
        self._count_prompt = count_prompt
        self.requests: list[list[Message]] = []
        self.tool_names: list[list[str]] = []
        self.prompt_tokens: list[int] = []
        self.record = True  # deep copies of every request; off for benchmarks
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def stream_turn(
        self, messages: list[Message], tools: list[ToolSpec], on_text: OnText
    ) -> TurnResult:
        self.requests.append(copy.deepcopy(messages) if self.record else messages)
        names = [tool["function"]["name"] for tool in tools]
        self.tool_names.append(names)
        index = len(self.requests) - 1
        if callable(self._turns):
            takes_tools = len(inspect.signature(self._turns).parameters) > 1
            turn = self._turns(messages, names) if takes_tools else self._turns(messages)
        elif index < len(self._turns):
            turn = self._turns[index]
        else:
            turn = finish("script ran out")
        self.started.set()
        try:
            for fragment in _fragments(turn.text):
                result = on_text(fragment)
                if inspect.isawaitable(result):
                    await result
                await asyncio.sleep(0)
            if turn.hang:
                await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        calls = [
            ToolCall(id=f"call_{index}_{n}", name=name, arguments=json.dumps(args))
            for n, (name, args) in enumerate(turn.calls)
        ]
        prompt = request_tokens(messages, tools) if self._count_prompt else turn.prompt_tokens
        self.prompt_tokens.append(prompt)
        # A provider counts the tool calls' arguments as completion tokens too.
        completion = (
            estimate_tokens(len(turn.text) + sum(len(c.arguments) for c in calls))
            if self._count_prompt
            else turn.completion_tokens
        )
        usage = Usage(prompt, completion, cost_usd=turn.cost_usd)
        return TurnResult(text=turn.text, tool_calls=calls, usage=usage)


def conversation(request: list[Message]) -> list[Message]:
    """A request without the budget note the loop ends each one with: the transcript as stored."""
    return without_budget_note(request)[0]


def budget_note_of(request: list[Message]) -> str | None:
    """The budget note a request ends with."""
    return without_budget_note(request)[1]


def request_tokens(messages: list[Message], tools: list[ToolSpec]) -> int:
    """The size of a request in tokens, as a provider would count it (≈ 4 characters a token)."""
    return estimate_tokens(len(json.dumps(messages)) + len(json.dumps(tools)))


def _fragments(text: str) -> list[str]:
    return [text[i : i + 8] for i in range(0, len(text), 8)]
