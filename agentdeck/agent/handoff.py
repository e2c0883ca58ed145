"""The handoff: what an agent near the split threshold writes so fresh sub-agents can go on.

Pure text and data: the tool the model fills in, how its answer is read (leniently: a
handoff that can't be read still yields one brief, so a split never dead-ends), and the
first messages of a sub-agent and of the parent after its context is compacted.

The headings `## Your brief` and `## Summaries from sub-agents` are part of the contract
with the offline demo model, which recognises them to play a sub-agent or a compacted parent.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentdeck.events import Brief
from agentdeck.llm.types import ToolCall, ToolSpec

HANDOFF_TOOL_NAME = "handoff"
# Project files that hold conventions every agent must follow, first found wins.
CONVENTION_FILES = ("AGENTS.md", "CONVENTIONS.md", "CLAUDE.md", ".github/copilot-instructions.md")
CONVENTIONS_CAP_CHARS = 6000


class Handoff(BaseModel):
    model_config = ConfigDict(extra="ignore")

    done: str = ""
    remaining: str = ""
    briefs: list[Brief] = Field(default_factory=list[Brief])


def handoff_tool_spec(max_briefs: int) -> ToolSpec:
    return {
        "type": "function",
        "function": {
            "name": HANDOFF_TOOL_NAME,
            "description": (
                "Hand the rest of the task to fresh sub-agents: say what is done, what is left, "
                f"and split what is left into 1 to {max_briefs} independent, scoped briefs."
            ),
            "parameters": {
                "type": "object",
                "properties": {
                    "done": {
                        "type": "string",
                        "description": "what is already done (files changed, facts learned)",
                    },
                    "remaining": {"type": "string", "description": "what is left to do, in a few sentences"},
                    "briefs": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": max_briefs,
                        "items": {
                            "type": "object",
                            "properties": {
                                "goal": {
                                    "type": "string",
                                    "description": "one scoped piece of the remaining work",
                                },
                                "files": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "description": "files in scope",
                                },
                                "acceptance": {"type": "string", "description": "how to check it is done"},
                            },
                            "required": ["goal"],
                        },
                    },
                },
                "required": ["done", "remaining", "briefs"],
            },
        },
    }


def handoff_request(fraction: float, max_briefs: int, parallel: bool = False) -> str:
    how = (
        "at the same time, each in its own copy of the worktree, merged back afterwards: make the briefs "
        "independent and give them separate files, or their changes will conflict"
        if parallel
        else "one after another, in this same worktree, each seeing the work of those before it"
    )
    return (
        f"Your context is {fraction:.0%} full, and quality drops as it fills. Stop working on the task now "
        f"and call the {HANDOFF_TOOL_NAME} tool: say what is done and what is left, and split what is left "
        f"into 1 to {max_briefs} scoped briefs (a goal, the files in scope, an acceptance check). Fresh "
        f"sub-agents will each take one brief, {how}. Your changes so far are committed. Call no other tool."
    )


def parse_handoff(calls: list[ToolCall], text: str, task: str) -> tuple[Handoff, str | None]:
    """The handoff the model wrote, or a one-brief fallback and why it was needed."""
    for call in calls:
        if call.name != HANDOFF_TOOL_NAME:
            continue
        try:
            handoff = Handoff.model_validate(json.loads(call.arguments or "{}"))
        except (json.JSONDecodeError, ValidationError) as exc:
            return _fallback(text, task), f"the handoff could not be read ({type(exc).__name__})"
        handoff.briefs = [b for b in handoff.briefs if b.goal.strip()]
        if handoff.briefs:
            return handoff, None
        return _fallback(handoff.done or text, task), "the handoff had no briefs"
    return _fallback(text, task), "the model did not call the handoff tool"


def _fallback(done: str, task: str) -> Handoff:
    return Handoff(
        done=done.strip() or "See the commits on this branch.",
        remaining="The rest of the task.",
        briefs=[
            Brief(goal=f"Continue and complete the task: {task}", acceptance="the task is done as asked")
        ],
    )


def read_conventions(worktree: Path) -> str | None:
    """The project's conventions or contract file, capped, if it has one."""
    found = find_conventions(worktree)
    return found[1] if found else None


def find_conventions(worktree: Path) -> tuple[str, str] | None:
    """(the conventions file's name, its text as read_conventions gives it), or None."""
    for name in CONVENTION_FILES:
        path = worktree / name
        if path.is_file() and not path.is_symlink():
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if len(text) > CONVENTIONS_CAP_CHARS:
                text = text[:CONVENTIONS_CAP_CHARS] + "\n[… cut: read the file for the rest]"
            return name, f"## Project conventions ({name})\n\n{text.strip()}"
    return None


def _brief_text(brief: Brief) -> str:
    lines = [f"Goal: {brief.goal.strip()}"]
    if brief.files:
        lines.append("Files in scope: " + ", ".join(brief.files))
    if brief.acceptance.strip():
        lines.append(f"Acceptance check: {brief.acceptance.strip()}")
    return "\n".join(lines)


def sub_agent_task(task: str, handoff: Handoff, brief: Brief, index: int, of: int) -> str:
    """The first user message of a sub-agent: the global context plus its brief, nothing else.

    The conventions are not repeated here: every agent's system prompt carries them."""
    parts = [
        f"You are sub-agent {index} of {of}, working on one part of a larger task with a fresh context.",
        f"## The whole task\n\n{task.strip()}",
    ]
    parts.append(
        f"## Handoff from the previous agent\n\nDone so far: {handoff.done.strip()}\n\nLeft to do: {handoff.remaining.strip()}"
    )
    parts.append(
        f"## Your brief\n\n{_brief_text(brief)}\n\n"
        "Do only this brief. When it is done, call finish with a short summary (what you changed, how you "
        "checked it): the summary is all the parent agent will see."
    )
    return "\n\n".join(parts)


def compacted_task(
    task: str, plan: str | None, handoff: Handoff, summaries: list[str], parallel: bool = False
) -> str:
    """The parent's whole context after its sub-agents ended: the task, the handoff, their summaries."""
    parts = [f"## The task\n\n{task.strip()}"]
    if plan:
        parts.append(f"## The plan\n\n{plan.strip()}")
    parts.append(f"## Your handoff\n\nDone: {handoff.done.strip()}\n\nLeft: {handoff.remaining.strip()}")
    parts.append("## Summaries from sub-agents\n\n" + "\n\n".join(summaries))
    parts.append(
        "Your context was compacted to the above. "
        + (
            "The sub-agents' changes that merged are in this worktree; a summary that says NOT merged names "
            "the conflicting files and the branch where that work is kept. "
            if parallel
            else "The sub-agents' changes are committed in this worktree. "
        )
        + "Check the combined result, do anything still left, and call finish with a summary of the whole task."
    )
    return "\n\n".join(parts)
