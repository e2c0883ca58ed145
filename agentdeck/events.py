"""The event vocabulary: every state change is an event (the commands are in api.py).

Events are pydantic models in one discriminated union (on `type`), so any consumer (the
CLI, the TUI, a client over the socket) can parse a JSON line back into the right class
with `parse_event`. `seq` is stamped by the bus that publishes the event: monotonic per
session, so a late client can replay from any point.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agentdeck.task_state import TaskState


class Event(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(extra="forbid")

    if TYPE_CHECKING:
        # Each event class fixes `type` to its own Literal (the discriminator); declared for the type
        # checker only, so that any event's type can be read without knowing its class.
        type: Any
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
    # How its `run` commands are confined: "sandbox: bwrap, network off" or "unconfined: <why>".
    # Events stored before the sandbox existed load as "" (unknown).
    sandbox: str = ""
    # The task's role of [roles] in agentdeck.toml; None: the executor.
    role: str | None = None
    # The conventions file in the agent's system prompt (AGENTS.md, ...); None: the project has none.
    conventions: str | None = None
    # The budgets the agent was given (None in events stored before they were recorded).
    max_steps: int | None = None
    max_cost_usd: float | None = None
    max_wall_seconds: float | None = None


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


class ModelRetrying(Event):
    """A model call failed in a way a retry can help (429, 5xx, timeout); the client tries again after `delay_s`."""

    type: Literal["model_retrying"] = "model_retrying"
    # The attempt that failed (1: the first call); `max_retries` more may follow the first.
    attempt: int
    max_retries: int
    # What keeps failing, as in "retrying after rate limits (429)".
    cause: str
    # The provider's own words, one line.
    error: str
    delay_s: float


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


# Session events go below this line; a task's states are agentdeck.task_state.TaskState.


class TaskQueued(Event):
    """A task entered the session's queue (from the CLI, the inbox, or a resume)."""

    type: Literal["task_queued"] = "task_queued"
    task: str
    priority: int = 0
    after: str | None = None
    foreground: bool = False
    model: str | None = None
    source: Literal["cli", "inbox", "api"] = "cli"
    # Skills the task names: the agent is told to load them (see agentdeck/skills).
    skills: list[str] = Field(default_factory=list)
    # Best-of-N: the tasks of one `queue add --attempts N` share a group; `attempt` is 1..N.
    attempt_group: str | None = None
    attempt: int | None = None
    # A role of [roles] in agentdeck.toml; None: the executor.
    role: str | None = None
    sprint_id: str | None = None
    # Task ids it waits for (a sprint's role tasks), beside `after`.
    depends_on: list[str] = Field(default_factory=list)


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
    # What crash recovery did at this start (e.g. a merge cut in half, finished), one line each.
    recovered: list[str] = Field(default_factory=list)
    # How agents' `run` commands are confined this session (AgentStarted.sandbox, per task, wins).
    sandbox: str = ""


class SessionStopping(Event):
    """The session daemon was asked to stop: agents checkpoint, then it exits."""

    type: Literal["session_stopping"] = "session_stopping"
    reason: str = ""


# Verification and review events go below this line.


TestsStatus = Literal["passed", "failed", "timeout", "error", "not_configured", "skipped"]


class TestsResult(BaseModel):
    """The project's test command run in a task's worktree (`status` says whether it ran at all)."""

    __test__: ClassVar[bool] = False  # not a pytest test class
    model_config = ConfigDict(extra="forbid")

    status: TestsStatus
    command: str | None = None
    exit_code: int | None = None
    duration_s: float = 0.0
    # Counts, when the runner printed a summary we recognise (pytest, unittest, jest, go, cargo).
    passed: int | None = None
    failed: int | None = None
    errors: int | None = None
    skipped: int | None = None
    # One line: "12 passed, 1 failed in 3.2 s", or why the tests did not run.
    message: str = ""
    output_tail: str = ""
    # Untracked files the test run left in the worktree, removed so they are never committed.
    removed: list[str] = Field(default_factory=list)


Severity = Literal["info", "minor", "major", "blocker"]


class Finding(BaseModel):
    """One remark of the judge, at a file and line where it has one."""

    model_config = ConfigDict(extra="forbid")

    file: str | None = None
    line: int | None = None
    severity: Severity = "minor"
    message: str


VerdictKind = Literal["approve", "request_changes", "reject", "judge_failed", "skipped"]


class Verdict(BaseModel):
    """The judge's verdict; `judge_failed` (with `reason`) when its reply could not be used."""

    model_config = ConfigDict(extra="forbid")

    kind: VerdictKind
    summary: str = ""
    findings: list[Finding] = Field(default_factory=list[Finding])
    model: str | None = None
    reason: str = ""
    # Set when the judge is of the executor's model family: it tends to approve its own work.
    same_family_warning: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


CheckName = Literal["size", "task_types", "scope"]


class Check(BaseModel):
    """A check computed without a model: `ok` False raises a flag with `message`."""

    model_config = ConfigDict(extra="forbid")

    name: CheckName
    ok: bool
    message: str


class ChangeStats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0

    @property
    def lines(self) -> int:
        return self.insertions + self.deletions


