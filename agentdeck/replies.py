"""What a session answers: one pydantic model per command's reply (see agentdeck/api.py).

Each command declares its reply type, so the same model comes back in-process (Session)
and over the socket (SessionClient parses the reply's JSON into it). Nothing here reaches
into the runtime: these are the vocabulary, like events.py.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentdeck.events import ChangeStats, Check, TestsResult, Verdict, VerdictKind
from agentdeck.sprints.plan import SprintPlan
from agentdeck.task_state import TaskState

# Lists and dicts default to `[]` and `{}`: pydantic copies a mutable default for each instance.

# -- tasks: the queue, steering, the session ------------------------------------------


class TaskReply(BaseModel):
    """The reply to a command about one task: which task, and (when it changed) its state now."""

    task_id: str
    state: TaskState | None = None


class AttemptPlaced(BaseModel):
    task_id: str
    model: str | None = None


class Enqueued(BaseModel):
    """The reply to Enqueue: the (first) task's id and state; a best-of-N group's id and attempts."""

    task_id: str
    state: TaskState
    attempt_group: str | None = None
    attempts: list[AttemptPlaced] = []


class ForegroundSet(BaseModel):
    """The reply to Promote and Demote."""

    task_id: str
    foreground: bool


class TaskEdited(BaseModel):
    """The reply to EditTask: the queued task's priority and dependency as they are now."""

    task_id: str
    priority: int
    after_id: str | None = None


class Stopped(BaseModel):
    stopped: bool = True


class Subscribed(BaseModel):
    """The reply to Subscribe: the replay goes up to `last_seq`, live events follow."""

    last_seq: int


class TaskStatus(BaseModel):
    """One task as `status` shows it: its stored fields that matter to a person, and why it waits."""

    model_config = ConfigDict(extra="ignore")

    id: str
    task: str
    state: TaskState
    priority: int = 0
    after_id: str | None = None
    depends_on: list[str] | None = None
    foreground: bool = False
    model: str | None = None
    role: str | None = None
    source: str = "cli"
    skills: list[str] = []
    created: float = 0.0
    updated: float = 0.0
    started: float | None = None
    ended: float | None = None
    branch: str | None = None
    worktree: str | None = None
    summary: str | None = None
    error: str | None = None
    reason: str | None = None
    steps: int = 0
    cost_usd: float = 0.0
    tokens: int = 0
    context_fraction: float | None = None
    attempt_group: str | None = None
    attempt: int | None = None
    sprint_id: str | None = None
    base_branch: str | None = None
    base_commit: str | None = None
    # What you decided, and how it landed: the stored DecisionRecord (runtime/task_records.py).
    decision: dict[str, Any] | None = None
    cleaned: float | None = None
    # The last verification in words: the judge's verdict and the tests' status.
    verdict: VerdictKind | None = None
    tests: str | None = None  # TestsResult.status
    age_s: float = 0.0
    # Why a queued task has not started (a slot, a dependency, a budget, the disk).
    waiting_reason: str | None = None
    disk_bytes: int | None = None


class DiskStatus(BaseModel):
    """The worktrees' disk use against `session.max_worktree_gb`, and why new work waits, if it does."""

    model_config = ConfigDict(extra="ignore")

    total_bytes: int | None = None
    other_bytes: int | None = None
    files: int | None = None
    measured_at: float | None = None
    elapsed_ms: float | None = None
    budget_bytes: int | None = None
    paused: str | None = None


class SprintSummary(BaseModel):
    sprint_id: str
    feature: str
    state: str


class Status(BaseModel):
    """The reply to GetStatus: every task, the session's limits, its disk, its sandbox."""

    pid: int
    last_seq: int
    foreground_slots: int
    background_concurrency: int
    budget_reached: str | None = None
    disk: DiskStatus = Field(default_factory=DiskStatus)
    store_full: str | None = None
    sandbox: str = ""
    sandbox_confined: bool = False
    tasks: list[TaskStatus] = []
    sprints: list[SprintSummary] = []


class PullRequestOpened(BaseModel):
    task_id: str
    url: str


# -- review: the ranked list, one result in full ---------------------------------------


Bucket = Literal[
    "ready", "approved, untested", "needs a look", "failing", "agent failed", "verifying", "decided"
]
BUCKETS: tuple[str, ...] = (
    "ready",
    "approved, untested",
    "needs a look",
    "failing",
    "agent failed",
    "verifying",
    "decided",
)


