"""What a client may ask of a session: each command declared once, with the reply it gets.

`class Merge(Command[MergeReport])` says both: the command's fields, and that its reply
is a MergeReport (agentdeck/replies.py). `Session.execute` (in-process) and
`SessionClient.execute` (over the socket) both take a command and return its reply
model, so a caller cannot tell them apart. Commands travel as JSON in one discriminated
union (on `type`); `parse_command` reads one back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agentdeck.replies import (
    CleanupReport,
    Enqueued,
    ForegroundSet,
    GcReport,
    MergeReport,
    PullRequestOpened,
    ResultDetails,
    ReviewList,
    SprintDetails,
    SprintLaunched,
    SprintList,
    SprintPlanned,
    SprintTaskDropped,
    Status,
    Stopped,
    Subscribed,
    TaskEdited,
    TaskReply,
)
from agentdeck.task_limits import MAX_ATTEMPTS, PRIORITY_LIMIT

ReplyT = TypeVar("ReplyT", bound=BaseModel)


class Command(BaseModel, Generic[ReplyT]):
    """A request to the session; `ReplyT` is the model of its reply."""

    model_config = ConfigDict(extra="forbid")

    if TYPE_CHECKING:
        # Each command fixes `type` to its own Literal (the discriminator); declared for the type
        # checker only, so that any command's type can be read without knowing its class.
        type: Any

    # Set for each concrete command from its `Command[Reply]` base (see __pydantic_init_subclass__).
    reply_type: ClassVar[type[BaseModel]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for base in cls.__mro__:
            # Each parametrised base (Command[MergeReport]) records its arguments; the unparametrised
            # generic bases record a TypeVar instead, which is not a type.
            metadata = base.__dict__.get("__pydantic_generic_metadata__")
            if metadata and metadata["args"] and isinstance(metadata["args"][0], type):
                cls.reply_type = metadata["args"][0]
                return

    def reply(self, value: BaseModel) -> ReplyT:
        """`value` as this command's reply; TypeError when the session answered with something else."""
        if not isinstance(value, self.reply_type):
            raise TypeError(
                f"a {type(self).__name__} command is answered with {self.reply_type.__name__}, not {type(value).__name__}"
            )
        return cast(ReplyT, value)

    def parse_reply(self, data: object) -> ReplyT:
        """The reply from its JSON form (what the daemon sent)."""
        return cast(ReplyT, self.reply_type.model_validate(data))


class TaskCommand(Command[ReplyT], Generic[ReplyT]):
    """A command about one task (`agent_id` is the task's id: its agent's id too)."""

    agent_id: str


class Steer(TaskCommand[TaskReply]):
    type: Literal["steer"] = "steer"
    text: str


class Interrupt(TaskCommand[TaskReply]):
    type: Literal["interrupt"] = "interrupt"


class Enqueue(Command[Enqueued]):
    type: Literal["enqueue"] = "enqueue"
    task: str = Field(min_length=1)
    priority: int = Field(default=0, ge=-PRIORITY_LIMIT, le=PRIORITY_LIMIT)
    after: str | None = None
    foreground: bool = False
    model: str | None = None
    source: Literal["cli", "inbox", "api"] = "cli"
    # Names of skills (agentdeck skills); an unknown one is refused with the list of known ones.
    skills: list[str] = Field(default_factory=list)
    # Best-of-N: run the task this many times, each in its own worktree, as one attempt group
    # (the session makes the group, so it is never left half made); `models` are spread over
    # the attempts round-robin (default: `model` for all).
    attempts: int = Field(default=1, ge=1, le=MAX_ATTEMPTS)
    models: list[str] = Field(default_factory=list)
    # A role of [roles] in agentdeck.toml; None: the executor.
    role: str | None = None
    sprint_id: str | None = None


class Cancel(TaskCommand[TaskReply]):
    type: Literal["cancel"] = "cancel"


class Resume(TaskCommand[TaskReply]):
    type: Literal["resume"] = "resume"


class Promote(TaskCommand[ForegroundSet]):
    type: Literal["promote"] = "promote"


class Demote(TaskCommand[ForegroundSet]):
    type: Literal["demote"] = "demote"


class EditTask(TaskCommand[TaskEdited]):
    """Change a queued task's priority or dependency (`after=""` removes the dependency)."""

    type: Literal["edit_task"] = "edit_task"
    priority: int | None = Field(default=None, ge=-PRIORITY_LIMIT, le=PRIORITY_LIMIT)
    after: str | None = None


class Stop(Command[Stopped]):
    type: Literal["stop"] = "stop"


