"""What the cockpit knows about each task, folded from the session's events.

Plain Python on purpose (no textual): the one place where events become state, so the
widgets only render, and the folding is tested without a terminal. A `TaskView` starts
from a status snapshot (`GetStatus`) and follows the events after it; a pane's
`Transcript` is rebuilt from the task's stored events when the cockpit (re)attaches.

The event classes (`ev`) are imported where events are folded, not with this module:
building their pydantic models takes ~40 ms, and the cockpit paints before it attaches.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentdeck.task_state import TaskState

if TYPE_CHECKING:
    from agentdeck.events import Event
    from agentdeck.replies import Status, TaskStatus

# States a person has to act on; the cockpit says so once when a task enters one.
NEEDS_YOU = {
    TaskState.WAITING: "is waiting for you",
    TaskState.STALLED: "is stalled",
    TaskState.FINISHED: "finished",
    TaskState.FAILED: "failed",
}


@dataclass
class TaskView:
    """One task as the cockpit shows it: the session's row plus what its agent is doing now."""

    id: str
    task: str
    state: TaskState = TaskState.QUEUED
    foreground: bool = False
    model: str | None = None
    priority: int = 0
    created: float = field(default_factory=time.time)
    reason: str = ""
    steps: int = 0
    cost_usd: float = 0.0
    tokens: int = 0
    context_used: int = 0
    context_limit: int = 0
    context_fraction: float | None = None
    # The agent at work: the task's own agent, or one of its sub-agents after a split.
    worker: str | None = None
    # What the agent at work is: the task's role (executor, or one of [roles]) or "sub-agent i/n".
    worker_role: str = "executor"
    # The role of [roles] the task picked; None: the executor.
    role: str | None = None
    # What the agent is doing right now, in a few words (thinking, running `read`, ...).
    activity: str = ""
    # The context fractions at which the task split into sub-agents (markers on the meter).
    splits: list[float] = field(default_factory=list)
    verdict: str | None = None
    waiting_reason: str | None = None
    # AgentStarted.sandbox: how its commands run ("sandbox: bwrap, network off", "unconfined: ..."; "" unknown).
    sandbox: str = ""
    # The sprint it is part of (TaskQueued.sprint_id): the queue panel groups it under that id.
    sprint_id: str | None = None

    def __post_init__(self) -> None:
        self.state = TaskState(self.state)  # a status reply carries the plain string

    @property
    def needs_you(self) -> str | None:
        """Why this task needs a person now, or None."""
        return NEEDS_YOU.get(self.state)

    @property
    def alive(self) -> bool:
        return self.state.is_active

    @classmethod
    def from_row(cls, row: TaskStatus) -> TaskView:
        view = cls(
            id=row.id,
            task=row.task,
            state=row.state,
            foreground=row.foreground,
            model=row.model,
            role=row.role,
            priority=row.priority,
            created=row.created or time.time(),
            reason=row.reason or "",
            steps=row.steps,
            cost_usd=row.cost_usd,
            tokens=row.tokens,
            context_fraction=row.context_fraction,
            verdict=_verdict_word(row.verdict, row.tests),
            waiting_reason=row.waiting_reason,
        )
        view.activity = _state_activity(view.state, view.reason)
        return view


VERDICT_WORDS = {
    "approve": "approve",
    "request_changes": "changes",
    "reject": "reject",
    "judge_failed": "judge failed",
    "skipped": "no judge",
}
TEST_MARKS = {"passed": "✓", "failed": "✗", "timeout": "✗", "error": "✗"}


def _verdict_word(kind: str | None, tests: str | None = None) -> str | None:
    """`approve ✓`: the judge's verdict and whether the project's tests passed, in a few letters."""
    if not kind:
        return None
    mark = TEST_MARKS.get(tests or "", "")
    return f"{VERDICT_WORDS.get(kind, kind)} {mark}".strip()


def _state_activity(state: TaskState, reason: str) -> str:
    if state == TaskState.RUNNING:
        return "thinking"
    if state in (TaskState.WAITING, TaskState.STALLED):
        return reason  # the state label already says "waiting for you" / "stalled"
    if state == TaskState.QUEUED:
        return reason if reason and reason != "starting" else "queued"
    return str(state)


@dataclass
class Update:
    """What one event of the main stream changed: the task, and why it now needs you (once)."""

    view: TaskView | None = None
    attention: str | None = None


