"""Which queued tasks start now, and why the others wait: pure decisions, no I/O.

Foreground and background are separate pools: foreground slots (2–4) for agents you
watch, a background concurrency limit for the queue. Within a pool: priority (higher
first), then age. A task queued `--after ID` starts once ID is merged (or, configured,
finished); if ID failed or was cancelled it stays blocked and says so. A task may also wait
for several tasks (`depends_on`, a sprint's role tasks): each must have finished and been
verified (or merged). Once background
tasks together have spent the queue budget, no new background task starts; the same while
`Limits.paused` says why (the worktrees are over their disk budget). Foreground tasks, started
by a person, are never held back by either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from agentdeck.task_state import TaskState


class SchedulingError(Exception):
    """A request the queue must refuse (unknown id, cycle, full slots); `str()` says why."""


class TaskLike(Protocol):
    id: str
    state: TaskState
    priority: int
    after_id: str | None
    depends_on: list[str] | None
    foreground: bool
    created: float
    cost_usd: float
    tokens: int


@dataclass(frozen=True)
class Limits:
    foreground_slots: int = 3
    background_concurrency: int = 4
    budget_usd: float | None = None
    budget_tokens: int | None = None
    after_waits_for: Literal["merged", "finished"] = "merged"
    # Why new background starts are paused for now (the worktrees' disk budget), or None.
    paused: str | None = None


@dataclass
class Decision:
    start: list[str] = field(default_factory=list[str])
    # Why each queued task that does not start now waits, in words.
    waiting: dict[str, str] = field(default_factory=dict[str, str])


def decide(tasks: Iterable[TaskLike], limits: Limits) -> Decision:
    """The queued tasks to start now, in order, and the reason every other queued task waits."""
    tasks = list(tasks)
    by_id = {t.id: t for t in tasks}
    decision = Decision()
    free = {
        True: limits.foreground_slots - sum(1 for t in tasks if t.foreground and t.state.is_active),
        False: limits.background_concurrency
        - sum(1 for t in tasks if not t.foreground and t.state.is_active),
    }
    budget_reason = budget_reached(tasks, limits)
    queued = sorted(
        (t for t in tasks if t.state == TaskState.QUEUED), key=lambda t: (-t.priority, t.created, t.id)
    )
    for task in queued:
        blocked = dependency_wait(task, by_id, limits)
        if blocked:
            decision.waiting[task.id] = blocked
        elif not task.foreground and (budget_reason or limits.paused):
            decision.waiting[task.id] = budget_reason or limits.paused  # type: ignore[assignment]
        elif free[task.foreground] <= 0:
            decision.waiting[task.id] = (
                f"all {limits.foreground_slots} foreground slots are busy"
                if task.foreground
                else f"background concurrency {limits.background_concurrency} reached"
            )
        else:
            free[task.foreground] -= 1
            decision.start.append(task.id)
    return decision


def dependency_wait(task: TaskLike, by_id: dict[str, TaskLike], limits: Limits) -> str | None:
    """Why `task` cannot start yet because of its dependencies; None when it may."""
    return after_wait(task, by_id, limits) or depends_on_wait(task, by_id)


def depends_on_wait(task: TaskLike, by_id: dict[str, TaskLike]) -> str | None:
    """Why `task` waits for one of its `depends_on` tasks (finished and verified, or merged); None when none."""
    for dep_id in task.depends_on or []:
        dep = by_id.get(dep_id)
        if dep is None:
            return f"blocked: its dependency {dep_id} no longer exists"
        if dep.state in (TaskState.FINISHED, TaskState.MERGED):
            continue
        if dep.state.fails_dependants:
            return (
                f"blocked: its dependency {dep.id} {dep.state}; retry it (`agentdeck retry {dep.id}`), "
                "or drop it from the sprint, or cancel"
            )
        if dep.state == TaskState.VERIFYING:
            return f"waiting for {dep.id}'s tests and judge"
        return f"waiting for {dep.id} to finish"
    return None


def after_wait(task: TaskLike, by_id: dict[str, TaskLike], limits: Limits) -> str | None:
    """Why `task` cannot start yet because of its `--after` dependency; None when it may."""
    if not task.after_id:
        return None
    dep = by_id.get(task.after_id)
    if dep is None:
        return f"blocked: its dependency {task.after_id} no longer exists"
    if dep.state == TaskState.MERGED or (
        dep.state == TaskState.FINISHED and limits.after_waits_for == "finished"
    ):
        return None
    if dep.state.fails_dependants:
        return f"blocked: its dependency {dep.id} {dep.state}; cancel this task or edit its dependency"
    if dep.state == TaskState.FINISHED:
        return f"waiting for {dep.id} to be merged"
    if dep.state == TaskState.VERIFYING:
        return f"waiting for {dep.id}'s tests and judge, then for it to {'be merged' if limits.after_waits_for == 'merged' else 'finish'}"
    return f"waiting for {dep.id} to {'be merged' if limits.after_waits_for == 'merged' else 'finish'}"


def budget_reached(tasks: Iterable[TaskLike], limits: Limits) -> str | None:
    """The reason no new background task starts, once the queue's budget is spent."""
    background = [t for t in tasks if not t.foreground]
    if limits.budget_usd is not None:
        spent = sum(t.cost_usd for t in background)
        if spent >= limits.budget_usd:
            return f"queue budget reached: ${spent:.2f} of ${limits.budget_usd:.2f} spent; raise session.queue_budget_usd to go on"
    if limits.budget_tokens is not None:
        used = sum(t.tokens for t in background)
        if used >= limits.budget_tokens:
            return f"queue budget reached: {used} of {limits.budget_tokens} tokens used; raise session.queue_budget_tokens to go on"
    return None


def check_dependency(task_id: str, after_id: str | None, tasks: Iterable[TaskLike]) -> None:
    """Refuse an unknown dependency, or one that would make a cycle through `task_id`."""
    if not after_id:
        return
    by_id = {t.id: t for t in tasks}
    if after_id not in by_id:
        raise SchedulingError(
            f"unknown task id {after_id!r} given as the dependency (--after): `agentdeck queue list` shows the ids"
        )
    chain = [task_id]
    current: str | None = after_id
    while current is not None:
        chain.append(current)
        if current == task_id:
            raise SchedulingError(f"dependency cycle refused: {' → '.join(chain)}")
        node = by_id.get(current)
        current = node.after_id if node is not None else None
        if len(chain) > len(by_id) + 2:  # a cycle already stored elsewhere; not ours to loop on
            break


def check_promote(task: TaskLike, tasks: Iterable[TaskLike], limits: Limits) -> None:
    """Refuse to promote when the task is already foreground or every foreground slot is busy."""
    if task.foreground:
        raise SchedulingError(f"task {task.id} is already in the foreground")
    if task.state.is_active:
        busy = sum(1 for t in tasks if t.foreground and t.state.is_active)
        if busy >= limits.foreground_slots:
            raise SchedulingError(
                f"all {limits.foreground_slots} foreground slots are busy: demote one first "
                "(`agentdeck demote ID`), or raise session.foreground_slots"
            )
