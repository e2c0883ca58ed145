"""Scheduling decisions: slots, concurrency, priority, dependencies, budget, promote."""

from __future__ import annotations

import pytest

from agentdeck.runtime.scheduler import Limits, SchedulingError, check_dependency, check_promote, decide
from agentdeck.runtime.store import TaskRow
from agentdeck.task_state import TaskState


def task(
    id: str,
    state: str = "queued",
    *,
    fg: bool = False,
    priority: int = 0,
    after: str | None = None,
    created: float = 0.0,
    cost: float = 0.0,
    tokens: int = 0,
) -> TaskRow:
    return TaskRow(
        id=id,
        task=id,
        state=state,
        foreground=fg,
        priority=priority,
        after_id=after,
        created=created,
        cost_usd=cost,
        tokens=tokens,
    )


def test_priority_then_age_within_the_background_limit() -> None:
    tasks = [
        task("old", created=1),
        task("new", created=2),
        task("urgent", priority=5, created=3),
        task("x", created=4),
    ]
    decision = decide(tasks, Limits(background_concurrency=2))
    assert decision.start == ["urgent", "old"]
    assert decision.waiting == {
        "new": "background concurrency 2 reached",
        "x": "background concurrency 2 reached",
    }


def test_foreground_slots_and_background_are_separate_pools() -> None:
    tasks = [task("f1", "running", fg=True), task("f2", "waiting", fg=True), task("f3", fg=True), task("b1")]
    decision = decide(tasks, Limits(foreground_slots=2, background_concurrency=1))
    assert decision.start == ["b1"]
    assert decision.waiting["f3"] == "all 2 foreground slots are busy"


@pytest.mark.parametrize(
    ("dep_state", "waits_for", "starts", "reason"),
    [
        ("running", "merged", False, "waiting for a to be merged"),
        ("finished", "merged", False, "waiting for a to be merged"),
        ("merged", "merged", True, None),
        ("finished", "finished", True, None),
        ("running", "finished", False, "waiting for a to finish"),
        ("failed", "finished", False, "blocked: its dependency a failed"),
        ("cancelled", "merged", False, "blocked: its dependency a cancelled"),
    ],
)
def test_after_dependency(dep_state: str, waits_for: str, starts: bool, reason: str | None) -> None:
    decision = decide([task("a", dep_state), task("b", after="a")], Limits(after_waits_for=waits_for))  # type: ignore[arg-type]
    assert ("b" in decision.start) == starts
    if reason:
        assert decision.waiting["b"].startswith(reason)


def test_unknown_dependency_and_cycles_are_refused() -> None:
    tasks = [task("a", after="c"), task("b", after="a"), task("c")]
    with pytest.raises(SchedulingError, match="unknown task id 'zz'"):
        check_dependency("new", "zz", tasks)
    with pytest.raises(SchedulingError, match="dependency cycle refused: c → b → a → c"):
        check_dependency("c", "b", tasks)
    with pytest.raises(SchedulingError, match="cycle"):
        check_dependency("a", "a", tasks)
    check_dependency("new", "b", tasks)  # a new task at the end of a chain is fine


def test_budget_reached_stops_new_background_tasks_and_says_why() -> None:
    tasks = [task("done", "finished", cost=1.5, tokens=900), task("next"), task("fg", fg=True)]
    by_cost = decide(tasks, Limits(budget_usd=1.0))
    assert by_cost.start == ["fg"]
    assert by_cost.waiting["next"].startswith("queue budget reached: $1.50 of $1.00")
    by_tokens = decide(tasks, Limits(budget_tokens=500))
    assert by_tokens.waiting["next"].startswith("queue budget reached: 900 of 500 tokens")
    assert sorted(decide(tasks, Limits(budget_usd=2.0, budget_tokens=1000)).start) == ["fg", "next"]


def test_promote_is_refused_when_every_foreground_slot_is_busy() -> None:
    tasks = [task("f1", "running", fg=True), task("f2", "running", fg=True), task("b", "running")]
    with pytest.raises(SchedulingError, match="all 2 foreground slots are busy"):
        check_promote(tasks[2], tasks, Limits(foreground_slots=2))
    check_promote(tasks[2], tasks, Limits(foreground_slots=3))
    with pytest.raises(SchedulingError, match="already in the foreground"):
        check_promote(tasks[0], tasks, Limits(foreground_slots=3))


def with_deps(row: TaskRow, *deps: str) -> TaskRow:
    row.depends_on = list(deps)
    return row


def test_a_task_with_several_dependencies_starts_once_all_have_finished_and_verified() -> None:
    tasks = [
        task("core", "finished"),
        task("api", "verifying"),
        with_deps(task("ui"), "core", "api"),
        with_deps(task("docs"), "core"),
    ]
    decision = decide(tasks, Limits())
    assert decision.start == ["docs"]
    assert decision.waiting == {"ui": "waiting for api's tests and judge"}
    tasks[1].state = TaskState.FINISHED
    assert decide(tasks, Limits()).start == ["docs", "ui"]


def test_a_failed_dependency_blocks_its_dependants_and_says_what_to_do() -> None:
    tasks = [task("core", "failed"), with_deps(task("ui"), "core")]
    reason = decide(tasks, Limits()).waiting["ui"]
    assert reason.startswith("blocked: its dependency core failed; retry it (`agentdeck retry core`)")


def test_after_and_depends_on_both_hold() -> None:
    tasks = [task("first", "finished"), task("core", "merged"), with_deps(task("ui", after="first"), "core")]
    assert decide(tasks, Limits()).waiting == {"ui": "waiting for first to be merged"}
