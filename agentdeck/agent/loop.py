"""The agent loop: read steering → check budgets → stream one LLM turn → run its tool calls → repeat.

One class serves foreground and background agents alike. It reports everything it does
as events through `emit`, and it is driven from outside only through `steer`,
`interrupt`, `resume` and `stop`. An interrupt cancels the LLM call or tool run in flight
at once and leaves the agent waiting; a steer wakes it with a message its next turn sees;
a resume wakes it without one, or cancels a stalled step and goes straight on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import deque
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Literal, Protocol

from agentdeck.agent import splitting
from agentdeck.agent.briefing import Briefing, brief_agent
from agentdeck.agent.budget_note import with_budget_note
from agentdeck.agent.budgets import Budget, BudgetMeter
from agentdeck.agent.context_meter import ContextMeter, fit_output
from agentdeck.agent.planning import task_with_plan, write_plan
from agentdeck.agent.prompts import NUDGE, system_prompt
from agentdeck.agent.splitting import SplitSettings
from agentdeck.agent.task_skills import TaskSkills
from agentdeck.agent.tools import DEFAULT_TOOLS, Tool, Toolbox, ToolContext
from agentdeck.agent.tools.skills import LOAD_SKILL
from agentdeck.events import (
    AgentFailed,
    AgentFinished,
    AgentWaiting,
    Checkpointed,
    ContextUsage,
    Event,
    ModelRetrying,
    PlanWritten,
    SteerReceived,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from agentdeck.llm.types import (
    Message,
    ModelClient,
    ModelError,
    RetryNotice,
    ToolCall,
    ToolSpec,
    TurnResult,
    retry_listener,
)

# Text-only replies in a row before the agent stops and waits for a human.
MAX_NUDGES = 2
INTERRUPTED_TOOL_RESULT = "error: not run: the user interrupted the agent before this call ran"


class ChangeCounts(Protocol):
    """A change's size, as the workspace counts it (agentdeck.workspace.task.DiffStats)."""

    @property
    def files_changed(self) -> int: ...
    @property
    def insertions(self) -> int: ...
    @property
    def deletions(self) -> int: ...


class Workspace(Protocol):
    """What the loop needs of its worktree (agentdeck.workspace.TaskWorkspace has it)."""

    @property
    def path(self) -> Path: ...

    def checkpoint(self, message: str) -> str | None: ...

    def diff_stats(self) -> ChangeCounts: ...


Status = Literal["finished", "failed", "interrupted"]


class AgentPhase(Enum):
    """Where an agent is in its life; `interrupt`, `resume`, `stop` and the loop move it.

    WORKING → INTERRUPTING (an interrupt with no step to cancel) → WAITING before the next step;
    WORKING → RESUMING (a resume cancelled the step in flight) → WORKING when that step ends;
    WORKING → WAITING (interrupted, or the model stopped without finishing) → WORKING on a steer
    or resume; any phase → STOPPING (stop), which only the end of the run leaves.
    """

    WORKING = "working"
    # An interrupt that arrived between steps, or during a split, holds until the next step would start.
    INTERRUPTING = "interrupting"
    # A resume that cancelled the step in flight: the agent goes on instead of waiting.
    RESUMING = "resuming"
    WAITING = "waiting"
    STOPPING = "stopping"


@dataclass
class AgentResult:
    status: Status
    summary: str = ""
    error: str = ""
    steps: int = 0
    total_cost_usd: float = 0.0


class _Finished(Exception):
    def __init__(self, summary: str) -> None:
        self.summary = summary