class CockpitState:
    """Every task of the session, kept current by `apply(event)`, plus the transcripts on screen.

    Counters and states come from the status snapshot and the session's live events after
    it (`apply`), a stream without text deltas. What a pane shows of an agent's work (its
    transcript, meter, role) comes from that task's own stream: its stored events when the
    pane opens (`open_transcript`), then its live ones (`apply_pane`), deltas included.
    """

    def __init__(self, transcript_limit: int = 80) -> None:
        self.tasks: dict[str, TaskView] = {}
        self.transcripts: dict[str, Transcript] = {}
        self.last_seq = 0
        self.foreground_slots = 3
        # The worktrees' disk use: {"total_bytes", "budget_bytes", "paused"}, from status then `disk_usage` events.
        self.disk: dict[str, Any] = {}
        self.transcript_limit = transcript_limit
        # Per pane: the last seq its transcript shows (a live event at or below it is old news).
        self.shown_upto: dict[str, int] = {}

    def load_status(self, status: Status) -> None:
        """Start from a `GetStatus` snapshot; events after `status.last_seq` follow."""
        self.tasks = {row.id: TaskView.from_row(row) for row in status.tasks}
        self.last_seq = status.last_seq
        self.foreground_slots = status.foreground_slots
        disk = status.disk
        self.disk = {
            "total_bytes": disk.total_bytes,
            "budget_bytes": disk.budget_bytes,
            "paused": disk.paused,
        }

    def apply(self, event: Event) -> Update:
        """Fold one event of the session's live stream in: states, counters, and who needs you."""
        from agentdeck import events as ev

        self.last_seq = max(self.last_seq, event.seq)
        task_id = event.task_id
        if isinstance(event, ev.DiskUsageChanged):
            self.disk = {
                "total_bytes": event.total_bytes,
                "budget_bytes": event.budget_bytes,
                "paused": event.paused,
            }
            return Update()
        if task_id is None:
            return Update()
        if isinstance(event, ev.TaskQueued):
            view = self.tasks.get(task_id) or TaskView(id=task_id, task=event.task, created=event.ts)
            view.foreground, view.model, view.priority = event.foreground, event.model, event.priority
            view.role = event.role
            view.sprint_id = event.sprint_id
            self.tasks[task_id] = view
            return Update(view)
        view = self.tasks.get(task_id)
        if view is None:
            return Update()
        before = view.needs_you
        # A pane that follows this task folds what it shows from its own stream (apply_pane);
        # with none, the display fields still move here (peek, a later pane).
        fold(view, event, display=task_id not in self.transcripts)
        after = view.needs_you
        return Update(view, after if after and after != before else None)

    def open_transcript(self, task_id: str, history: Iterable[Event]) -> Transcript:
        """A pane opens on `task_id`: its stored events (from seq 0) build the transcript."""
        transcript = Transcript(self.transcript_limit)
        view = self.tasks.get(task_id)
        upto = 0
        if view is not None:
            view.splits = []
        for event in history:
            upto = max(upto, event.seq)
            transcript.apply(event)
            if view is not None:
                fold(view, event, counts=False)
        self.shown_upto[task_id] = upto
        self.transcripts[task_id] = transcript
        return transcript

    def apply_pane(self, event: Event) -> list[Change]:
        """One live event of a pane's own stream: what its transcript and display gain."""
        task_id = event.task_id or ""
        transcript = self.transcripts.get(task_id)
        if transcript is None or event.seq <= self.shown_upto.get(task_id, 0):
            return []
        self.shown_upto[task_id] = event.seq
        view = self.tasks.get(task_id)
        if view is not None:
            fold(view, event, counts=False)
        return transcript.apply(event)

    def drop_transcript(self, task_id: str) -> None:
        """The pane closed: forget its transcript (the store keeps every event)."""
        self.transcripts.pop(task_id, None)
        self.shown_upto.pop(task_id, None)

    def panes(self, limit: int = 4) -> list[TaskView]:
        """The foreground tasks that get a pane: the live ones first, then the most recent ones that ended."""
        foreground = [t for t in self.tasks.values() if t.foreground and t.state != TaskState.CANCELLED]
        # Live ones oldest first (they keep their place); ended ones newest first.
        foreground.sort(
            key=lambda t: (not t.alive, t.state == TaskState.QUEUED, t.created if t.alive else -t.created)
        )
        return foreground[:limit]

    def counts(self) -> dict[str, int]:
        """How many tasks run, wait in the queue and need a person: the queue panel's summary line."""
        states = [t.state for t in self.tasks.values()]
        return {
            "running": sum(s == "running" for s in states),
            "queued": sum(s == "queued" for s in states),
            "need_you": sum(s in NEEDS_YOU for s in states),
        }

    def disk_summary(self) -> str | None:
        """`worktrees 1.2 GB of 10 GB`, or the pause of background starts; None before the first measurement."""
        from agentdeck.text import format_bytes

        total = self.disk.get("total_bytes")
        if total is None:
            return None
        if self.disk.get("paused"):
            return str(self.disk["paused"])
        budget = self.disk.get("budget_bytes")
        if not total and not budget:
            return None  # no worktree on disk and no budget: nothing worth a word
        return f"worktrees {format_bytes(total)}" + (f" of {format_bytes(budget)}" if budget else "")


