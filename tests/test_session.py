"""The Session in-process: the same interface the daemon serves over its socket."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentdeck.api import Cancel, Demote, EditTask, Enqueue, GetStatus, Promote
from agentdeck.config import load_settings
from agentdeck.events import AgentFinished, AgentStarted, PlanWritten, TaskStateChanged
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.session import Session
from agentdeck.runtime.store import Store
from tests.support.git_repos import git


async def wait_for(session: Session, predicate, timeout: float = 30.0, from_seq: int = 0):
    async def scan():
        async for event in session.subscribe(from_seq):
            if predicate(event):
                return event

    return await asyncio.wait_for(scan(), timeout)


def make_session(repo: Path, **session_keys) -> Session:
    settings = load_settings(repo)
    settings.demo.tokens_per_second = 0
    for key, value in session_keys.items():
        setattr(settings.session, key, value)
    return Session(repo, settings, Store(repo / ".git" / "agentdeck" / "session.db"))


async def test_enqueued_task_runs_to_the_end_and_its_row_follows(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    reply = await session.execute(Enqueue(task="take notes"))
    task_id = reply.task_id
    await wait_for(
        session, lambda e: isinstance(e, TaskStateChanged) and e.task_id == task_id and e.state == "finished"
    )
    row = session.store.task(task_id)
    finished = next(e for e in session.store.events(0, task_id=task_id) if isinstance(e, AgentFinished))
    assert row.state == "finished" and row.steps == finished.steps and row.summary == finished.summary
    assert row.branch == f"agentdeck/{task_id}" and row.tokens > 0 and row.context_fraction
    kinds = [type(e).__name__ for e in session.store.events(0, task_id=task_id)]
    assert kinds[0] == "TaskQueued" and "AgentStarted" in kinds and "AgentFinished" in kinds
    # A background task starts from the planner's plan (plan.background), stored with the task.
    plan = next(e for e in session.store.events(0, task_id=task_id) if isinstance(e, PlanWritten))
    assert row.plan == plan.plan and "Plan for: take notes" in row.plan
    await session.shutdown()


async def test_after_finished_runs_in_order_and_unknown_ids_are_refused(repo: Path) -> None:
    session = make_session(repo, after_waits_for="finished")
    await session.start()
    with pytest.raises(CommandError, match="unknown task id 'nope'"):
        await session.execute(Enqueue(task="x", after="nope"))
    first = (await session.execute(Enqueue(task="first"))).task_id
    second = (await session.execute(Enqueue(task="second", after=first))).task_id
    await wait_for(session, lambda e: isinstance(e, AgentFinished) and e.task_id == second)
    events = list(session.store.events(0))
    first_done = next(e.seq for e in events if isinstance(e, AgentFinished) and e.task_id == first)
    second_start = next(e.seq for e in events if isinstance(e, AgentStarted) and e.task_id == second)
    assert first_done < second_start
    await session.shutdown()


async def test_after_merged_waits_until_you_merge_the_branch(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    first = (await session.execute(Enqueue(task="first"))).task_id
    second = (await session.execute(Enqueue(task="second", after=first))).task_id
    await wait_for(
        session, lambda e: isinstance(e, TaskStateChanged) and e.task_id == first and e.state == "finished"
    )
    status = await session.execute(GetStatus())
    waiting = {t.id: t.waiting_reason for t in status.tasks}
    assert waiting[second] == f"waiting for {first} to be merged"
    git(repo, "merge", "-q", "--no-edit", f"agentdeck/{first}")
    await wait_for(session, lambda e: isinstance(e, AgentStarted) and e.task_id == second)
    assert session.store.task(first).state == "merged"
    await session.shutdown()


async def test_edit_refuses_a_dependency_cycle(repo: Path) -> None:
    session = make_session(repo, background_concurrency=1)
    session.settings.demo.tokens_per_second = 5  # keep the first one busy
    await session.start()
    busy = (await session.execute(Enqueue(task="busy"))).task_id
    a = (await session.execute(Enqueue(task="a"))).task_id
    b = (await session.execute(Enqueue(task="b", after=a))).task_id
    with pytest.raises(CommandError, match=f"dependency cycle refused: {a} → {b} → {a}"):
        await session.execute(EditTask(agent_id=a, after=b))
    await session.execute(Cancel(agent_id=busy))
    await session.shutdown()


async def test_promote_and_demote_flip_the_slot_without_restarting(repo: Path) -> None:
    session = make_session(repo, foreground_slots=2)
    session.settings.demo.tokens_per_second = 5  # long enough to move them around
    await session.start()
    fg = [(await session.execute(Enqueue(task=f"fg {n}", foreground=True))).task_id for n in range(2)]
    bg = (await session.execute(Enqueue(task="bg"))).task_id
    await wait_for(session, lambda e: isinstance(e, AgentStarted) and e.task_id == bg)
    with pytest.raises(CommandError, match="all 2 foreground slots are busy"):
        await session.execute(Promote(agent_id=bg))
    await session.execute(Demote(agent_id=fg[0]))
    agent = session.agents[bg]
    await session.execute(Promote(agent_id=bg))
    assert session.agents[bg] is agent  # the same agent, not restarted
    rows = {row.id: row for row in session.store.tasks()}
    assert rows[bg].foreground and not rows[fg[0]].foreground and rows[bg].state == "running"
    starts = [e for e in session.store.events(0) if isinstance(e, AgentStarted) and e.task_id == bg]
    assert len(starts) == 1
    with pytest.raises(CommandError, match="already in the background"):
        await session.execute(Demote(agent_id=fg[0]))
    await session.shutdown()
    assert {row.state for row in session.store.tasks()} == {"interrupted"}


async def test_queue_budget_stops_new_background_tasks_and_status_says_why(repo: Path) -> None:
    session = make_session(repo, background_concurrency=1, queue_budget_tokens=1)
    await session.start()
    first = (await session.execute(Enqueue(task="first"))).task_id
    second = (await session.execute(Enqueue(task="second"))).task_id
    await wait_for(
        session, lambda e: isinstance(e, TaskStateChanged) and e.task_id == first and e.state == "finished"
    )
    status = await session.execute(GetStatus())
    assert status.budget_reached.startswith("queue budget reached")
    assert next(t for t in status.tasks if t.id == second).waiting_reason.startswith("queue budget reached")
    assert session.store.task(second).state == "queued"
    await session.shutdown()


async def test_auto_resume_restarts_interrupted_agents_in_their_worktree(repo: Path) -> None:
    session = make_session(repo)
    session.settings.demo.tokens_per_second = 5
    await session.start()
    task_id = (await session.execute(Enqueue(task="take notes"))).task_id
    await wait_for(session, lambda e: isinstance(e, AgentStarted) and e.task_id == task_id)
    await session.shutdown()
    session.store.close()
    again = make_session(repo, auto_resume=True)
    await again.start()
    event = await wait_for(
        again, lambda e: isinstance(e, TaskStateChanged) and e.task_id == task_id and e.state == "finished"
    )
    assert event.state == "finished"
    started = [e for e in again.store.events(0) if isinstance(e, AgentStarted) and e.task_id == task_id]
    assert len(started) == 2 and started[0].worktree == started[1].worktree and "Resumed" in started[1].task
    await again.shutdown()