class AttemptEntry(BaseModel):
    """One attempt of a best-of-N group, as its group's entry lists it."""

    task_id: str
    attempt: int | None = None
    model: str | None = None
    state: str
    needs_decision: bool = False
    # Its place in the judge's order (1: the pick), None before the group is ranked.
    rank: int | None = None
    reason: str = ""
    verdict: VerdictKind | None = None
    tests: str | None = None  # TestsResult.status
    tests_message: str = ""
    insertions: int = 0
    deletions: int = 0
    decision: str | None = None


class ReviewItem(BaseModel):
    """One result in the ranked list (a best-of-N group is one item: its lead attempt, `attempts` all of them)."""

    task_id: str
    task: str
    state: TaskState
    needs_decision: bool
    bucket: Bucket
    verdict: VerdictKind | None = None
    verdict_summary: str = ""
    tests: str | None = None  # TestsResult.status
    tests_message: str = ""
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0
    flags: list[str] = []
    branch: str | None = None
    base_branch: str | None = None
    model: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    ended: float | None = None
    decision: str | None = None  # "merged" | "rejected"
    error: str | None = None
    attempt_group: str | None = None
    # Best-of-N: every attempt, in the judge's order (the pick first), else by attempt number.
    attempts: list[AttemptEntry] = []
    # How the order came about when it is not the judge's: not ranked yet, or by test results and why.
    ranking_note: str = ""
    # The judge is of an attempt's model family (it tends to prefer its own kind of work).
    ranking_warning: str = ""


class NightSummary(BaseModel):
    """How the session went, in counts: `line()` is the one-line version."""

    done: int = 0
    approved: int = 0
    changes_requested: int = 0
    rejected_by_judge: int = 0
    judge_failed: int = 0
    tests_failing: int = 0
    failed: int = 0
    verifying: int = 0
    to_review: int = 0
    merged: int = 0
    rejected: int = 0
    tokens: int = 0
    cost_usd: float = 0.0

    def line(self) -> str:
        parts = [f"{self.done} done", f"{self.approved} approved"]
        for count, words in (
            (self.changes_requested, "changes requested by the judge"),
            (self.rejected_by_judge, "rejected by the judge"),
            (self.judge_failed, "judge failed"),
            (self.tests_failing, "with failing tests"),
        ):
            if count:
                parts.append(f"{count} {words}")
        parts.append(f"{self.failed} failed")
        for count, words in (
            (self.verifying, "verifying"),
            (self.merged, "merged"),
            (self.rejected, "rejected"),
        ):
            if count:
                parts.append(f"{count} {words}")
        parts.append(f"{self.to_review} to review")
        parts += [f"{self.tokens:,} tokens", f"${self.cost_usd:.2f}"]
        return " · ".join(parts)


class ReviewList(BaseModel):
    """Every result, ranked (those that need a decision first), and the summary line."""

    results: list[ReviewItem]
    summary: NightSummary


class FileStat(BaseModel):
    path: str
    status: str
    insertions: int
    deletions: int
    binary: bool = False


class FeedbackEntry(BaseModel):
    text: str
    ts: float
    delivered: bool = False


class ResultDetails(BaseModel):
    """One result in full, for the review screen: everything needed to decide."""

    item: ReviewItem
    task: str
    plan: str | None = None
    summary: str | None = None  # the agent's own summary
    verdict: Verdict | None = None
    tests: TestsResult | None = None
    checks: list[Check] = []
    stats: ChangeStats = Field(default_factory=ChangeStats)
    files: list[FileStat] = []
    diff: str = ""
    diff_cut: bool = False
    diff_total_chars: int = 0
    # Why there is no diff to show (branch deleted by cleanup, agent never started).
    diff_unavailable: str = ""
    feedback: list[FeedbackEntry] = []
    branch: str | None = None
    worktree: str | None = None
    base_commit: str | None = None
    decision: dict[str, Any] | None = None
    # How the agent's commands ran: "sandbox: bwrap, network off", "unconfined: <why>", "" unknown.
    sandbox: str = ""
    # Best-of-N: the group this attempt belongs to, as one item with every attempt ranked.
    group: ReviewItem | None = None
    # A sprint's result: its roles' parts, the conflicts resolved, the contracts (see sprint_runs.describe).
    sprint: SprintDetails | None = None