def fold(view: TaskView, event: Event, *, counts: bool = True, display: bool = True) -> None:
    """One event into a task's view: its state and counters, and what its pane shows of the agent.

    `counts=False` for events the view has counted already (a pane's replay, its own stream
    beside the main one): steps, cost and tokens would add up twice. `display=False` when a
    pane's own stream brings the display fields instead."""
    if counts:
        _fold_counts(view, event)
    if display:
        _fold_display(view, event)


def _fold_counts(view: TaskView, event: Event) -> None:
    """The task's state and counters: from every live event, never from a replay."""
    from agentdeck import events as ev

    match event:
        case ev.TaskStateChanged():
            view.state, view.reason = event.state, event.reason
            view.activity = _state_activity(event.state, event.reason)
            if event.state != TaskState.QUEUED:
                view.waiting_reason = None
        case ev.TaskForegroundChanged():
            view.foreground = event.foreground
        case ev.AgentStarted():
            view.model, view.state = event.model, TaskState.RUNNING
        case ev.TurnFinished():
            view.steps += 1
            view.cost_usd += event.cost_usd or 0.0
            view.tokens += event.prompt_tokens + event.completion_tokens
        case ev.ContextUsage():
            view.context_fraction = event.fraction
        case ev.SteerReceived():
            if view.state == TaskState.WAITING:
                view.state = TaskState.RUNNING
        case ev.AgentWaiting():
            # A sub-agent that waits (interrupted, or stuck) holds up its whole task.
            view.state, view.reason = TaskState.WAITING, event.reason
        case ev.VerificationFinished():
            view.verdict = _verdict_word(event.verdict.kind, event.tests.status)


def _fold_display(view: TaskView, event: Event) -> None:
    """What the pane shows of the agent at work: activity, role, meter and split markers."""
    from agentdeck import events as ev

    sub_agent = event.agent_id is not None and event.agent_id != view.id
    match event:
        case ev.TaskStateChanged():
            view.activity = _state_activity(event.state, event.reason)
        case ev.AgentStarted():
            view.role = event.role or view.role
            view.model, view.worker, view.worker_role, view.activity = (
                event.model,
                event.agent_id,
                view.role or "executor",
                "starting",
            )
            view.sandbox = event.sandbox
        case ev.PlanWritten():
            view.activity = "plan written"
        case ev.TextDelta():
            view.worker, view.activity = event.agent_id, "thinking"
            if not sub_agent:
                view.worker_role = view.role or "executor"
        case ev.ToolCallStarted():
            view.worker, view.activity = event.agent_id, f"running {event.name}"
        case ev.ToolCallFinished():
            view.activity = "thinking"
        case ev.ContextUsage():
            view.context_used, view.context_limit, view.context_fraction = (
                event.used,
                event.limit,
                event.fraction,
            )
            view.worker = event.agent_id
        case ev.SplitTriggered():
            view.splits.append(event.fraction)
            view.activity = f"split into {len(event.briefs)} sub-agents"
        case ev.SubAgentSpawned():
            view.worker, view.worker_role, view.activity = (
                event.sub_agent_id,
                f"sub-agent {event.index}/{event.of}",
                "thinking",
            )
        case ev.SubAgentFinished():
            view.worker_role = view.role or "executor"
        case ev.ContextCompacted():
            view.worker_role, view.worker = view.role or "executor", view.id
        case ev.SteerReceived():
            view.activity = "steered"
        case ev.AgentWaiting():
            view.activity = _state_activity(TaskState.WAITING, event.reason)
        case ev.ModelRetrying():
            view.activity = (
                f"retrying after {event.cause} (attempt {event.attempt + 1} of {event.max_retries + 1})"
            )
        case ev.AgentFinished():
            if not sub_agent:
                view.activity = "finished"
        case ev.AgentFailed():
            view.activity = f"failed: {event.error}"


