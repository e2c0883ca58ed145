"""The session: one per repository. It owns the store, the bus, the queue and the running agents.

Every change goes through `publish`, which appends the event to the store (giving it its
seq) before any subscriber sees it. Agents run as asyncio tasks in this process; the
scheduler (pure) decides which queued task starts, whenever something changes and on a
slow tick (to notice branches you merged by hand).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentdeck.agent.tools.sandbox import sandbox_policy
from agentdeck.api import (
    Cancel,
    Cleanup,
    Command,
    CreatePullRequest,
    Demote,
    DropSprintTask,
    EditTask,
    Enqueue,
    Gc,
    GetResult,
    GetReview,
    GetSprint,
    GetStatus,
    Interrupt,
    ListSprints,
    Merge,
    PlanSprint,
    Promote,
    Reject,
    RequestChanges,
    Resume,
    Retry,
    StartSprint,
    Steer,
    Stop,
)
from agentdeck.config import ModelRole, Settings, UnknownRole
from agentdeck.events import (
    AgentStarted,
    AgentWaiting,
    ContextUsage,
    Event,
    PlanWritten,
    SessionStarted,
    SessionStopping,
    SteerReceived,
    TaskForegroundChanged,
    TaskQueued,
    TurnFinished,
    VerificationFinished,
)
from agentdeck.replies import (
    AttemptPlaced,
    Enqueued,
    ForegroundSet,
    SprintSummary,
    Status,
    Stopped,
    TaskEdited,
    TaskReply,
    TaskStatus,
)
from agentdeck.runtime.attempts import Attempts, attempt_note
from agentdeck.runtime.bus import EventBus
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.decisions import Decisions
from agentdeck.runtime.disk_meter import STATUS_MAX_AGE_S, DiskMeter
from agentdeck.runtime.full_disk import FullDisk
from agentdeck.runtime.resume import resume_note
from agentdeck.runtime.scheduler import (
    Limits,
    SchedulingError,
    budget_reached,
    check_dependency,
    check_promote,
    decide,
)
from agentdeck.runtime.session_api import ReplyT, SessionAPI
from agentdeck.runtime.sprint_runs import Sprints
from agentdeck.runtime.stalls import StallWatch
from agentdeck.runtime.store import Store, StoreFull, TaskRow
from agentdeck.runtime.task_records import (
    MergedDecision,
    check_record,
    stats_record,
    tests_record,
    verdict_record,
)
from agentdeck.runtime.task_table import TaskTable
from agentdeck.runtime.verification import Subject, Verifier, verified_reason
from agentdeck.task_state import TaskState
from agentdeck.workspace.merging import merged_into_head

if TYPE_CHECKING:
    from agentdeck.agent.loop import Agent  # the loop is imported when the first agent starts

TICK_SECONDS = 1.0


def stall_note(reason: str) -> str:
    """What a stalled agent resumed by the user is told, so it does not do the same again."""
    return (
        f"Your last step was stopped because it made no progress: {reason}. Carry on with the task; "
        "avoid commands that wait for input or never end (give them a timeout)."
    )


STOP_TIMEOUT_SECONDS = 30.0
# A subscriber that falls this far behind is cut off (it can reattach from its last seq).
MAX_SUBSCRIBER_BACKLOG = 200_000


class Subscription:
    """Replay of stored events up to `high`, then live events after it: no gap, no duplicate."""

    def __init__(
        self, session: Session, from_seq: int, task_id: str | None, exclude: Iterable[str] = ()
    ) -> None:
        self.task_id = task_id
        self.exclude = frozenset(exclude)
        self.from_seq = from_seq
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.overflowed = False
        # Registering and reading last_seq with no await between them is what makes the seam exact.
        self._unsubscribe = session.bus.subscribe(self._on_event)
        self.high = session.store.last_seq
        self._store = session.store

    def _on_event(self, event: Event) -> None:
        if self.task_id is not None and event.task_id != self.task_id:
            return
        if event.type in self.exclude:
            return
        if self.queue.qsize() >= MAX_SUBSCRIBER_BACKLOG:
            self.overflowed = True
            return
        self.queue.put_nowait(event)

    def replay(self, batch: int = 1000):
        events = self._store.events(self.from_seq, upto=self.high, task_id=self.task_id, batch=batch)
        if not self.exclude:
            return events
        return (event for event in events if event.type not in self.exclude)

    def close(self) -> None:
        try:
            self._unsubscribe()
        except ValueError:
            pass


class Session(SessionAPI):
    """The session of one repository, driven through `execute` (see SessionAPI for helpers)."""

    def __init__(self, repo_root: Path, settings: Settings, store: Store) -> None:
        self.repo_root = Path(repo_root)
        self.settings = settings
        self.store = store
        self.full_disk = FullDisk(self)
        self.bus = EventBus(stamp=self.full_disk.stamp)
        self.bus.subscribe(self.full_disk.guard(self._track))
        self.tasks = TaskTable(store, self.publish)
        # After _track: by the time the watchdog sees an event, the task's row reflects it.
        self.stalls = StallWatch(settings.session.stall_seconds, self._stalled, self._active_again)
        self.bus.subscribe(self.stalls.note)
        self._watchdog: asyncio.Task[None] | None = None
        self.agents: dict[str, Agent] = {}  # the running agents, by task id
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._cancel_requested: set[str] = set()
        self._bases: dict[str, tuple[int, float]] = {}
        self._stopping = False
        self._tick: asyncio.Task[None] | None = None
        self.stopped = asyncio.Event()
        self.verifier = Verifier(self.repo_root, settings, self.publish)
        self._verifications: dict[str, asyncio.Task[None]] = {}
        self.decisions = Decisions(self)
        self.attempts = Attempts(self)
        self.bus.subscribe(self.attempts.on_event)
        self.sprints = Sprints(self)
        self.disk = DiskMeter(self)
        self.bus.subscribe(self.disk.on_event)
        # Checked once here (bwrap tried, cached): status and SessionStarted tell the truth from the start.
        self.sandbox = sandbox_policy(settings)
        self._sandbox_of: dict[str, str] = {}

    # -- life cycle --------------------------------------------------------------------

    @property
    def limits(self) -> Limits:
        s = self.settings.session
        return Limits(
            foreground_slots=s.foreground_slots,
            background_concurrency=s.background_concurrency,
            budget_usd=s.queue_budget_usd,
            budget_tokens=s.queue_budget_tokens,
            after_waits_for=s.after_waits_for,
            paused=self.disk.paused,
        )

    @property
    def stopping(self) -> bool:
        """The session is shutting down: nothing new starts."""
        return self._stopping

    def cancel_requested(self, task_id: str) -> bool:
        """You asked to cancel the task while it ran (its run records it when it can)."""
        return task_id in self._cancel_requested

    def model_of(self, row: TaskRow) -> str:
        """The model a task's agent runs on (its own, its role's, else the executor's)."""
        try:
            return self._role(row).model or "demo"
        except UnknownRole:  # its role left agentdeck.toml since: the task's own events still name it
            return row.model or self.settings.role("executor").model or "demo"

    def publish(self, event: Event) -> Event:
        self.bus.publish(event)
        return event

    async def start(self) -> list[str]:
        """Recover from a crash (running tasks become interrupted), then begin scheduling."""
        # A merge cut in half lands fully first, so the tasks below are judged by the truth.
        recovered = self.decisions.recover()
        interrupted: list[str] = []
        for row in self.store.tasks():
            if row.state.is_active:
                interrupted.append(row.id)
                self.tasks.set_state(
                    row,
                    TaskState.INTERRUPTED,
                    "the session daemon ended while the agent ran (crash or kill); its worktree and "
                    f"commits are intact: `agentdeck resume {row.id}` continues it",
                )
        self.publish(
            SessionStarted(
                pid=os.getpid(),
                interrupted=interrupted,
                recovered=[recovered] if recovered else [],
                sandbox=self.sandbox.label(),
            )
        )
        for row in self.store.tasks():
            if row.state == TaskState.VERIFYING:  # cut off by a stop or crash: verification is safe to redo
                self.start_verification(row)
        if self.settings.session.auto_resume:
            for row in self.store.tasks():
                if row.state == TaskState.INTERRUPTED:
                    self.requeue_for_resume(row, "resumed automatically (session.auto_resume)")
        if self.store.full is not None:  # no room even for the reserve
            self.full_disk.enter()
        await self.disk.start()
        self.attempts.start()
        self.schedule()
        self._tick = asyncio.create_task(self._tick_loop())
        self._watchdog = asyncio.create_task(self.stalls.run(), name="stall watchdog")
        return interrupted

    async def _tick_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(TICK_SECONDS)
            try:
                self.full_disk.tick()
                await self._check_merged()
                self.disk.poke()
                self.schedule()
            except Exception:  # a bad tick must not end scheduling; the next one tries again
                continue

    async def shutdown(self) -> None:
        """Stop every agent at a safe point (each checkpoints first), then end."""
        if self._stopping:
            await self.stopped.wait()
            return
        self._stopping = True
        self.publish(SessionStopping(reason="agentdeck stop"))
        if self._tick:
            self._tick.cancel()
        if self._watchdog:
            self._watchdog.cancel()
        self.disk.stop()
        for agent in list(self.agents.values()):
            agent.stop()
        # Verification is redone on the next start; cancelling kills a running test command.
        for verification in list(self._verifications.values()):
            verification.cancel()
        await self.attempts.stop()  # ranked again on the next start
        runs = list(self._runs.values()) + list(self._verifications.values())
        if runs:
            await asyncio.wait(runs, timeout=STOP_TIMEOUT_SECONDS)
        self.stopped.set()

    # -- commands ----------------------------------------------------------------------

    async def execute(self, command: Command[ReplyT]) -> ReplyT:
        return command.reply(await self._answer(command))

    async def _answer(self, command: Command[Any]) -> BaseModel:
        if self._stopping and not isinstance(command, (GetStatus, Stop)):
            raise CommandError("the session is stopping; try again once it has stopped", code="failed")
        if self.full_disk.active and isinstance(
            command, (Enqueue, Resume, Retry, RequestChanges, Merge, StartSprint)
        ):
            raise CommandError(self.full_disk.reason or "the disk is full", code="failed")
        match command:
            case Enqueue():
                return self._enqueue(command)
            case Steer():
                agent = self._live_agent(command.agent_id, "steer")
                agent.steer(command.text)
                return TaskReply(task_id=command.agent_id)
            case Interrupt():
                self._live_agent(command.agent_id, "interrupt").interrupt()
                return TaskReply(task_id=command.agent_id)
            case Cancel():
                return self._cancel(command.agent_id)
            case Resume():
                return self._resume(command.agent_id)
            case Promote() | Demote():
                return self._set_foreground(command.agent_id, isinstance(command, Promote))
            case EditTask():
                return self._edit(command)
            case GetStatus():
                await self.disk.current(STATUS_MAX_AGE_S)
                return self.status_snapshot()
            case Gc():
                return await self.disk.gc(command.dry_run)
            case (
                Merge()
                | Reject()
                | RequestChanges()
                | Retry()
                | Cleanup()
                | CreatePullRequest()
                | GetReview()
                | GetResult()
            ):
                return await self.decisions.answer(command)
            case PlanSprint() | StartSprint() | GetSprint() | ListSprints() | DropSprintTask():
                return await self.sprints.answer(command)
            case Stop():
                await self.shutdown()
                return Stopped()
            case _:
                raise CommandError(f"the session does not take {type(command).__name__} commands")

    async def subscribe(
        self,
        from_seq: int = 0,
        task_id: str | None = None,
        *,
        follow: bool = True,
        exclude: Iterable[str] = (),
    ) -> AsyncIterator[Event]:
        sub = Subscription(self, from_seq, task_id, exclude)
        try:
            for event in sub.replay():
                yield event
            while follow:
                yield await sub.queue.get()
        finally:
            sub.close()

    def _live_agent(self, task_id: str, verb: str) -> Agent:
        row = self.tasks.get(task_id)
        agent = self.agents.get(task_id)
        if agent is None:
            hint = (
                "it has not started yet"
                if row.state in (TaskState.QUEUED, TaskState.RUNNING)
                else f"it is {row.state}"
            )
            raise CommandError(f"cannot {verb} task {task_id}: no agent is running it ({hint})")
        return agent

    def _enqueue(self, command: Enqueue) -> Enqueued:
        from agentdeck.workspace import new_task_id

        text = command.task.strip()
        if not text:
            raise CommandError("the task is empty: say what the agent should do")
        if command.models and command.attempts < 2:
            raise CommandError("--models spreads attempts over models: give --attempts N (2 or more) too")
        group = None
        task_ids = [new_task_id(text)]
        if command.attempts > 1:
            # The group's id, and its attempts' ids after it: "fix-the-parser-3f9c-1", "-2", ...
            group = new_task_id(text)
            task_ids = [f"{group}-{number}" for number in range(1, command.attempts + 1)]
        if any(self.store.task(task_id) is not None for task_id in task_ids) or (
            group and self.store.group(group)
        ):
            return self._enqueue(command)  # a clash with an older task: draw new ids
        if command.role:
            try:
                task_role = self.settings.task_role(command.role)
            except UnknownRole as exc:
                raise CommandError(self._unknown_role(command.role, exc)) from None
            self._check_role_skills(command.role, task_role.skills)
        tasks = self.store.tasks()
        try:
            check_dependency(task_ids[0], command.after, tasks)
        except SchedulingError as exc:
            raise CommandError(str(exc)) from None
        skills, model = self._named_skills(command)
        models = command.models or [model]
        for number, task_id in enumerate(task_ids, start=1):
            row = TaskRow(
                id=task_id,
                task=text,
                state=TaskState.QUEUED,
                priority=command.priority,
                after_id=command.after or None,
                foreground=command.foreground,
                model=models[(number - 1) % len(models)] or None,
                source=command.source,
                skills=skills,
                attempt_group=group,
                attempt=number if group else None,
                role=command.role,
            )
            self.store.add_task(row)
            self.publish(
                TaskQueued(
                    task_id=task_id,
                    task=text,
                    priority=command.priority,
                    after=row.after_id,
                    foreground=command.foreground,
                    model=row.model,
                    source=command.source,
                    skills=skills,
                    attempt_group=group,
                    attempt=row.attempt,
                    role=command.role,
                )
            )
        self.schedule()
        return Enqueued(
            task_id=task_ids[0],
            state=self.tasks.get(task_ids[0]).state,
            attempt_group=group,
            attempts=[AttemptPlaced(task_id=i, model=self.tasks.get(i).model) for i in task_ids]
            if group
            else [],
        )

    def _check_role_skills(self, role: str, names: list[str]) -> None:
        """A role's skills must be there when a task picks it, not only when its agent starts."""
        if not names:
            return
        from agentdeck.skills import UnknownSkill, load_catalog

        try:
            load_catalog(self.repo_root).check(names)
        except UnknownSkill as exc:
            raise CommandError(
                f"role {role!r} of agentdeck.toml names a skill that is not there: {exc}"
            ) from None

    def _named_skills(self, command: Enqueue) -> tuple[list[str], str | None]:
        """The task's skills, checked against the repository's; and its model (a named skill's, if it has one)."""
        if not command.skills:
            return [], command.model
        from agentdeck.skills import UnknownSkill, load_catalog

        catalog = load_catalog(self.repo_root)
        try:
            names = catalog.check(command.skills)
        except UnknownSkill as exc:
            raise CommandError(str(exc)) from None
        skill_model = next((m for m in (catalog.skills[n].model for n in names) if m), None)
        return names, command.model or skill_model

    def _cancel(self, task_id: str) -> TaskReply:
        row = self.tasks.get(task_id)
        if self.sprints.is_integration(row) and row.state in (
            TaskState.QUEUED,
            TaskState.INTERRUPTED,
            TaskState.FAILED,
        ):
            # Cancelling a sprint (its id is its integration task's) cancels every role not yet ended.
            self.sprints.cancel(task_id)
            if row.state == TaskState.FAILED:
                self.tasks.set_state(
                    self.tasks.get(task_id), TaskState.CANCELLED, "the sprint was cancelled by the user"
                )
                return TaskReply(task_id=task_id)
        if row.state == TaskState.QUEUED or row.state == TaskState.INTERRUPTED:
            self.tasks.set_state(row, TaskState.CANCELLED, "cancelled by the user")
        elif row.state.is_active:
            self._cancel_requested.add(task_id)
            agent = self.agents.get(task_id)
            if agent is not None:
                agent.stop()  # checkpoints first; _run_agent records the cancellation
        else:
            raise CommandError(f"task {task_id} is already {row.state}: nothing to cancel")
        return TaskReply(task_id=task_id)

    def cancel_attempt(self, task_id: str, reason: str) -> None:
        """Stop an attempt whose group was decided without it, or a role of a cancelled sprint (its work stays on its branch)."""
        row = self.tasks.get(task_id)
        if row.state == TaskState.VERIFYING:
            verification = self._verifications.get(task_id)
            if verification is not None:
                verification.cancel()
            self.tasks.set_state(row, TaskState.CANCELLED, reason)
        elif row.state.is_active:
            self._cancel(task_id)
        elif row.state in (TaskState.QUEUED, TaskState.INTERRUPTED):
            self.tasks.set_state(row, TaskState.CANCELLED, reason)

    def _resume(self, task_id: str) -> TaskReply:
        row = self.tasks.get(task_id)
        agent = self.agents.get(task_id)
        if row.state in (TaskState.STALLED, TaskState.WAITING) and agent is not None:
            # A live agent goes on in place: a stalled step is cancelled, a waiting agent woken.
            if row.state == TaskState.STALLED:
                agent.resume(stall_note(row.reason or "no progress"))
                why = "resumed by the user: the stalled step was stopped and the agent goes on"
            else:
                agent.resume()
                why = "resumed by the user"
            self.tasks.set_state(row, TaskState.RUNNING, why)
            return TaskReply(task_id=task_id, state=TaskState.RUNNING)
        if row.state.is_active:
            raise CommandError(
                f"task {task_id} is {row.state}: steer it instead (`agentdeck steer {task_id} TEXT`)"
            )
        if row.state not in (TaskState.INTERRUPTED, TaskState.FAILED, TaskState.CANCELLED):
            raise CommandError(
                f"task {task_id} is {row.state}: only interrupted, failed or cancelled tasks resume"
            )
        self.requeue_for_resume(row, "resumed by the user")
        self.schedule()
        return TaskReply(task_id=task_id, state=self.tasks.get(task_id).state)

    def requeue_for_resume(self, row: TaskRow, reason: str) -> None:
        """Queue an interrupted task to go on where it stopped (on its branch, if it has one)."""
        self.store.update_task(row.id, resume=bool(row.branch), error=None)
        self.tasks.set_state(row, TaskState.QUEUED, reason)

    def _set_foreground(self, task_id: str, foreground: bool) -> ForegroundSet:
        row = self.tasks.get(task_id)
        # An ended foreground task may still be demoted: its pane closes and it waits in the list.
        if not (row.state == TaskState.QUEUED or row.state.is_active) and (foreground or not row.foreground):
            raise CommandError(f"task {task_id} is {row.state}: only queued or running tasks move")
        if foreground:
            try:
                check_promote(row, self.store.tasks(), self.limits)
            except SchedulingError as exc:
                raise CommandError(str(exc)) from None
        elif not row.foreground:
            raise CommandError(f"task {task_id} is already in the background")
        self.store.update_task(task_id, foreground=foreground)
        self.publish(TaskForegroundChanged(task_id=task_id, agent_id=task_id, foreground=foreground))
        self.schedule()
        return ForegroundSet(task_id=task_id, foreground=foreground)

    def _edit(self, command: EditTask) -> TaskEdited:
        row = self.tasks.get(command.agent_id)
        if row.state != TaskState.QUEUED:
            raise CommandError(f"task {row.id} is {row.state}: only queued tasks can be edited")
        changes: dict[str, Any] = {}
        if command.after is not None:
            try:
                check_dependency(row.id, command.after or None, self.store.tasks())
            except SchedulingError as exc:
                raise CommandError(str(exc)) from None
            changes["after_id"] = command.after or None
        if command.priority is not None:
            changes["priority"] = command.priority
        if changes:
            self.store.update_task(row.id, **changes)
            self.schedule()
        row = self.tasks.get(row.id)
        return TaskEdited(task_id=row.id, priority=row.priority, after_id=row.after_id)

    # -- status ------------------------------------------------------------------------

    def sandbox_of(self, task_id: str) -> str:
        """How the task's agent ran its commands (its last AgentStarted), '' when unknown."""
        if task_id not in self._sandbox_of:
            found = ""
            for event in self.store.events(task_id=task_id):
                if isinstance(event, AgentStarted):
                    found = event.sandbox
            self._sandbox_of[task_id] = found
        return self._sandbox_of[task_id]

    def status_snapshot(self) -> Status:
        tasks = self.store.tasks()
        decision = decide(tasks, self.limits)
        now = time.time()
        limits = self.limits
        return Status(
            pid=os.getpid(),
            last_seq=self.store.last_seq,
            foreground_slots=limits.foreground_slots,
            background_concurrency=limits.background_concurrency,
            budget_reached=budget_reached(tasks, limits),
            disk=self.disk.snapshot(),
            store_full=self.full_disk.reason,
            sandbox=self.sandbox.label(),
            sandbox_confined=self.sandbox.confined,
            tasks=[self._task_status(row, decision.waiting.get(row.id), now) for row in tasks],
            sprints=[
                SprintSummary(sprint_id=d.sprint_id, feature=d.feature, state=d.state)
                for d in map(self.sprints.describe, self.store.sprints())
            ],
        )

    def _task_status(self, row: TaskRow, waiting: str | None, now: float) -> TaskStatus:
        fields = row.as_dict()
        fields["verdict"] = row.verdict.get("kind") if row.verdict else None
        fields["tests"] = row.tests.get("status") if row.tests else None
        if row.role is None and row.sprint_id:
            fields["role"] = self.sprints.role_of(row)
        return TaskStatus(
            **fields,
            age_s=round(now - row.created, 1),
            waiting_reason=waiting if row.state == TaskState.QUEUED else None,
            disk_bytes=self.disk.task_bytes(row.id),
        )

    # -- scheduling and agents ---------------------------------------------------------

    def schedule(self) -> None:
        """Start the queued tasks that may start now (slots, dependencies, budgets)."""
        if self._stopping or self.full_disk.active:
            return
        decision = decide(self.store.tasks(), self.limits)
        for task_id in decision.start:
            row = self.tasks.get(task_id)
            self.tasks.set_state(
                row, TaskState.RUNNING, "resuming" if row.resume else "starting", started=time.time()
            )
            self._runs[task_id] = asyncio.create_task(self._run_agent(row), name=f"agent {task_id}")

    async def _run_agent(self, row: TaskRow) -> None:
        from agentdeck.runtime.task_start import start_task
        from agentdeck.sprints.artifacts import place as place_artifacts
        from agentdeck.workspace import open_repository, open_task_workspace

        task_id = row.id
        if self.sprints.is_integration(row):
            try:
                await self.sprints.run_integration(row)
            finally:
                self._runs.pop(task_id, None)
                self._cancel_requested.discard(task_id)
                self.schedule()
            return
        try:
            try:
                repo = await asyncio.to_thread(open_repository, self.repo_root)
                if not row.resume:
                    # Where `agentdeck merge` lands the task later: the branch it starts from.
                    self.store.update_task(
                        task_id, base_branch=None if repo.head_is_detached else repo.head.shorthand
                    )
                role = self._role(row)
                # Background tasks start from a plan by the planner model by default (config: plan).
                plan = self.settings.plan.foreground if row.foreground else self.settings.plan.background
                # A sprint's role task already has its plan: the sprint's brief, scope and contracts.
                plan = plan and not row.sprint_id
                # A resumed task goes on in its worktree; a new one gets its own, from its base.
                workspace, base, artifacts = None, None, {}
                if row.resume:
                    workspace = await asyncio.to_thread(open_task_workspace, repo, task_id)
                    self._bases[task_id] = (row.steps, row.cost_usd)
                    note, feedback = resume_note(row)
                    if feedback is not None:
                        self.store.update_task(task_id, feedback=feedback)
                    text = row.task + attempt_note(row, self.store) + note
                else:
                    text, artifacts = await self.sprints.prepare(row)
                    text += attempt_note(row, self.store)
                    base = self.sprints.base_for(row)
                started = await start_task(
                    repo,
                    self.settings,
                    text,
                    self.bus,
                    role=role,
                    role_name=row.role,
                    task_id=task_id,
                    workspace=workspace,
                    base=base,
                    plan=plan,
                    skills=row.skills,
                    messenger=self.sprints.messages.messenger_for(row),
                )
                if artifacts:
                    await asyncio.to_thread(place_artifacts, started.workspace.path, artifacts)
            except Exception as exc:
                self.tasks.set_state(
                    self.tasks.get(task_id),
                    TaskState.FAILED,
                    f"the agent could not start: {exc}",
                    error=str(exc),
                )
                return
            agent = started.agent
            self.agents[task_id] = agent
            if task_id in self._cancel_requested or self._stopping:
                agent.stop()
            try:
                result = await agent.run()
                status, summary, error = result.status, result.summary, result.error
            except Exception as exc:  # the loop reports its own failures; this is a last resort
                status, summary, error = "failed", "", f"{type(exc).__name__}: {exc}"
            try:
                current = self.tasks.get(task_id)
                if status == "finished" and self.settings.review.verify:
                    self.tasks.set_state(
                        current,
                        TaskState.VERIFYING,
                        "the agent finished; its tests and the judge run now",
                        summary=summary,
                        resume=False,
                    )
                    if not self._stopping:  # else the next start verifies it
                        self.start_verification(self.tasks.get(task_id))
                elif status == "finished":
                    self.tasks.set_state(
                        current, TaskState.FINISHED, "the agent finished", summary=summary, resume=False
                    )
                elif status == "failed":
                    self.tasks.set_state(current, TaskState.FAILED, error, error=error, resume=False)
                elif task_id in self._cancel_requested:
                    self.tasks.set_state(
                        current, TaskState.CANCELLED, "cancelled by the user; its work is kept on its branch"
                    )
                else:
                    reason = self.full_disk.interrupted_reason(task_id)
                    self.tasks.set_state(
                        current,
                        TaskState.INTERRUPTED,
                        reason or f"the session was stopped; `agentdeck resume {task_id}` continues it",
                    )
            except StoreFull:
                # The disk filled as the agent ended: its row still says running. The full-disk
                # watch marks it interrupted and queues it to resume once space is back.
                self.full_disk.unrecorded(task_id)
        finally:
            self.agents.pop(task_id, None)
            self._runs.pop(task_id, None)
            self._cancel_requested.discard(task_id)
            self.schedule()

    def _stalled(self, task_id: str, reason: str) -> bool:
        """The watchdog found the task idle for stall_seconds: mark it, if its agent is running."""
        row = self.store.task(task_id)
        if self._stopping or row is None or row.state != TaskState.RUNNING or task_id not in self.agents:
            return False
        self.tasks.set_state(row, TaskState.STALLED, reason)
        return True

    def _active_again(self, task_id: str) -> None:
        row = self.store.task(task_id)
        if row is not None and row.state == TaskState.STALLED:
            self.tasks.set_state(row, TaskState.RUNNING, "making progress again")

    def _role(self, row: TaskRow) -> ModelRole:
        """The model settings the task runs with: its role's (the executor's by default), or its own --model."""
        # A role removed from agentdeck.toml since the task was queued fails the start, naming it.
        role = self.settings.task_role(row.role) if row.role else self.settings.role("executor")
        return role.with_model(row.model)

    def _unknown_role(self, name: str, problem: UnknownRole) -> str:
        """Why `name` is refused; the session reads agentdeck.toml once, so say so if the file defines it now."""
        from agentdeck.config import ConfigError, load_settings

        try:
            defined_now = name in load_settings(self.repo_root).roles
        except ConfigError:
            defined_now = False
        if defined_now:
            return (
                f"role {name!r} was added to agentdeck.toml after this session started; the session reads "
                "the file once: `agentdeck stop`, then queue the task again (the session starts anew)"
            )
        return str(problem)

    def start_verification(self, row: TaskRow) -> None:
        if row.id in self._verifications or not row.worktree or not row.base_commit:
            if row.id not in self._verifications:
                self.tasks.set_state(
                    row, TaskState.FINISHED, "the agent finished; nothing to verify (no worktree)"
                )
            return
        subject = Subject(
            task_id=row.id,
            task=row.task,
            plan=row.plan,
            worktree=Path(row.worktree),
            base_commit=row.base_commit,
            executor_model=self.model_of(row),
            feedback=[entry["text"] for entry in row.feedback or []],
            sprint=self.sprints.is_integration(row),
        )
        verifier = self.sprints.verifier_for(row) or self.verifier
        self._verifications[row.id] = asyncio.create_task(
            self._verify(subject, verifier), name=f"verify {row.id}"
        )

    async def _verify(self, subject: Subject, verifier: Verifier) -> None:
        try:
            try:
                result = await verifier.verify(subject)
                reason = verified_reason(result)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # verification must never leave a task stuck in "verifying"
                reason = f"verification failed ({type(exc).__name__}: {exc}); review the change yourself"
            current = self.tasks.get(subject.task_id)
            if current.state == TaskState.VERIFYING:
                self.tasks.set_state(current, TaskState.FINISHED, reason)
        finally:
            self._verifications.pop(subject.task_id, None)

    async def _check_merged(self) -> None:
        """Finished tasks whose branch you merged into your HEAD become `merged`."""
        finished = [row for row in self.store.tasks() if row.state == TaskState.FINISHED and row.branch]
        if not finished:
            return
        merged = await asyncio.to_thread(
            merged_into_head, self.repo_root, [row.branch for row in finished if row.branch]
        )
        for row in finished:
            current = self.tasks.get(row.id)
            if row.branch in merged and current.state == TaskState.FINISHED:  # not decided meanwhile
                # Merged outside agentdeck (git merge, or a change of nothing): the state `agentdeck merge` gives.
                decision = MergedDecision(
                    kind="merged", ts=time.time(), into=None, commit=None, method="outside agentdeck"
                )
                self.tasks.set_state(current, TaskState.MERGED, merged[row.branch], decision=decision)

    def _track(self, event: Event) -> None:
        """Keep each task's row in step with its agent's events (no events published from here)."""
        task_id = event.task_id
        if task_id is None:
            return
        match event:
            case AgentStarted():
                self._sandbox_of[task_id] = event.sandbox
                self.store.update_task(
                    task_id, branch=event.branch, worktree=event.worktree, base_commit=event.base_commit
                )
            case TurnFinished():
                steps, cost = self._bases.get(task_id, (0, 0.0))
                row = self.store.task(task_id)
                tokens = (row.tokens if row else 0) + event.prompt_tokens + event.completion_tokens
                self.store.update_task(
                    task_id, steps=steps + event.step, cost_usd=cost + event.total_cost_usd, tokens=tokens
                )
            case ContextUsage():
                self.store.update_task(task_id, context_fraction=event.fraction)
            case PlanWritten():
                self.store.update_task(task_id, plan=event.plan)
            case AgentWaiting():
                self.store.update_task(task_id, state=TaskState.WAITING, reason=event.reason)
            case SteerReceived():
                row = self.store.task(task_id)
                if row is not None and row.state == TaskState.WAITING:
                    self.store.update_task(task_id, state=TaskState.RUNNING, reason="steered")
            case VerificationFinished():
                row = self.store.task(task_id)
                judge = event.verdict
                self.store.update_task(
                    task_id,
                    tests=tests_record(event.tests),
                    verdict=verdict_record(judge),
                    checks=[check_record(check) for check in event.checks],
                    stats=stats_record(event.stats),
                    # The judge's tokens and cost count toward the task (and the queue's budget).
                    tokens=(row.tokens if row else 0) + judge.prompt_tokens + judge.completion_tokens,
                    cost_usd=(row.cost_usd if row else 0.0) + judge.cost_usd,
                )
            case _:
                pass  # the other events change no column of the task's row
