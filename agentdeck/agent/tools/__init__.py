"""The agent's tools and how a call is dispatched to one."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from agentdeck.agent.tools.base import Tool, ToolContext, ToolResult
from agentdeck.agent.tools.files import FILE_TOOLS
from agentdeck.agent.tools.paths import ToolError
from agentdeck.agent.tools.shell import SHELL_TOOLS

DEFAULT_TOOLS: tuple[Tool, ...] = FILE_TOOLS + SHELL_TOOLS


class Toolbox:
    """A set of tools by name; turns a raw call into a result, never into an exception."""

    def __init__(self, tools: tuple[Tool, ...] = DEFAULT_TOOLS) -> None:
        self._tools = {tool.name: tool for tool in tools}

    def without(self, *names: str) -> Toolbox:
        """The same tools less `names` (e.g. a sub-agent that has no use for a tool)."""
        return Toolbox(tuple(tool for tool in self._tools.values() if tool.name not in names))

    def specs(self) -> list[dict[str, Any]]:
        return [tool.spec() for tool in self._tools.values()]

    async def call(self, ctx: ToolContext, name: str, raw_arguments: str) -> ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools)
            return ToolResult(f"error: unknown tool {name!r}; the tools are: {known}", ok=False)
        try:
            data = json.loads(raw_arguments or "{}")
            args = tool.args.model_validate(data)
        except json.JSONDecodeError as exc:
            return ToolResult(f"error: arguments are not valid JSON ({exc})", ok=False)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
            )
            return ToolResult(f"error: bad arguments for {name}: {problems}", ok=False)
        try:
            return await tool.fn(ctx, args)
        except ToolError as exc:
            return ToolResult(f"error: {exc}", ok=False)
        except OSError as exc:
            return ToolResult(f"error: {exc.strerror or exc}", ok=False)
        except Exception as exc:  # a tool bug must not end the agent: the model reads it and moves on
            return ToolResult(f"error: {name} failed: {type(exc).__name__}: {exc}", ok=False)


__all__ = ["DEFAULT_TOOLS", "Tool", "ToolContext", "ToolError", "ToolResult", "Toolbox"]