# -- the transcript of one pane ---------------------------------------------------------


@dataclass
class Block:
    """One item of a transcript: assistant prose, a tool call, or a note (plan, split, steer, end)."""

    kind: str  # "prose" | "tool" | "note"
    text: str = ""
    agent_id: str | None = None
    # tool calls
    call_id: str | None = None
    name: str = ""
    arguments: str = ""
    ok: bool | None = None
    output: str = ""
    duration_s: float | None = None
    # notes: "plan" | "split" | "sub" | "steer" | "waiting" | "stalled" | "finished" | "failed" | "info"
    tone: str = "info"
    number: int = 0


@dataclass
class Change:
    """What a widget must do for one folded event: append prose, add a block, or update one."""

    op: str  # "prose" | "add" | "update"
    block: Block
    text: str = ""


class Transcript:
    """A pane's transcript as blocks, at most `limit` of them (older ones drop off the screen)."""

    def __init__(self, limit: int = 80) -> None:
        self.blocks: deque[Block] = deque(maxlen=limit)
        self.dropped = 0
        self._numbers = 0
        self._tools: dict[str, Block] = {}

    def _add(self, block: Block) -> Change:
        if len(self.blocks) == self.blocks.maxlen:
            gone = self.blocks[0]
            self.dropped += 1
            if gone.call_id:
                self._tools.pop(gone.call_id, None)
        self._numbers += 1
        block.number = self._numbers
        self.blocks.append(block)
        return Change("add", block)

    def apply(self, event: Event) -> list[Change]:
        """Fold one event; the changes a widget must make to show it (notes in event_text's words)."""
        from agentdeck import events as ev
        from agentdeck.event_text import describe

        match event:
            case ev.TextDelta():
                last = self.blocks[-1] if self.blocks else None
                if last is not None and last.kind == "prose" and last.agent_id == event.agent_id:
                    last.text += event.text
                    return [Change("prose", last, event.text)]
                return [self._add(Block("prose", text=event.text, agent_id=event.agent_id))]
            case ev.ToolCallStarted():
                block = Block(
                    "tool",
                    agent_id=event.agent_id,
                    call_id=event.call_id,
                    name=event.name,
                    arguments=event.arguments,
                )
                self._tools[event.call_id] = block
                return [self._add(block)]
            case ev.ToolCallFinished():
                block = self._tools.pop(event.call_id, None)
                if block is None:
                    return []
                block.ok, block.output, block.duration_s = event.ok, event.output, event.duration_s
                return [Change("update", block)]
            case ev.PlanWritten():
                return [self._add(Block("note", text=event.plan, tone="plan"))]
            case ev.SteerReceived():  # in full, not cut to a line as describe() does
                return [self._add(Block("note", text=f"you: {event.text}", tone="steer"))]
            case ev.AgentFinished() if event.agent_id not in (None, event.task_id):
                return []  # a sub-agent's end: its SubAgentFinished is the note
        tone = _note_tone(event)
        text = describe(event) if tone is not None else None
        return [self._add(Block("note", text=text, tone=tone))] if text and tone else []

    def extend(self, events: Iterable[Event]) -> None:
        for event in events:
            self.apply(event)


def _note_tone(event: Event) -> str | None:
    """The tone of the note an event makes in a transcript (its words are describe()'s), or None."""
    from agentdeck import events as ev

    match event:
        case ev.SplitTriggered() | ev.ContextCompacted():
            return "split"
        case ev.SubAgentSpawned() | ev.SubAgentFinished():
            return "sub"
        case ev.AgentWaiting():
            return "waiting"
        case ev.TaskStateChanged() if event.state == TaskState.STALLED:
            return "stalled"
        case ev.TaskStateChanged() if (
            event.state == TaskState.RUNNING and event.previous == TaskState.STALLED
        ):
            return "info"
        case ev.ModelRetrying():
            return "info"
        case ev.AgentFinished():
            return "finished"
        case ev.AgentFailed():
            return "failed"
    return None


def merge_prose(changes: list[Change]) -> list[Change]:
    """Consecutive prose fragments of one block become one append: one Markdown update per frame."""
    merged: list[Change] = []
    for change in changes:
        last = merged[-1] if merged else None
        if change.op == "prose" and last is not None and last.op == "prose" and last.block is change.block:
            merged[-1] = Change("prose", change.block, last.text + change.text)
        else:
            merged.append(change)
    return merged