# -- decisions -------------------------------------------------------------------------


class ConflictInfo(BaseModel):
    path: str
    between: list[str]
    kind: str


class MergeStepInfo(BaseModel):
    task_id: str
    branch: str
    method: str


class MergeReport(BaseModel):
    """The reply to Merge: `merged` False means nothing was written, and `reason` says why."""

    merged: bool
    target: str
    commit: str | None = None
    steps: list[MergeStepInfo] = []
    conflicts: list[ConflictInfo] = []
    pair_conflicts: list[ConflictInfo] = []
    tests: TestsResult | None = None
    checkout: str | None = None
    reason: str = ""
    # Best-of-N: the other attempts of the merged ones' groups, rejected (or cancelled) in the same step.
    rejected: list[str] = []


class CleanupEntry(BaseModel):
    task_id: str
    state: TaskState
    worktree_removed: bool
    branch_deleted: bool
    dropped: int = 0
    unmerged: list[str] = []
    kept: str = ""
    bytes_freed: int = 0
    # A ref made for commits only the worktree's HEAD reached (it was off its branch).
    kept_ref: str | None = None


class CleanupReport(BaseModel):
    force: bool
    results: list[CleanupEntry] = []
    integration_leftovers: list[str] = []


class GcEntry(BaseModel):
    """One decided task's worktree: what it took, and whether it went (or, in a dry run, would go)."""

    task_id: str
    state: str
    decided: float | None = None  # when it was merged or rejected (Unix time)
    bytes: int = 0  # measured before
    freed_bytes: int = 0
    removed: bool = False
    kept: str = ""  # why it stayed (uncommitted changes, ...)
    kept_ref: str | None = None
    branch: str | None = None  # kept, always


class GcReport(BaseModel):
    """The reply to Gc: per task, oldest decision first, and the totals."""

    dry_run: bool
    results: list[GcEntry] = []
    freed_bytes: int = 0  # in a dry run: what would be freed
    total_bytes_before: int = 0
    total_bytes_after: int | None = None
    budget_bytes: int | None = None
    paused: str | None = None


# -- sprints ---------------------------------------------------------------------------


class SprintPart(BaseModel):
    """One role task of a sprint, as its plan names it and as it stands."""

    task_id: str
    plan_id: str
    role: str
    depends_on: list[str] = []
    files: list[str] = []
    state: str  # a TaskState, or "dropped"
    summary: str | None = None
    stats: ChangeStats | None = None
    branch: str | None = None


class SprintIntegration(BaseModel):
    """The sprint's integration task: its state, the merge steps, the conflicts it resolved."""

    task_id: str
    state: TaskState | None = None
    branch: str | None = None
    # Stored documents of the integration (see sprints/integration.py): shown, not interpreted.
    steps: list[dict[str, Any]] = []
    resolutions: list[dict[str, Any]] = []
    unresolved: Any = None


class SprintDetails(BaseModel):
    """The reply to GetSprint: one sprint in full, as status, review and `agentdeck sprint show` present it."""

    sprint_id: str
    feature: str
    state: str
    reason: str = ""
    created: float = 0.0
    contracts_path: str | None = None
    contracts_commit: str | None = None
    contracts: Any = None
    # The plan as stored (what PlanSprint returned, edited or not).
    plan: dict[str, Any] | None = None
    tasks: list[SprintPart] = []
    messages: list[dict[str, Any]] = []
    artifacts: dict[str, Any] = {}
    integration: SprintIntegration


class SprintList(BaseModel):
    """The reply to ListSprints."""

    sprints: list[SprintDetails] = []


class SprintPlanned(BaseModel):
    """The reply to PlanSprint: the planner's plan and the same as a table for a person."""

    plan: SprintPlan
    table: str


class SprintLaunched(BaseModel):
    """The reply to StartSprint: the sprint's id, its role tasks' ids (by plan id), the contracts commit."""

    sprint_id: str
    tasks: dict[str, str]
    contracts_commit: str | None = None
    contracts_branch: str | None = None
    plan: SprintPlan


class SprintTaskDropped(BaseModel):
    task_id: str
    sprint_id: str | None = None
    dropped: bool = True
