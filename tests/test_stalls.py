"""Stuck agents caught: a real session, real commands in real worktrees, a scripted model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentdeck.api import Cancel, Enqueue, GetStatus, Interrupt, Resume
from agentdeck.config import ModelRole, load_settings
from agentdeck.events import AgentStarted, AgentWaiting, ModelRetrying, TaskStateChanged
from agentdeck.runtime.session import Session
from agentdeck.runtime.store import Store
from agentdeck.tui.cockpit_state import CockpitState
from tests.support.scripted_model import Turn, call, conversation, finish
from tests.support.scripted_session import scripted_session, state_is, wait_for


async def stalled(session: Session, task_id: str) -> TaskStateChanged:
    event = await wait_for(session, state_is(task_id, "stalled"))
    assert isinstance(event, TaskStateChanged)
    return event


async def test_a_command_that_prints_nothing_stalls_once_with_its_name_then_clears(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits = "until [ -e .go ]; do sleep 0.05; done"  # prints nothing until the test lets it end
    session, _ = scripted_session(
        repo, monkeypatch, [Turn(calls=[call("run", command=waits)]), finish("the command ended")]
    )
    cockpit = CockpitState()
    await session.start()
    cockpit.load_status(await session.execute(GetStatus()))
    task_id = (await session.execute(Enqueue(task="wait for the go file"))).task_id

    event = await stalled(session, task_id)
    assert f"from `{waits}` (run tool, started" in event.reason and event.reason.startswith("no result for ")
    row = (await session.execute(GetStatus())).tasks[0]
    assert row.state == "stalled" and row.reason == event.reason

    started = next(e for e in session.store.events(0, task_id=task_id) if isinstance(e, AgentStarted))
    (Path(started.worktree) / ".go").write_text("")
    cleared = await wait_for(session, state_is(task_id, "running", previous="stalled"))
    assert cleared.reason == "making progress again"
    await wait_for(session, state_is(task_id, "finished", "failed"))
    assert session.store.task(task_id).state == "finished"

    events = list(session.store.events(0, task_id=task_id))
    attention = [why for e in events if (why := cockpit.apply(e).attention)]
    assert [e.reason for e in events if isinstance(e, TaskStateChanged) and e.state == "stalled"] == [
        event.reason
    ]
    assert attention.count("is stalled") == 1
    await session.shutdown()


async def test_interrupting_a_stalled_agent_leaves_it_waiting_and_resume_continues(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, scripted = scripted_session(
        repo, monkeypatch, [Turn(calls=[call("run", command="sleep 60")]), finish("carried on")]
    )
    await session.start()
    task_id = (await session.execute(Enqueue(task="sleep"))).task_id
    await stalled(session, task_id)

    seq = session.store.last_seq
    await session.execute(Interrupt(agent_id=task_id))
    waiting = await wait_for(
        session, lambda e: isinstance(e, AgentWaiting) and e.task_id == task_id, from_seq=seq
    )
    assert waiting.reason == "interrupted by the user"
    assert session.store.task(task_id).state == "waiting"

    reply = await session.execute(Resume(agent_id=task_id))
    assert reply.state == "running"
    await wait_for(session, state_is(task_id, "finished"), from_seq=seq)
    # The second turn saw the interrupted command answered, as providers require.
    assert (
        conversation(scripted.requests[1])[-1]["role"] == "tool"
        and "interrupted" in conversation(scripted.requests[1])[-1]["content"]
    )
    await session.shutdown()


async def test_resuming_a_stalled_agent_stops_the_stuck_step_and_tells_the_model_why(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, scripted = scripted_session(
        repo, monkeypatch, [Turn(calls=[call("run", command="sleep 60")]), finish("went on")]
    )
    await session.start()
    task_id = (await session.execute(Enqueue(task="sleep"))).task_id
    event = await stalled(session, task_id)

    seq = session.store.last_seq
    reply = await session.execute(Resume(agent_id=task_id))
    assert reply.state == "running"
    await wait_for(session, state_is(task_id, "finished"), from_seq=seq)
    told = conversation(scripted.requests[1])[-1]
    assert (
        told["role"] == "user" and "made no progress" in told["content"] and "`sleep 60`" in told["content"]
    )
    # Resumed in place: no wait for a person in between.
    assert not any(isinstance(e, AgentWaiting) for e in session.store.events(seq, task_id=task_id))
    assert event.reason in told["content"]
    await session.shutdown()


async def test_cancelling_a_stalled_agent_ends_it_at_once(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _ = scripted_session(repo, monkeypatch, [Turn(calls=[call("run", command="sleep 60")])])
    await session.start()
    task_id = (await session.execute(Enqueue(task="sleep"))).task_id
    await stalled(session, task_id)
    seq = session.store.last_seq
    await session.execute(Cancel(agent_id=task_id))
    await wait_for(session, state_is(task_id, "cancelled"), timeout=15, from_seq=seq)
    assert task_id not in session.agents
    await session.shutdown()


async def test_a_stalled_agent_keeps_its_slot(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session, _ = scripted_session(repo, monkeypatch, [Turn(calls=[call("run", command="sleep 60")])])
    session.settings.session.background_concurrency = 1
    await session.start()
    first = (await session.execute(Enqueue(task="sleep"))).task_id
    await stalled(session, first)
    second = (await session.execute(Enqueue(task="next"))).task_id
    status = await session.execute(GetStatus())
    waiting = {t.id: t.waiting_reason for t in status.tasks}
    assert waiting[second] == "background concurrency 1 reached"
    await session.execute(Cancel(agent_id=first))
    await wait_for(session, lambda e: isinstance(e, AgentStarted) and e.task_id == second)
    await session.shutdown()


async def test_a_model_stream_that_stops_is_said_in_words(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _ = scripted_session(repo, monkeypatch, [Turn(text="Let me think about this", hang=True)])
    await session.start()
    task_id = (await session.execute(Enqueue(task="think"))).task_id
    event = await stalled(session, task_id)
    assert event.reason.startswith("the model stream stalled: no token for ")
    await session.execute(Cancel(agent_id=task_id))
    await wait_for(session, state_is(task_id, "cancelled"))
    await session.shutdown()


async def test_an_agent_waiting_for_a_person_is_never_stalled(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three replies without a tool call: the agent stops and waits for you.
    session, _ = scripted_session(repo, monkeypatch, [Turn(text="hmm")] * 3, stall_seconds=0.1)
    await session.start()
    task_id = (await session.execute(Enqueue(task="ponder"))).task_id
    await wait_for(session, lambda e: isinstance(e, AgentWaiting) and e.task_id == task_id)
    seq = session.store.last_seq
    # Absence of an event: look for one over many stall periods, bounded.
    with pytest.raises(asyncio.TimeoutError):
        await wait_for(session, state_is(task_id, "stalled"), timeout=1.0, from_seq=seq)
    assert session.store.task(task_id).state == "waiting"
    await session.execute(Cancel(agent_id=task_id))
    await session.shutdown()


async def test_retries_that_never_succeed_fail_the_task_with_the_providers_last_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.openai_server import FakeOpenAIServer, Reply

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = load_settings(repo)
    settings.plan.background = False
    settings.review.verify = False
    settings.retries.max_retries = 2
    settings.retries.backoff_base_seconds = 0
    limit = "Rate limit reached for test-model in organization org-1 on requests per min: Limit 3"
    with FakeOpenAIServer(lambda body: Reply(status=429, error_message=limit)) as server:
        settings.executor = ModelRole(
            model="openai/test-model", api_base=server.base_url, context_window=100_000
        )
        session = Session(repo, settings, Store(repo / ".git" / "agentdeck" / "session.db"))
        await session.start()
        task_id = (await session.execute(Enqueue(task="anything"))).task_id
        failed = await wait_for(session, state_is(task_id, "failed", "finished"), timeout=60)
        requests = len(server.requests)
    assert failed.state == "failed"
    assert "rate limited (429) after 3 attempts" in failed.reason and limit in failed.reason
    assert session.store.task(task_id).error == failed.reason
    retries = [e for e in session.store.events(0, task_id=task_id) if isinstance(e, ModelRetrying)]
    assert [(e.attempt, e.max_retries, e.cause, e.error) for e in retries] == [
        (1, 2, "rate limits (429)", limit),
        (2, 2, "rate limits (429)", limit),
    ]
    assert requests == 3
    await session.shutdown()
