"""Splitting near the threshold: handoff → sub-agents with fresh context → compacted parent.

Quality drops long before a context window is full, so before an agent's next request
would start at or above the threshold, it stops, writes a handoff, and fresh sub-agents
do the rest, one brief each. Their summaries come back; the parent goes on from the
handoff and the summaries alone. Depth and fan-out are bounded: at the depth bound the
agent finishes with what it has and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentdeck.agent.handoff import (
    Handoff,
    compacted_task,
    handoff_request,
    handoff_tool_spec,
    parse_handoff,
    read_conventions,
    sub_agent_task,
)
from agentdeck.events import ContextCompacted, SplitTriggered, SubAgentFinished, SubAgentSpawned

if TYPE_CHECKING:
    from agentdeck.agent.loop import Agent, AgentResult

# Longest sub-agent summary handed back to the parent: summaries must stay short.
SUMMARY_CAP_CHARS = 1500


@dataclass(frozen=True)
class SplitSettings:
    threshold: float = 0.6
    max_depth: int = 2
    max_fanout: int = 4


async def split(parent: Agent, fraction: float) -> str | None:
    """Hand the rest of the parent's work to sub-agents; a summary to finish with at the depth bound."""
    settings = parent.split_settings
    handoff, problem = await _ask_for_handoff(parent, fraction)
    if parent.depth >= settings.max_depth:
        left = f" Left undone: {handoff.remaining.strip()}" if handoff.remaining.strip() else ""
        return (
            f"Stopped at {fraction:.0%} context fill: the split depth bound ({settings.max_depth}) is reached, "
            f"so this agent finishes with what it has. Done: {handoff.done.strip()}{left}"
        )
    briefs = handoff.briefs[: settings.max_fanout]
    dropped = handoff.briefs[settings.max_fanout :]
    if dropped:
        # Beyond the fan-out bound: the parent keeps these and sees them in its compacted context.
        handoff.remaining += " Not handed out (fan-out bound): " + "; ".join(b.goal for b in dropped)
    if problem:
        handoff.remaining += f" (Note: {problem}, so one brief continues the whole task.)"
    parent.emit(
        SplitTriggered(
            fraction=round(fraction, 4),
            threshold=settings.threshold,
            depth=parent.depth,
            done=handoff.done,
            remaining=handoff.remaining,
            briefs=briefs,
        )
    )
    conventions = read_conventions(parent.tool_context.worktree)
    summaries: list[str] = []
    for index, brief in enumerate(briefs, start=1):
        if parent.stop_requested:
            summaries.append(f"Sub-agent {index} ({brief.goal}): not started, the run was stopped.")
            continue
        child = parent.spawn_child(
            f"{parent.agent_id}.{index}", sub_agent_task(parent.task, handoff, brief, index, len(briefs), conventions)
        )
        if child.context.fraction >= settings.threshold:
            # A fresh context would start past the threshold: splitting cannot make room.
            summaries.append(f"Sub-agent {index} ({brief.goal}): not started, {_no_room(child.context.fraction, settings)}.")
            continue
        parent.emit(
            SubAgentSpawned(
                sub_agent_id=child.agent_id,
                index=index,
                of=len(briefs),
                depth=child.depth,
                goal=brief.goal,
                parent_fraction=round(fraction, 4),
                first_fraction=round(child.context.fraction, 4),
            )
        )
        result = await parent.run_child(child)
        summary = _summary_of(result)
        parent.emit(
            SubAgentFinished(
                sub_agent_id=child.agent_id,
                status=result.status,
                summary=summary,
                steps=result.steps,
                final_fraction=round(child.context.fraction, 4),
            )
        )
        summaries.append(f"Sub-agent {index} ({brief.goal}), {result.status}: {summary}")
    before = parent.context.fraction
    parent.compact(compacted_task(parent.task, parent.plan, handoff, summaries))
    after = parent.context.fraction
    parent.emit(ContextCompacted(before_fraction=round(before, 4), after_fraction=round(after, 4)))
    if after >= settings.threshold:
        # Another split would start from here again and loop: finish with what the sub-agents did.
        return f"Finished after a split: {_no_room(after, settings)} even when compacted. " + " ".join(summaries)
    return None


def _no_room(fraction: float, settings: SplitSettings) -> str:
    return f"a fresh context is already {fraction:.0%} full, past the {settings.threshold:.0%} threshold"


async def _ask_for_handoff(parent: Agent, fraction: float) -> tuple[Handoff, str | None]:
    """One turn with only the handoff tool on offer; the request is not kept in the transcript."""
    messages = [*parent.messages, {"role": "user", "content": handoff_request(fraction, parent.split_settings.max_fanout)}]
    turn = await parent.call_model(messages, [handoff_tool_spec(parent.split_settings.max_fanout)])
    return parse_handoff(turn.tool_calls, turn.text, parent.task)


def _summary_of(result: AgentResult) -> str:
    if result.status == "finished":
        text = result.summary
    elif result.status == "failed":
        text = f"failed: {result.error}"
    else:
        text = "stopped before finishing; its changes so far are committed."
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CAP_CHARS else text[: SUMMARY_CAP_CHARS - 1] + "…"
