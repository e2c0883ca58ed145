"""Splitting near the threshold: handoff → sub-agents with fresh context → compacted parent.

Quality drops long before a context window is full, so before an agent's next request
would start at or above the threshold, it stops, writes a handoff, and fresh sub-agents
do the rest, one brief each. Their summaries come back; the parent goes on from the
handoff and the summaries alone. Depth and fan-out are bounded: at the depth bound the
agent finishes with what it has and says so.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from agentdeck.agent.context_meter import ContextMeter, elide_old_outputs
from agentdeck.agent.handoff import (
    Handoff,
    compacted_task,
    handoff_request,
    handoff_tool_spec,
    parse_handoff,
    sub_agent_task,
)
from agentdeck.events import (
    Brief,
    ContextCompacted,
    Event,
    SplitTriggered,
    SubAgentFinished,
    SubAgentSpawned,
)
from agentdeck.llm.types import Message, ToolSpec, TurnResult
from agentdeck.workspace import TaskWorkspace, WorkspaceError
from agentdeck.workspace.children import (
    MergeOutcome,
    child_exists,
    create_child_workspace,
    merge_child,
    remove_child_workspace,
)

if TYPE_CHECKING:
    from agentdeck.agent.loop import AgentResult

# Longest sub-agent summary handed back to the parent: summaries must stay short.
SUMMARY_CAP_CHARS = 1500
# The handoff request may not carry more than this fraction of the window: older tool
# outputs are elided from it until it fits (a long reply can push the context past the threshold).
HANDOFF_REQUEST_LIMIT = 0.7


@dataclass(frozen=True)
class SplitSettings:
    threshold: float = 0.6
    max_depth: int = 2
    max_fanout: int = 4
    # Sub-agents side by side in child worktrees (merged back) instead of one after another.
    parallel: bool = False


class SubAgent(Protocol):
    """What the splitter reads of a sub-agent it started."""

    @property
    def agent_id(self) -> str: ...
    @property
    def depth(self) -> int: ...
    @property
    def context(self) -> ContextMeter: ...


Child = TypeVar("Child", bound=SubAgent)


class SplitParent(SubAgent, Protocol[Child]):
    """What the splitter needs of the agent it splits (agentdeck.agent.loop.Agent has it)."""

    @property
    def task(self) -> str: ...
    @property
    def plan(self) -> str | None: ...
    @property
    def split_settings(self) -> SplitSettings: ...
    @property
    def workspace(self) -> object: ...  # a TaskWorkspace lets its sub-agents work side by side
    @property
    def messages(self) -> list[Message]: ...
    @property
    def context_window(self) -> int | None: ...
    @property
    def halted(self) -> bool: ...

    def emit(self, event: Event) -> None: ...
    async def call_model(self, messages: list[Message], tools: list[ToolSpec]) -> TurnResult: ...
    def compact(self, text: str) -> None: ...
    def sub_agents_at_work(self) -> AbstractContextManager[None]: ...
    def new_child_id(self) -> str: ...
    def spawn_child(self, agent_id: str, task: str, workspace: TaskWorkspace | None = None) -> Child: ...
    async def run_child(self, child: Child) -> AgentResult: ...
    async def checkpoint_now(self, what: str) -> None: ...


async def split(parent: SplitParent[Child], fraction: float) -> str | None:
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
    with parent.sub_agents_at_work():
        workspace = parent.workspace
        if settings.parallel and isinstance(workspace, TaskWorkspace):
            summaries = await _run_in_parallel(parent, workspace, handoff, briefs, fraction)
        else:
            summaries = await _run_one_after_another(parent, handoff, briefs, fraction)
    before = parent.context.fraction
    parent.compact(compacted_task(parent.task, parent.plan, handoff, summaries, settings.parallel))
    after = parent.context.fraction
    parent.emit(ContextCompacted(before_fraction=round(before, 4), after_fraction=round(after, 4)))
    if after >= settings.threshold:
        # Another split would start from here again and loop: finish with what the sub-agents did.
        return f"Finished after a split: {_no_room(after, settings)} even when compacted. " + " ".join(
            summaries
        )
    return None


async def _run_one_after_another(
    parent: SplitParent[Child], handoff: Handoff, briefs: list[Brief], fraction: float
) -> list[str]:
    """Each sub-agent in the parent's own worktree, in turn: each sees the work of those before it."""
    summaries: list[str] = []
    for index, brief in enumerate(briefs, start=1):
        if parent.halted:
            summaries.append(f"Sub-agent {index} ({brief.goal}): not started, the user stopped the run.")
            continue
        child = parent.spawn_child(
            parent.new_child_id(),
            sub_agent_task(parent.task, handoff, brief, index, len(briefs)),
        )
        if not _announce(parent, child, brief, index, len(briefs), fraction, summaries):
            continue
        result = await parent.run_child(child)
        summaries.append(_report(parent, child, brief, index, result, _summary_of(result)))
    return summaries