class Agent:
    """One agent working on one task in one worktree."""

    def __init__(
        self,
        *,
        agent_id: str,
        task_id: str,
        task: str,
        model: ModelClient,
        workspace: Workspace,
        tool_context: ToolContext,
        budget: Budget,
        emit: Callable[[Event], None],
        context_window: int | None = None,
        toolbox: Toolbox | None = None,
        extra_tools: tuple[Tool, ...] = (),
        clock: Callable[[], float] = time.monotonic,
        split_settings: SplitSettings | None = None,
        planner: ModelClient | None = None,
        depth: int = 0,
        budget_meter: BudgetMeter | None = None,
        final_events: bool = True,
        skills: TaskSkills | None = None,
        briefing: Briefing | None = None,
    ) -> None:
        self.agent_id = agent_id
        self.task_id = task_id
        self.task = task
        self.model = model
        self.workspace = workspace
        self.tool_context = tool_context
        self.context_window = context_window
        # With skills, the agent gets their listing in its instructions and `load_skill` among its tools;
        # `extra_tools` are a task's own (a sprint's `message`). Without `toolbox`, it makes its own.
        self.skills = skills
        self.toolbox = toolbox or Toolbox(DEFAULT_TOOLS + (skills.tools() if skills else ()) + extra_tools)
        # Sub-agents share their parent's meter: budgets hold for the task as a whole.
        self.meter = budget_meter or BudgetMeter(budget, clock)
        self.split_settings = split_settings or SplitSettings()
        self.planner = planner
        self.plan: str | None = None
        self.depth = depth
        # Only the task's own agent announces the end of the task; a sub-agent's end is
        # reported by its parent as SubAgentFinished.
        self._final_events = final_events
        self._emit_raw = emit
        # Every agent, a task's own and its sub-agents alike, sees its name, role and the conventions.
        self.briefing = briefing or brief_agent(agent_id, tool_context.worktree)
        self.messages: list[Message] = [
            {"role": "system", "content": system_prompt(tool_context.worktree, self.briefing, skills)},
            {"role": "user", "content": task},
        ]
        self._tool_specs = self.toolbox.specs()
        self.context = ContextMeter(context_window, self._tool_specs)
        self.context.reset(self.messages)
        self._reported_used: int | None = None
        self._children: set[Agent] = set()
        self._children_spawned = 0
        # Orthogonal to the phase: a split can be interrupted or stopped, and either must wait for
        # its end (cancelling the step half-way would lose the sub-agents' summaries).
        self._splitting = False
        # A fact about the task, not a life state: the planner's turn is behind it (or there is none).
        self._planned = planner is None
        # LLM turns of this agent alone; `meter.steps` counts the whole task's, sub-agents' included.
        self.own_steps = 0
        self._steers: deque[str] = deque()
        self._wake = asyncio.Event()
        self._current: asyncio.Task[None] | None = None
        self._phase = AgentPhase.WORKING
        self._nudges = 0
        self._partial_text: list[str] = []

    # -- driven from outside -------------------------------------------------------

    @property
    def waiting(self) -> bool:
        """Waiting for a human: a steer or a resume wakes it."""
        return self._phase is AgentPhase.WAITING

    def steer(self, text: str) -> None:
        """Queue a user message for the next turn; wakes a waiting agent."""
        if self._children:  # the sub-agent at work is the one that acts on it
            for child in list(self._children):
                child.steer(text)
            return
        self._steers.append(text)
        self.emit(SteerReceived(text=text))
        self._wake.set()

    def interrupt(self) -> None:
        """Cancel the LLM call or tool run in flight at once; the agent then waits."""
        if self._children:
            for child in list(self._children):
                child.interrupt()
            return
        if self._phase is AgentPhase.RESUMING:
            self._phase = AgentPhase.WORKING
        current = self._current
        # Between sub-agents (creating or merging their worktrees), cancelling would lose their
        # summaries: like an interrupt between steps, it holds until the split is done.
        if current is not None and not current.done() and not self._splitting:
            # Called from inside the step (an event handler reacting to the step's own
            # event): the step ends by itself; cancelling it would fake a user interrupt.
            if current is not asyncio.current_task():
                current.cancel()
        elif self._phase is AgentPhase.WORKING:
            self._phase = AgentPhase.INTERRUPTING

    def resume(self, note: str | None = None) -> None:
        """Carry on: wake a waiting agent, or cancel the step in flight (a stalled one) and go on.

        `note`, when given, is a user message the next turn sees (why the step was stopped)."""
        if self._children:
            for child in list(self._children):
                child.resume(note)
            return
        current = self._current
        at_work = current is not None and not current.done() and current is not asyncio.current_task()
        waiting = self._phase is AgentPhase.WAITING
        if not (waiting or at_work):
            return
        if note:
            self._steers.append(note)
        if at_work and self._splitting:
            # Between sub-agents (creating or merging their worktrees) the split is at work, not
            # stuck: cancelling it would lose their summaries. A held interrupt is withdrawn.
            if self._phase is AgentPhase.INTERRUPTING:
                self._phase = AgentPhase.WORKING
            return
        if self._phase is not AgentPhase.STOPPING:
            self._phase = AgentPhase.WORKING if waiting else AgentPhase.RESUMING
        if waiting:
            self._wake.set()
        elif current is not None:
            current.cancel()

    def stop(self) -> None:
        """End the run at the next safe point (at once if waiting), keeping all work."""
        self._phase = AgentPhase.STOPPING
        for child in list(self._children):
            child.stop()
        self.interrupt()
        self._wake.set()

    # -- the loop --------------------------------------------------------------------

    async def run(self) -> AgentResult:
        self.meter.start()
        listening = retry_listener.set(self._on_retry)
        try:
            return await self._run()
        finally:
            retry_listener.reset(listening)
            self.meter.pause()

    async def _run(self) -> AgentResult:
        while True:
            if self._phase is AgentPhase.STOPPING:
                await self._safe_checkpoint("stopped")
                return self._result("interrupted")
            if self._phase is AgentPhase.WAITING:
                self.meter.pause()
                await self._wake.wait()
                self._wake.clear()
                self.meter.resume()
                if self._steers and self._phase is AgentPhase.WAITING:
                    self._phase = AgentPhase.WORKING
                continue
            self._drain_steers()
            if self._phase is AgentPhase.INTERRUPTING:
                await self._enter_waiting("interrupted by the user")
                continue
            exceeded = self.meter.exceeded()
            if exceeded:
                return await self._fail(exceeded, kind="budget")
            try:
                await self._guarded_step()
            except _Finished as done:
                return await self._finish(done.summary)
            except _Interrupted:
                if self._phase is AgentPhase.RESUMING:
                    self._phase = AgentPhase.WORKING
                    continue  # resumed: the cancelled step's calls were answered; the next turn goes on
                await self._enter_waiting("interrupted by the user")
            except _WallTimeUp:
                return await self._fail(self.meter.wall_time_up(), kind="budget")
            except ModelError as exc:
                return await self._fail(str(exc), kind="model")
            except Exception as exc:  # e.g. a checkpoint refused: end with an event, not a crash
                return await self._fail(str(exc) or type(exc).__name__, kind="error")
            else:
                if self._phase is AgentPhase.RESUMING:  # the step ended before the resume's cancel reached it
                    self._phase = AgentPhase.WORKING

    async def _guarded_step(self) -> None:
        """Run one step as a task, so an interrupt or the wall-time budget can cancel it."""
        task = asyncio.create_task(self._step())
        self._current = task
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.meter.wall_remaining())
                # Time spent waiting for a human (in a sub-agent, say) doesn't count: look again.
                if done or self.meter.wall_remaining() <= 0:
                    break
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            self._current = None
        if not done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise _WallTimeUp
        if task.cancelled():
            raise _Interrupted
        task.result()

    async def _step(self) -> None:
        if not self._planned:
            await self._write_plan()
            return
        fraction = self._report_context()
        if self.context_window and fraction >= self.split_settings.threshold:
            if self.own_steps == 0 and self._final_events:
                raise ContextTooSmall(self._too_small(fraction))
            summary = await splitting.split(self, fraction)
            self._report_context()
            if summary is not None:
                raise _Finished(summary)
            return
        # The note rides on this request only: the next one carries a fresh note instead.
        request = with_budget_note(self.messages, self.meter, fraction if self.context_window else None)
        try:
            turn = await self.call_model(request, self._tool_specs)
        except asyncio.CancelledError:
            if self._partial_text:
                # Keep what the model had said, so its next turn knows where it stopped.
                text = "".join(self._partial_text) + " [interrupted]"
                self.messages.append({"role": "assistant", "content": text})
            raise
        self.messages.append(turn.as_message())
        if not turn.usage.estimated:  # the provider's count is exact up to the reply
            self.context.record_usage(self.messages, turn.usage.prompt_tokens, turn.usage.completion_tokens)
        self._report_context()
        if not turn.tool_calls:
            await self._no_tool_reply()
            return
        self._nudges = 0
        await self._run_tools(turn.tool_calls)

    async def _run_tools(self, calls: list[ToolCall]) -> None:
        summary: str | None = None
        changed = False
        answered = 0
        try:
            for call in calls:
                self.emit(ToolCallStarted(call_id=call.id, name=call.name, arguments=call.arguments))
                started = time.monotonic()
                result = await self.toolbox.call(self.tool_context, call.name, call.arguments)
                output = fit_output(self.context, self.split_settings.threshold, call.id, result.output)
                self.emit(
                    ToolCallFinished(
                        call_id=call.id,
                        name=call.name,
                        ok=result.ok,
                        output=output,
                        duration_s=round(time.monotonic() - started, 4),
                    )
                )
                self.messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
                answered += 1
                self._report_context()
                changed |= result.may_change_files
                if result.finish_summary is not None:
                    summary = result.finish_summary
        except asyncio.CancelledError:
            # Every tool_call_id needs a reply before the next request, or providers reject it.
            for call in calls[answered:]:
                self.messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": INTERRUPTED_TOOL_RESULT}
                )
            raise
        if changed:
            names = ", ".join(dict.fromkeys(c.name for c in calls))
            await self._checkpoint(f"step {self.meter.steps}: {names}")
        if summary is not None:
            raise _Finished(summary)

    async def _no_tool_reply(self) -> None:
        if self._nudges < MAX_NUDGES:
            self._nudges += 1
            self.messages.append({"role": "user", "content": NUDGE})
            return
        self._nudges = 0
        await self._enter_waiting("the model stopped without calling finish; steer it to continue")

    # -- bookkeeping -----------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Publish an event as this agent's."""
        event.agent_id = self.agent_id
        event.task_id = self.task_id
        self._emit_raw(event)

    def _on_retry(self, notice: RetryNotice) -> None:
        self.emit(
            ModelRetrying(
                attempt=notice.attempt,
                max_retries=notice.max_retries,
                cause=notice.cause,
                error=notice.error,
                delay_s=notice.delay_s,
            )
        )

    async def _on_text(self, fragment: str) -> None:
        self._partial_text.append(fragment)
        self.emit(TextDelta(text=fragment))

    def _drain_steers(self) -> None:
        if not self._steers:
            return
        while self._steers:
            self.messages.append({"role": "user", "content": self._steers.popleft()})
        self._report_context()

    async def call_model(self, messages: list[Message], tools: list[ToolSpec]) -> TurnResult:
        """One LLM turn, counted as a step, its prose streamed as events and its usage reported."""
        self.meter.steps += 1
        self.own_steps += 1
        self._partial_text = []
        turn = await self.model.stream_turn(messages, tools, self._on_text)
        self._record_usage(turn)
        return turn

    def _record_usage(self, turn: TurnResult) -> None:
        usage = turn.usage
        self.meter.add_cost(usage.cost_usd)
        self.emit(
            TurnFinished(
                step=self.meter.steps,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                usage_estimated=usage.estimated,
                cost_usd=usage.cost_usd,
                total_cost_usd=self.meter.cost_usd,
            )
        )

    # -- the context meter ---------------------------------------------------------------

    def _report_context(self) -> float:
        """Bring the meter up to date with the transcript; emits ContextUsage when it changed."""
        used = self.context.update(self.messages)
        if self.context_window and used != self._reported_used:
            self._reported_used = used
            self.emit(
                ContextUsage(used=used, limit=self.context_window, fraction=round(self.context.fraction, 4))
            )
        return self.context.fraction

    def _too_small(self, fraction: float) -> str:
        return (
            f"the context window of {self.context_window:,} tokens is too small: the instructions, tools and task "
            f"alone fill {fraction:.0%} of it, past the split threshold of {self.split_settings.threshold:.0%}. "
            "Give the model's real window (--context-window or the role's context_window), or a shorter task"
        )

    # -- what the splitter asks of the agent it splits (splitting.SplitParent) -------------

    @property
    def halted(self) -> bool:
        """The user interrupted or stopped it: a split in progress starts no more sub-agents."""
        return self._phase in (AgentPhase.INTERRUPTING, AgentPhase.STOPPING)

    def compact(self, text: str) -> None:
        """Replace the transcript with the system prompt and `text`: the context starts over."""
        self.messages = [self.messages[0], {"role": "user", "content": text}]
        self.context.reset(self.messages)
        self._nudges = 0

    def new_child_id(self) -> str:
        """`<id>.1`, `<id>.2` …, never reused by a later split (a kept child branch has that name)."""
        self._children_spawned += 1
        return f"{self.agent_id}.{self._children_spawned}"

    def spawn_child(self, agent_id: str, task: str, workspace: Workspace | None = None) -> Agent:
        """A sub-agent with fresh context, sharing this agent's budgets; in its worktree unless given another."""
        tool_context = self.tool_context
        if workspace is not None:
            tool_context = dataclasses.replace(tool_context, worktree=Path(str(workspace.path)))
        skills = self.skills.for_sub_agent() if self.skills else None
        toolbox = self.toolbox if skills else self.toolbox.without(LOAD_SKILL)
        return Agent(
            agent_id=agent_id,
            task_id=self.task_id,
            task=task,
            model=self.model,
            workspace=workspace or self.workspace,
            tool_context=tool_context,
            budget=self.meter.budget,
            emit=self._emit_raw,
            context_window=self.context_window,
            toolbox=toolbox,
            split_settings=self.split_settings,
            depth=self.depth + 1,
            budget_meter=self.meter,
            final_events=False,
            skills=skills,
            briefing=dataclasses.replace(self.briefing, name=agent_id),
        )

    async def run_child(self, child: Agent) -> AgentResult:
        """Run a sub-agent to its end; steering, interrupts and stop reach it meanwhile."""
        self._children.add(child)
        try:
            return await child.run()
        finally:
            self._children.discard(child)

    @contextmanager
    def sub_agents_at_work(self) -> Generator[None]:
        """While its sub-agents work, this agent neither works (its clock stops; theirs run) nor can be
        cancelled half-way: interrupts reach the sub-agents, or wait for the split's end."""
        self._splitting = True
        self.meter.pause()
        try:
            yield
        finally:
            self.meter.resume()
            self._splitting = False

    async def checkpoint_now(self, what: str) -> None:
        """Commit what is in the worktree now (e.g. before sub-agents branch from it)."""
        await self._checkpoint(f"step {self.meter.steps}: {what}")

    # -- planning, checkpoints and the end of the run --------------------------------------

    async def _write_plan(self) -> None:
        assert self.planner is not None
        self._partial_text = []
        skills = self.skills.named_in_full() if self.skills else ""
        turn = await write_plan(self.planner, self.task, self.tool_context.worktree, self._on_text, skills)
        self.meter.add_cost(turn.usage.cost_usd)
        self._planned = True
        self.plan = turn.text.strip()
        if not self.plan:
            return
        self.emit(PlanWritten(plan=self.plan, model=self.planner.model))
        self.messages[1] = {"role": "user", "content": task_with_plan(self.task, self.plan)}
        self.context.reset(self.messages)  # a message changed in place: the meter must count it again
        self._report_context()

    async def _checkpoint(self, what: str) -> None:
        message = f"agentdeck {self.agent_id} {what}"
        commit = await asyncio.to_thread(self.workspace.checkpoint, message)
        if commit is None:
            return
        stats = await asyncio.to_thread(self.workspace.diff_stats)
        self.emit(
            Checkpointed(
                commit=commit,
                message=message,
                files_changed=stats.files_changed,
                insertions=stats.insertions,
                deletions=stats.deletions,
            )
        )

    async def _safe_checkpoint(self, what: str) -> Exception | None:
        """Checkpoint where a failure must not end the run abruptly; returns the failure, if any."""
        try:
            await self._checkpoint(what)
        except Exception as exc:
            return exc
        return None

    async def _enter_waiting(self, reason: str) -> None:
        problem = await self._safe_checkpoint(f"step {self.meter.steps}: {reason}")
        if problem:
            reason = f"{reason} (the last changes could not be checkpointed: {problem})"
        stopping = self._phase is AgentPhase.STOPPING
        if not stopping:
            self._phase = AgentPhase.WAITING
        self._wake.clear()
        if self._steers or stopping:
            self._wake.set()
        self.emit(AgentWaiting(reason=reason))

    async def _finish(self, summary: str) -> AgentResult:
        problem = await self._safe_checkpoint(f"step {self.meter.steps}: finished")
        if problem:
            return await self._fail(
                f"the agent finished, but the last changes could not be checkpointed: {problem}", kind="error"
            )
        if not self._final_events:
            return self._result("finished", summary=summary)
        stats = await asyncio.to_thread(self.workspace.diff_stats)
        self.emit(
            AgentFinished(
                summary=summary,
                steps=self.meter.steps,
                total_cost_usd=self.meter.cost_usd,
                files_changed=stats.files_changed,
                insertions=stats.insertions,
                deletions=stats.deletions,
            )
        )
        return self._result("finished", summary=summary)

    async def _fail(self, error: str, *, kind: Literal["error", "budget", "model"]) -> AgentResult:
        problem = await self._safe_checkpoint(f"step {self.meter.steps}: stopped ({kind})")
        if problem and str(problem) not in error:  # not twice when the checkpoint was the failure
            error = f"{error}; the last changes could not be checkpointed: {problem}"
        if self._final_events:
            self.emit(AgentFailed(error=error, kind=kind))
        return self._result("failed", error=error)

    def _result(self, status: Status, *, summary: str = "", error: str = "") -> AgentResult:
        steps = self.meter.steps if self._final_events else self.own_steps
        return AgentResult(
            status=status, summary=summary, error=error, steps=steps, total_cost_usd=self.meter.cost_usd
        )


class ContextTooSmall(Exception):
    """The context is past the split threshold before any work: no split can make room."""


class _Interrupted(Exception):
    pass


class _WallTimeUp(Exception):
    pass
