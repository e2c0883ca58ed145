"""The offline demo model: deterministic, no network, and it drives real tool calls.

It decides each turn from the transcript alone (how many tool calls it has made so far),
so it behaves the same in a fresh agent, after an interrupt, or in a benchmark: look
around, read a file, write notes on the task, edit them, run a command, finish. It streams
its prose word by word at a configurable pace so the product looks and feels like it
does with a real model.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from typing import Any

from agentdeck.llm.types import Message, OnText, ToolCall, ToolSpec, TurnResult, Usage, estimate_tokens

DEMO_MODEL_NAME = "demo"
NOTES_FILE = "agentdeck-demo-notes.md"
LABEL = "[demo model: offline, no API key]"


def _chars(messages: list[Message]) -> int:
    return sum(len(json.dumps(m, default=str)) for m in messages)


def _task_of(messages: list[Message]) -> str:
    for message in messages:
        if message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def _tool_calls_so_far(messages: list[Message]) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for message in messages:
        if message.get("role") == "assistant":
            calls.extend(message.get("tool_calls") or [])
    return calls


def _tool_output(messages: list[Message], call_id: str) -> str:
    for message in messages:
        if message.get("role") == "tool" and message.get("tool_call_id") == call_id:
            return str(message.get("content") or "")
    return ""


def _latest_steer(messages: list[Message]) -> str | None:
    """A user message after the task and after the last assistant turn is steering."""
    if len(messages) < 2 or messages[-1].get("role") != "user":
        return None
    users = [m for m in messages if m.get("role") == "user"]
    return str(messages[-1].get("content")) if len(users) > 1 else None


def _steers(messages: list[Message]) -> list[str]:
    return [str(m.get("content")) for m in messages if m.get("role") == "user"][1:]


def _pick_file(listing: str) -> str | None:
    files = [line.strip() for line in listing.splitlines() if line.strip() and not line.startswith("[")]
    for name in files:
        if re.fullmatch(r"(?i)readme(\.\w+)?", name):
            return name
    texty = [f for f in files if f.endswith((".md", ".txt", ".py", ".toml", ".rst"))]
    return (texty or files or [None])[0]


class DemoModel:
    """A `ModelClient` that needs no key and no network."""

    model = DEMO_MODEL_NAME
    is_demo = True

    def __init__(self, tokens_per_second: float = 40.0) -> None:
        self.tokens_per_second = tokens_per_second

    async def stream_turn(
        self, messages: list[Message], tools: list[ToolSpec], on_text: OnText
    ) -> TurnResult:
        text, call = self._next_step(messages)
        steer = _latest_steer(messages)
        if steer is not None:
            text = f'Noted your message: "{steer.strip()[:200]}". {text}'
        await self._stream(text, on_text)
        calls = [ToolCall(id=f"demo_{len(_tool_calls_so_far(messages)) + 1}", name=call[0], arguments=json.dumps(call[1]))] if call else []
        usage = Usage(
            prompt_tokens=estimate_tokens(_chars(messages) + _chars(tools)),
            completion_tokens=estimate_tokens(len(text) + sum(len(c.arguments) for c in calls)),
            cost_usd=0.0,
        )
        return TurnResult(text=text, tool_calls=calls, usage=usage, finish_reason="tool_calls" if calls else "stop")

    async def _stream(self, text: str, on_text: OnText) -> None:
        delay = 1.0 / self.tokens_per_second if self.tokens_per_second > 0 else 0.0
        for word in re.findall(r"\S+\s*", text):
            result = on_text(word)
            if inspect.isawaitable(result):
                await result
            # Also a point where an interrupt can land when the pace is 0.
            await asyncio.sleep(delay)

    def _next_step(self, messages: list[Message]) -> tuple[str, tuple[str, dict[str, Any]] | None]:
        task = _task_of(messages)
        made = _tool_calls_so_far(messages)
        names = [c["function"]["name"] for c in made]
        if not made:
            return (
                f"{LABEL} I'll look around the repository first to see what is there.\n",
                ("list", {"path": "."}),
            )
        if "read" not in names and "write" not in names:
            listing = _tool_output(messages, made[0]["id"])
            target = _pick_file(listing)
            if target is not None:
                return (f"I'll read {target} to understand the project.\n", ("read", {"path": target, "end_line": 40}))
        if "search" not in names and "write" not in names:
            return (
                "Let me search for loose ends (TODO and FIXME comments).\n",
                ("search", {"pattern": "TODO|FIXME"}),
            )
        if "write" not in names:
            return (
                f"Now I'll write my notes on the task into {NOTES_FILE}.\n",
                ("write", {"path": NOTES_FILE, "content": self._notes(task, messages)}),
            )
        if "edit" not in names:
            return (
                "The notes are written; I'll tick off the first item with an exact edit.\n",
                ("edit", {"path": NOTES_FILE, "old_text": "- [ ] Write these notes", "new_text": "- [x] Write these notes"}),
            )
        if "run" not in names:
            return (
                "Let me check the result with a command in the worktree.\n",
                ("run", {"command": f"wc -l {NOTES_FILE} && git log --oneline -3"}),
            )
        summary = (
            f"{LABEL} Looked around the repository, searched it for loose ends, wrote {NOTES_FILE} with notes on the task "
            f"({task.strip()[:80]!r}), ticked its first item with an edit, and checked it with a command. "
            "Each step was checkpointed as a commit on this agent's branch."
        )
        if "finish" not in names:
            return ("Done. Here is my summary.\n", ("finish", {"summary": summary}))
        return ("I have already finished.\n", None)

    def _notes(self, task: str, messages: list[Message]) -> str:
        made = _tool_calls_so_far(messages)
        listing = _tool_output(messages, made[0]["id"]) if made else ""
        files = [line for line in listing.splitlines() if line and not line.startswith("[")]
        todos = [
            line
            for call in made
            if call["function"]["name"] == "search"
            for line in _tool_output(messages, call["id"]).splitlines()
            if ":" in line and not line.startswith("[")
        ]
        lines = [
            "# Notes from the agentdeck demo model",
            "",
            f"Task: {task.strip()}",
            "",
            f"The repository has {len(files)} files; the first few: {', '.join(files[:5]) or 'none'}.",
            "",
            "Loose ends found:" if todos else "No TODO or FIXME comments found.",
            *[f"- `{todo}`" for todo in todos[:10]],
            "",
            "- [ ] Write these notes",
            "- [ ] Check them with a command",
        ]
        steers = _steers(messages)
        if steers:
            lines += ["", "Steering received:", *[f"- {s.strip()}" for s in steers]]
        lines += ["", "This file was written by the offline demo model, not by a real LLM.", ""]
        return "\n".join(lines)