async def _run_in_parallel(
    parent: SplitParent[Child],
    workspace: TaskWorkspace,
    handoff: Handoff,
    briefs: list[Brief],
    fraction: float,
) -> list[str]:
    """Sub-agents side by side in child worktrees from the parent's branch, merged back one by one."""
    await parent.checkpoint_now("before handing off to sub-agents")
    summaries: list[str] = []
    running: list[tuple[int, Brief, Child, TaskWorkspace]] = []
    for index, brief in enumerate(briefs, start=1):
        child_id = parent.new_child_id()
        # A resumed task restarts its numbering; a child branch kept from before keeps its name.
        while await asyncio.to_thread(child_exists, workspace, child_id):
            child_id = parent.new_child_id()
        try:
            child_workspace = await asyncio.to_thread(create_child_workspace, workspace, child_id)
        except WorkspaceError as exc:
            summaries.append(
                f"Sub-agent {index} ({brief.goal}): not started, its worktree could not be made: {exc}"
            )
            continue
        child = parent.spawn_child(
            child_id,
            sub_agent_task(parent.task, handoff, brief, index, len(briefs)),
            workspace=child_workspace,
        )
        if not _announce(parent, child, brief, index, len(briefs), fraction, summaries):
            await asyncio.to_thread(remove_child_workspace, workspace, child_workspace, delete_branch=True)
            continue
        running.append((index, brief, child, child_workspace))
    results = await asyncio.gather(*(parent.run_child(child) for _, _, child, _ in running))
    for (index, brief, child, child_workspace), result in zip(running, results):
        summary = _summary_of(result)
        try:
            outcome = await asyncio.to_thread(
                merge_child,
                workspace,
                child_workspace,
                f"agentdeck {parent.agent_id}: merge sub-agent {child.agent_id}",
            )
        except Exception as exc:  # one child's merge failing must not lose the others' work
            outcome = MergeOutcome(merged=False, conflicts=[f"(the merge failed: {exc})"])
        if outcome.merged:
            summary += " Its work is merged into the task's branch."
            try:
                await asyncio.to_thread(
                    remove_child_workspace, workspace, child_workspace, delete_branch=True
                )
            except Exception as exc:
                summary += f" Its worktree is left at {child_workspace.path} ({exc})."
        else:
            summary += (
                f" NOT merged: conflicts in {', '.join(outcome.conflicts)}; its work stays on branch "
                f"{child_workspace.branch} ({child_workspace.path})."
            )
        summaries.append(_report(parent, child, brief, index, result, summary))
    return summaries


def _announce(
    parent: SplitParent[Any],
    child: SubAgent,
    brief: Brief,
    index: int,
    of: int,
    fraction: float,
    summaries: list[str],
) -> bool:
    """Emit SubAgentSpawned, or note why the sub-agent can't start; True when it may run."""
    settings = parent.split_settings
    if child.context.fraction >= settings.threshold:
        # A fresh context would start past the threshold: splitting cannot make room.
        summaries.append(
            f"Sub-agent {index} ({brief.goal}): not started, {_no_room(child.context.fraction, settings)}."
        )
        return False
    parent.emit(
        SubAgentSpawned(
            sub_agent_id=child.agent_id,
            index=index,
            of=of,
            depth=child.depth,
            goal=brief.goal,
            parent_fraction=round(fraction, 4),
            first_fraction=round(child.context.fraction, 4),
        )
    )
    return True


def _report(
    parent: SplitParent[Any], child: SubAgent, brief: Brief, index: int, result: AgentResult, summary: str
) -> str:
    parent.emit(
        SubAgentFinished(
            sub_agent_id=child.agent_id,
            status=result.status,
            summary=summary,
            steps=result.steps,
            final_fraction=round(child.context.fraction, 4),
        )
    )
    return f"Sub-agent {index} ({brief.goal}), {result.status}: {summary}"


def _no_room(fraction: float, settings: SplitSettings) -> str:
    return f"a fresh context is already {fraction:.0%} full, past the {settings.threshold:.0%} threshold"


async def _ask_for_handoff(parent: SplitParent[Any], fraction: float) -> tuple[Handoff, str | None]:
    """One turn with only the handoff tool on offer; the request is not kept in the transcript."""
    settings = parent.split_settings
    request = {"role": "user", "content": handoff_request(fraction, settings.max_fanout, settings.parallel)}
    tools = [handoff_tool_spec(settings.max_fanout)]
    messages = elide_old_outputs(
        [*parent.messages, request], tools, parent.context_window, HANDOFF_REQUEST_LIMIT
    )
    turn = await parent.call_model(messages, tools)
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
