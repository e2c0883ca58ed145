"""The event and command vocabulary: every state change is an event, every action a command.

Events are pydantic models in one discriminated union (on `type`), so any consumer (the
CLI, the TUI, a client over the socket) can parse a JSON line back into the right class
with `parse_event`. `seq` is stamped by the bus that publishes the event: monotonic per
session, so a late client can replay from any point.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class Event(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(extra="forbid")

    seq: int = 0
    ts: float = Field(default_factory=time.time)
    agent_id: str | None = None
    task_id: str | None = None


class AgentStarted(Event):
    """An agent began work on a task in its own worktree."""

    type: Literal["agent_started"] = "agent_started"
    task: str
    model: str
    demo: bool = False
    branch: str
    worktree: str
    base_commit: str


class TextDelta(Event):
    """A fragment of the assistant's streamed prose."""

    type: Literal["text_delta"] = "text_delta"
    text: str


class ToolCallStarted(Event):
    type: Literal["tool_call_started"] = "tool_call_started"
    call_id: str
    name: str
    arguments: str


class ToolCallFinished(Event):
    """A tool call ended; `output` is what the model sees (already capped)."""

    type: Literal["tool_call_finished"] = "tool_call_finished"
    call_id: str
    name: str
    ok: bool
    output: str
    duration_s: float


class TurnFinished(Event):
    """One LLM turn ended: its usage and the agent's running totals."""

    type: Literal["turn_finished"] = "turn_finished"
    step: int
    prompt_tokens: int
    completion_tokens: int
    usage_estimated: bool = False
    cost_usd: float | None = None
    total_cost_usd: float = 0.0


class ContextUsage(Event):
    """How full the agent's context window is: `fraction = used / limit`."""

    type: Literal["context_usage"] = "context_usage"
    used: int
    limit: int
    fraction: float


class Checkpointed(Event):
    """A step changed files, and the change was committed on the agent's branch."""

    type: Literal["checkpointed"] = "checkpointed"
    commit: str
    message: str
    files_changed: int
    insertions: int
    deletions: int


class SteerReceived(Event):
    """A user message was queued for the agent's next turn."""

    type: Literal["steer_received"] = "steer_received"
    text: str


class AgentWaiting(Event):
    """The agent needs a human: it was interrupted, or it stopped without finishing."""

    type: Literal["agent_waiting"] = "agent_waiting"
    reason: str


class AgentFinished(Event):
    type: Literal["agent_finished"] = "agent_finished"
    summary: str
    steps: int
    total_cost_usd: float
    files_changed: int
    insertions: int
    deletions: int


class AgentFailed(Event):
    """The agent stopped without finishing. `kind` tells a budget stop from an error."""

    type: Literal["agent_failed"] = "agent_failed"
    error: str
    kind: Literal["error", "budget", "model"] = "error"


class PlanWritten(Event):
    """The planner model wrote a plan that the executor will carry out."""

    type: Literal["plan_written"] = "plan_written"
    plan: str
    model: str


class Brief(BaseModel):
    """One scoped piece of remaining work, handed to a sub-agent."""

    model_config = ConfigDict(extra="forbid")

    goal: str
    files: list[str] = Field(default_factory=list)
    acceptance: str = ""


class SplitTriggered(Event):
    """The context reached the split threshold: the agent handed the rest of its work to sub-agents."""

    type: Literal["split_triggered"] = "split_triggered"
    fraction: float
    threshold: float
    depth: int
    done: str
    remaining: str
    briefs: list[Brief]


class SubAgentSpawned(Event):
    """A sub-agent started on one brief with fresh context; `agent_id` is the parent's."""

    type: Literal["sub_agent_spawned"] = "sub_agent_spawned"
    sub_agent_id: str
    index: int
    of: int
    depth: int
    goal: str
    parent_fraction: float
    first_fraction: float


class SubAgentFinished(Event):
    """A sub-agent ended; its summary went back to the parent."""

    type: Literal["sub_agent_finished"] = "sub_agent_finished"
    sub_agent_id: str
    status: Literal["finished", "failed", "interrupted"]
    summary: str
    steps: int
    final_fraction: float
    cost_usd: float = 0.0


class ContextCompacted(Event):
    """After its sub-agents ended, the parent went on from handoff + summaries only."""

    type: Literal["context_compacted"] = "context_compacted"
    before_fraction: float
    after_fraction: float


# Session events (issue 4) go below this line.

TaskState = Literal["queued", "running", "waiting", "finished", "failed", "cancelled", "interrupted", "merged"]