class GetStatus(Command[Status]):
    """Query: every task with its state, counters and why it waits, plus the session's limits."""

    type: Literal["status"] = "status"


class Subscribe(Command[Subscribed]):
    """Stream events with seq > `from_seq` (replay, then live), optionally of one task only."""

    type: Literal["subscribe"] = "subscribe"
    from_seq: int = Field(default=0, ge=0)
    task_id: str | None = None
    # False: only the stored events, then a `replayed` marker, and the stream ends.
    follow: bool = True
    # Event `type`s to leave out (replay and live): the cockpit's main stream takes no
    # "text_delta" (thousands a second under load); each pane follows its own task instead.
    exclude: list[str] = Field(default_factory=list)


# Review commands: decisions on finished results, and the queries the review screen needs.


class Merge(Command[MergeReport]):
    """Land the tasks' branches on their base branch, in order; several make an integration pass."""

    type: Literal["merge"] = "merge"
    task_ids: list[str] = Field(min_length=1)


class Reject(TaskCommand[TaskReply]):
    type: Literal["reject"] = "reject"
    reason: str = ""


class RequestChanges(TaskCommand[TaskReply]):
    """Send the task back to its agent on the same branch, with `feedback` in its context."""

    type: Literal["request_changes"] = "request_changes"
    feedback: str = Field(min_length=1)


class Retry(TaskCommand[TaskReply]):
    """Run an ended task again on the same branch, with `feedback` when given."""

    type: Literal["retry"] = "retry"
    feedback: str | None = None


class Cleanup(Command[CleanupReport]):
    """Remove worktrees of merged and rejected tasks; unmerged commits go only with `force`."""

    type: Literal["cleanup"] = "cleanup"
    force: bool = False


class Gc(Command[GcReport]):
    """Remove worktrees of merged and rejected tasks, oldest first; every branch and ref stays."""

    type: Literal["gc"] = "gc"
    dry_run: bool = False


class CreatePullRequest(TaskCommand[PullRequestOpened]):
    """Push the task's branch and open a pull request with `gh`."""

    type: Literal["pull_request"] = "pull_request"


class GetReview(Command[ReviewList]):
    """Query: every result, ranked, with verdict, tests, size and flags, and the night's summary."""

    type: Literal["review"] = "review"


class GetResult(TaskCommand[ResultDetails]):
    """Query: one result in full: task, plan, verdict and findings, tests, stats and the diff."""

    type: Literal["result"] = "result"


class PlanSprint(Command[SprintPlanned]):
    """Ask the planner for a sprint plan of `feature`; nothing is stored or started."""

    type: Literal["plan_sprint"] = "plan_sprint"
    feature: str
    roles: list[str] = Field(default_factory=list)
    max_agents: int = Field(default=4, ge=2, le=32)
    model: str | None = None


class StartSprint(Command[SprintLaunched]):
    """Start a sprint from `plan` (what PlanSprint returned, edited or not): contracts, then its tasks."""

    type: Literal["start_sprint"] = "start_sprint"
    plan: dict[str, Any]
    roles: list[str] = Field(default_factory=list)
    max_agents: int = Field(default=4, ge=2, le=32)
    model: str | None = None


class GetSprint(Command[SprintDetails]):
    """Query: one sprint in full, with its plan, its role tasks and its integration."""

    type: Literal["sprint"] = "sprint"
    sprint_id: str


class ListSprints(Command[SprintList]):
    """Query: every sprint, in full."""

    type: Literal["sprints"] = "sprints"


class DropSprintTask(Command[SprintTaskDropped]):
    """Take a (failed) role task out of its sprint: its dependants and the integration stop waiting for it."""

    type: Literal["drop_sprint_task"] = "drop_sprint_task"
    task_id: str


AnyCommand = Annotated[
    Enqueue
    | Steer
    | Interrupt
    | Cancel
    | Resume
    | Promote
    | Demote
    | EditTask
    | Stop
    | GetStatus
    | Subscribe
    | Merge
    | Reject
    | RequestChanges
    | Retry
    | Cleanup
    | CreatePullRequest
    | GetReview
    | GetResult
    | Gc
    | PlanSprint
    | StartSprint
    | GetSprint
    | ListSprints
    | DropSprintTask,
    Field(discriminator="type"),
]

_command_adapter: TypeAdapter[AnyCommand] = TypeAdapter(AnyCommand)


def parse_command(data: str | bytes | dict[str, Any]) -> Command[Any]:
    """Parse one command from JSON (or an already-decoded dict)."""
    if isinstance(data, dict):
        return _command_adapter.validate_python(data)
    return _command_adapter.validate_json(data)