class VerificationStarted(Event):
    """The agent finished: its tests, the checks and the judge run now."""

    type: Literal["verification_started"] = "verification_started"
    test_command: str | None = None
    judge_model: str | None = None


class TestsFinished(Event):
    __test__: ClassVar[bool] = False

    type: Literal["tests_finished"] = "tests_finished"
    tests: TestsResult


class VerificationFinished(Event):
    """Tests, checks and the judge's verdict of one result; `flags` are what needs your eye."""

    type: Literal["verification_finished"] = "verification_finished"
    tests: TestsResult
    verdict: Verdict
    checks: list[Check] = Field(default_factory=list[Check])
    stats: ChangeStats = Field(default_factory=ChangeStats)
    flags: list[str] = Field(default_factory=list)


class Merged(Event):
    """The task's branch landed on `into` (`together` lists the other tasks of an integration pass)."""

    type: Literal["merged"] = "merged"
    into: str
    commit: str
    method: Literal["fast-forward", "merge commit", "already merged"]
    together: list[str] = Field(default_factory=list)


class Rejected(Event):
    """You turned the result down; its branch is kept until `agentdeck cleanup`."""

    type: Literal["rejected"] = "rejected"
    reason: str = ""


class ChangesRequested(Event):
    """The task goes back to its agent, on the same branch, with your feedback in its context."""

    type: Literal["changes_requested"] = "changes_requested"
    feedback: str


class CleanedUp(Event):
    """`agentdeck cleanup` removed a merged or rejected task's worktree (and its branch, when safe or forced)."""

    type: Literal["cleaned_up"] = "cleaned_up"
    worktree_removed: bool
    branch_deleted: bool
    # Commits that were on no other branch and went with it (only ever with --force).
    commits_dropped: int = 0
    # What the worktree took on disk, and who removed it: "cleanup", "gc", or "budget" (automatic gc).
    bytes_freed: int = 0
    by: Literal["cleanup", "gc", "budget"] = "cleanup"


class DiskUsageChanged(Event):
    """The task worktrees' disk use moved, or new background starts were paused or resumed over it."""

    type: Literal["disk_usage"] = "disk_usage"
    total_bytes: int
    budget_bytes: int | None = None
    # Why new background starts are paused (over session.max_worktree_gb), or None.
    paused: str | None = None


class StoreFullChanged(Event):
    """The session store hit a full disk (`full`: agents stopped, nothing new starts), or space is back."""

    type: Literal["store_full"] = "store_full"
    full: bool
    reason: str


class RankedAttempt(BaseModel):
    """One attempt in the judge's order, with the judge's one reason for its place."""

    model_config = ConfigDict(extra="forbid")

    task_id: str
    reason: str


class AttemptRanking(BaseModel):
    """The attempts of one group, best first: the judge's order, or by test results when it failed."""

    model_config = ConfigDict(extra="forbid")

    attempt_group: str
    order: list[RankedAttempt]
    judge_model: str | None = None
    # Why the order is not the judge's (its reply was unusable twice, or there was nothing to
    # compare): then attempts are ordered by their test results. "" when the judge ranked them.
    fallback: str = ""
    # Set when the judge is of an attempt's model family: it tends to prefer its own kind of work.
    same_family_warning: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def pick(self) -> str | None:
        return self.order[0].task_id if self.order else None


class AttemptsRanked(Event):
    """Every attempt of a group ended: the judge compared them side by side and ranked them."""

    type: Literal["attempts_ranked"] = "attempts_ranked"
    ranking: AttemptRanking


class PullRequestCreated(Event):
    type: Literal["pull_request_created"] = "pull_request_created"
    url: str
    branch: str


class SprintStarted(Event):
    """A sprint's plan was confirmed and its contracts committed; its tasks are queued (task_id: the sprint)."""

    type: Literal["sprint_started"] = "sprint_started"
    sprint_id: str
    feature: str
    tasks: list[str] = Field(default_factory=list)
    contracts_commit: str


class ConflictResolved(Event):
    """The integration agent resolved a conflict between two parts of a sprint, in one commit."""

    type: Literal["conflict_resolved"] = "conflict_resolved"
    sprint_id: str
    path: str
    between: list[str]
    why: str
    commit: str


AnyEvent = Annotated[
    Union[  # noqa: UP007 - one member per line reads better than 30 `|`s
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
        ModelRetrying,
        PlanWritten,
        SplitTriggered,
        SubAgentSpawned,
        SubAgentFinished,
        ContextCompacted,
        # session events below
        TaskQueued,
        TaskStateChanged,
        TaskForegroundChanged,
        InboxRejected,
        SessionStarted,
        SessionStopping,
        # verification and review events below
        VerificationStarted,
        TestsFinished,
        VerificationFinished,
        Merged,
        Rejected,
        ChangesRequested,
        CleanedUp,
        PullRequestCreated,
        AttemptsRanked,
        DiskUsageChanged,
        StoreFullChanged,
        SprintStarted,
        ConflictResolved,
    ],
    Field(discriminator="type"),
]

_event_adapter: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


def parse_event(data: str | bytes | dict[str, Any]) -> Event:
    """Parse one event from a JSON line (or an already-decoded dict)."""
    if isinstance(data, dict):
        return _event_adapter.validate_python(data)
    return _event_adapter.validate_json(data)
