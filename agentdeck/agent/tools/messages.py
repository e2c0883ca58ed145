"""The `message` tool: an agent of a sprint writes to another agent of it, or asks the orchestrator.

The tool only hands the text to the session's messenger (in ToolContext); the session decides
whether it is delivered (the recipient's next turn, or its start), refused (rate limit, unknown
or finished recipient) or answered (the orchestrator), and the tool's output says which.
"""

from __future__ import annotations

from pydantic import Field

from agentdeck.agent.tools.base import Tool, ToolArgs, ToolContext, ToolResult
from agentdeck.agent.tools.paths import ToolError

ORCHESTRATOR = "orchestrator"


class MessageArgs(ToolArgs):
    to: str = Field(
        description="the task id (or plan id, e.g. `api`) of another agent of your sprint, or `orchestrator`"
    )
    text: str = Field(min_length=1, max_length=2000, description="what to say or ask, in one short message")


async def send_message(ctx: ToolContext, args: MessageArgs) -> ToolResult:
    if ctx.messenger is None:
        raise ToolError("messages are for the agents of a sprint: this task is not part of one")
    return ToolResult(await ctx.messenger(args.to.strip(), args.text.strip()))


MESSAGE_TOOL = Tool(
    "message",
    "Send a short message to another agent of your sprint (it sees it on its next turn), or ask the "
    "orchestrator (`to: orchestrator`) for the contracts, the artifacts and who does what. Rate-limited.",
    MessageArgs,
    send_message,
)