class TaskQueued(Event):
    """A task entered the session's queue (from the CLI, the inbox, or a resume)."""

    type: Literal["task_queued"] = "task_queued"
    task: str
    priority: int = 0
    after: str | None = None
    foreground: bool = False
    model: str | None = None
    source: Literal["cli", "inbox", "api"] = "cli"


class TaskStateChanged(Event):
    """A task moved to another state; `reason` says why in words a person can act on."""

    type: Literal["task_state_changed"] = "task_state_changed"
    state: TaskState
    previous: TaskState | None = None
    reason: str = ""


class TaskForegroundChanged(Event):
    """A task was promoted to a foreground slot or demoted to the background (never restarted)."""

    type: Literal["task_foreground_changed"] = "task_foreground_changed"
    foreground: bool


class InboxRejected(Event):
    """A file dropped into the inbox could not be queued; it was moved aside with a .error note."""

    type: Literal["inbox_rejected"] = "inbox_rejected"
    path: str
    moved_to: str
    reason: str


class SessionStarted(Event):
    """The session daemon started; `interrupted` lists the tasks it found cut off by a crash."""

    type: Literal["session_started"] = "session_started"
    pid: int
    interrupted: list[str] = Field(default_factory=list)


class SessionStopping(Event):
    """The session daemon was asked to stop: agents checkpoint, then it exits."""

    type: Literal["session_stopping"] = "session_stopping"
    reason: str = ""


AnyEvent = Annotated[
    Union[
        AgentStarted,
        TextDelta,
        ToolCallStarted,
        ToolCallFinished,
        TurnFinished,
        ContextUsage,
        Checkpointed,
        SteerReceived,
        AgentWaiting,
        AgentFinished,
        AgentFailed,
        PlanWritten,
        SplitTriggered,
        SubAgentSpawned,
        SubAgentFinished,
        ContextCompacted,
        # session events (issue 4) below
        TaskQueued,
        TaskStateChanged,
        TaskForegroundChanged,
        InboxRejected,
        SessionStarted,
        SessionStopping,
    ],
    Field(discriminator="type"),
]

_event_adapter: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


def parse_event(data: str | bytes | dict) -> Event:
    """Parse one event from a JSON line (or an already-decoded dict)."""
    if isinstance(data, dict):
        return _event_adapter.validate_python(data)
    return _event_adapter.validate_json(data)


# Commands: what a UI or CLI may ask of an agent. Served in-process today; over the
# session socket once the daemon exists.


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str


class Steer(Command):
    type: Literal["steer"] = "steer"
    text: str


class Interrupt(Command):
    type: Literal["interrupt"] = "interrupt"


# Session commands (issue 4): what a client asks of the session, over the socket or in-process.


class SessionCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Enqueue(SessionCommand):
    type: Literal["enqueue"] = "enqueue"
    task: str = Field(min_length=1)
    priority: int = 0
    after: str | None = None
    foreground: bool = False
    model: str | None = None
    source: Literal["cli", "inbox", "api"] = "cli"


class Cancel(Command):
    type: Literal["cancel"] = "cancel"


class Resume(Command):
    type: Literal["resume"] = "resume"


class Promote(Command):
    type: Literal["promote"] = "promote"


class Demote(Command):
    type: Literal["demote"] = "demote"


class EditTask(Command):
    """Change a queued task's priority or dependency (`after=""` removes the dependency)."""

    type: Literal["edit_task"] = "edit_task"
    priority: int | None = None
    after: str | None = None


class Stop(SessionCommand):
    type: Literal["stop"] = "stop"


class GetStatus(SessionCommand):
    """Query: every task with its state, counters and why it waits, plus the session's limits."""

    type: Literal["status"] = "status"


class Subscribe(SessionCommand):
    """Stream events with seq > `from_seq` (replay, then live), optionally of one task only."""

    type: Literal["subscribe"] = "subscribe"
    from_seq: int = Field(0, ge=0)
    task_id: str | None = None
    # False: only the stored events, then a `replayed` marker, and the stream ends.
    follow: bool = True


AnyCommand = Annotated[
    Union[Enqueue, Steer, Interrupt, Cancel, Resume, Promote, Demote, EditTask, Stop, GetStatus, Subscribe],
    Field(discriminator="type"),
]

_command_adapter: TypeAdapter[AnyCommand] = TypeAdapter(AnyCommand)


def parse_command(data: str | bytes | dict) -> SessionCommand | Command:
    """Parse one command from JSON (or an already-decoded dict)."""
    if isinstance(data, dict):
        return _command_adapter.validate_python(data)
    return _command_adapter.validate_json(data)
