"""What a tool is: a pydantic argument model (its JSON schema is what the model sees) and a coroutine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentdeck.agent.tools.sandbox import SandboxPolicy


class ToolArgs(BaseModel):
    """Base of every tool's arguments: unknown arguments are an error the model can read."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class ToolContext:
    """What a tool may touch: the worktree, and the limits and sandbox of the `run` tool."""

    worktree: Path
    run_timeout_s: float = 120.0
    output_cap_bytes: int = 16_000
    # Unconfined unless the session resolved a policy (and then `run` output says so).
    sandbox: SandboxPolicy = field(default_factory=SandboxPolicy)
    # A sprint's agents: (to, text) -> what became of the message (the `message` tool).
    messenger: Callable[[str, str], Awaitable[str]] | None = None


@dataclass
class ToolResult:
    output: str
    ok: bool = True
    # True when the tool may have changed files, so the step is worth a checkpoint.
    may_change_files: bool = False
    # Set by `finish`: the agent's closing summary.
    finish_summary: str | None = None


ToolFn = Callable[[ToolContext, Any], Awaitable[ToolResult]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[ToolArgs]
    fn: ToolFn

    def spec(self) -> dict[str, Any]:
        """The OpenAI-format tool definition sent to the model."""
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": schema},
        }


def cap_text(text: str, cap: int) -> str:
    """Keep the head and the tail of a long output, with a visible notice of what was cut."""
    data = text.encode("utf-8", "replace")
    if len(data) <= cap:
        return text
    head = data[: cap * 2 // 3].decode("utf-8", "ignore")
    tail = data[-(cap // 3) :].decode("utf-8", "ignore")
    omitted = len(data) - len(head.encode()) - len(tail.encode())
    return f"{head}\n[... {omitted} bytes omitted ...]\n{tail}"
