"""The agent loop: read steering → check budgets → stream one LLM turn → run its tool calls → repeat.

One class serves foreground and background agents alike. It reports everything it does
as events through `emit`, and it is driven from outside only through `steer`,
`interrupt` and `stop`. An interrupt cancels the LLM call or tool run in flight at once
and leaves the agent waiting; a steer wakes it with a message its next turn sees.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Literal, Protocol

from agentdeck.agent.budgets import Budget, BudgetMeter
from agentdeck.agent.prompts import NUDGE, system_prompt
from agentdeck.agent.tools import Toolbox, ToolContext
from agentdeck.events import (
    AgentFailed,
    AgentFinished,
    AgentWaiting,
    Checkpointed,
    ContextUsage,
    Event,
    SteerReceived,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from agentdeck.llm.types import Message, ModelClient, ModelError, ToolCall, TurnResult

# Text-only replies in a row before the agent stops and waits for a human.
MAX_NUDGES = 2
INTERRUPTED_TOOL_RESULT = "error: not run: the user interrupted the agent before this call ran"


class Workspace(Protocol):
    """What the loop needs of its worktree (agentdeck.workspace.TaskWorkspace has it)."""

    path: object

    def checkpoint(self, message: str) -> str | None: ...

    def diff_stats(self): ...


Status = Literal["finished", "failed", "interrupted"]


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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.agent_id = agent_id
        self.task_id = task_id
        self.model = model
        self.workspace = workspace
        self.tool_context = tool_context
        self.context_window = context_window
        self.toolbox = toolbox or Toolbox()
        self.meter = BudgetMeter(budget, clock)
        self._emit_raw = emit
        self.messages: list[Message] = [
            {"role": "system", "content": system_prompt(tool_context.worktree)},
            {"role": "user", "content": task},
        ]
        self._tool_specs = self.toolbox.specs()
        self._steers: deque[str] = deque()
        self._wake = asyncio.Event()
        self._current: asyncio.Task | None = None
        self._waiting = False
        self._stop_requested = False
        # An interrupt that arrives between steps holds until the next step would start.
        self._interrupt_pending = False
        self._nudges = 0
        self._partial_text: list[str] = []

    # -- driven from outside -------------------------------------------------------

    @property
    def waiting(self) -> bool:
        return self._waiting

    def steer(self, text: str) -> None:
        """Queue a user message for the next turn; wakes a waiting agent."""
        self._steers.append(text)
        self._emit(SteerReceived(text=text))
        self._wake.set()

    def interrupt(self) -> None:
        """Cancel the LLM call or tool run in flight at once; the agent then waits."""
        current = self._current
        if current is not None and not current.done():
            # Called from inside the step (an event handler reacting to the step's own
            # event): the step ends by itself; cancelling it would fake a user interrupt.
            if current is not asyncio.current_task():
                current.cancel()
        elif not self._waiting:
            self._interrupt_pending = True

    def stop(self) -> None:
        """End the run at the next safe point (at once if waiting), keeping all work."""
        self._stop_requested = True
        self.interrupt()
        self._wake.set()

    # -- the loop --------------------------------------------------------------------

    async def run(self) -> AgentResult:
        self.meter.start()
        while True:
            if self._stop_requested:
                await self._safe_checkpoint("stopped")
                return self._result("interrupted")
            if self._waiting:
                self.meter.pause()
                await self._wake.wait()
                self._wake.clear()
                self.meter.resume()
                if self._steers:
                    self._waiting = False
                continue
            self._drain_steers()
            if self._interrupt_pending:
                self._interrupt_pending = False
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
                await self._enter_waiting("interrupted by the user")
            except _WallTimeUp:
                return await self._fail(self.meter.exceeded(force_wall=True), kind="budget")
            except ModelError as exc:
                return await self._fail(str(exc), kind="model")
            except Exception as exc:  # e.g. a checkpoint refused: end with an event, not a crash
                return await self._fail(str(exc) or type(exc).__name__, kind="error")

    async def _guarded_step(self) -> None:
        """Run one step as a task, so an interrupt or the wall-time budget can cancel it."""
        task = asyncio.create_task(self._step())
        self._current = task
        try:
            done, _ = await asyncio.wait({task}, timeout=self.meter.wall_remaining())
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
        self.meter.steps += 1
        self._partial_text = []
        try:
            turn = await self.model.stream_turn(self.messages, self._tool_specs, self._on_text)
        except asyncio.CancelledError:
            if self._partial_text:
                # Keep what the model had said, so its next turn knows where it stopped.
                text = "".join(self._partial_text) + " [interrupted]"
                self.messages.append({"role": "assistant", "content": text})
            raise
        self.messages.append(turn.as_message())
        self._record_usage(turn)
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
                self._emit(ToolCallStarted(call_id=call.id, name=call.name, arguments=call.arguments))
                started = time.monotonic()
                result = await self.toolbox.call(self.tool_context, call.name, call.arguments)
                self._emit(
                    ToolCallFinished(
                        call_id=call.id,
                        name=call.name,
                        ok=result.ok,
                        output=result.output,
                        duration_s=round(time.monotonic() - started, 4),
                    )
                )
                self.messages.append({"role": "tool", "tool_call_id": call.id, "content": result.output})
                answered += 1
                changed |= result.may_change_files
                if result.finish_summary is not None:
                    summary = result.finish_summary
        except asyncio.CancelledError:
            # Every tool_call_id needs a reply before the next request, or providers reject it.
            for call in calls[answered:]:
                self.messages.append({"role": "tool", "tool_call_id": call.id, "content": INTERRUPTED_TOOL_RESULT})
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

    def _emit(self, event: Event) -> None:
        event.agent_id = self.agent_id
        event.task_id = self.task_id
        self._emit_raw(event)

    async def _on_text(self, fragment: str) -> None:
        self._partial_text.append(fragment)
        self._emit(TextDelta(text=fragment))

    def _drain_steers(self) -> None:
        while self._steers:
            self.messages.append({"role": "user", "content": self._steers.popleft()})

    def _record_usage(self, turn: TurnResult) -> None:
        usage = turn.usage
        self.meter.add_cost(usage.cost_usd)
        self._emit(
            TurnFinished(
                step=self.meter.steps,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                usage_estimated=usage.estimated,
                cost_usd=usage.cost_usd,
                total_cost_usd=self.meter.cost_usd,
            )
        )
        if self.context_window:
            used = usage.prompt_tokens + usage.completion_tokens
            self._emit(
                ContextUsage(used=used, limit=self.context_window, fraction=round(used / self.context_window, 4))
            )

    async def _checkpoint(self, what: str) -> None:
        message = f"agentdeck {self.task_id} {what}"
        commit = await asyncio.to_thread(self.workspace.checkpoint, message)
        if commit is None:
            return
        stats = await asyncio.to_thread(self.workspace.diff_stats)
        self._emit(
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
        self._waiting = True
        self._interrupt_pending = False
        self._wake.clear()
        if self._steers or self._stop_requested:
            self._wake.set()
        self._emit(AgentWaiting(reason=reason))

    async def _finish(self, summary: str) -> AgentResult:
        problem = await self._safe_checkpoint(f"step {self.meter.steps}: finished")
        if problem:
            return await self._fail(f"the agent finished, but the last changes could not be checkpointed: {problem}", kind="error")
        stats = await asyncio.to_thread(self.workspace.diff_stats)
        self._emit(
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
        self._emit(AgentFailed(error=error, kind=kind))
        return self._result("failed", error=error)

    def _result(self, status: Status, *, summary: str = "", error: str = "") -> AgentResult:
        return AgentResult(
            status=status, summary=summary, error=error, steps=self.meter.steps, total_cost_usd=self.meter.cost_usd
        )


class _Interrupted(Exception):
    pass


class _WallTimeUp(Exception):
    pass
