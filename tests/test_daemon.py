"""A real session daemon process on a real Unix socket, in a real repository, on the demo model."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
from pathlib import Path

import pytest

from agentdeck.api import Enqueue, Resume
from agentdeck.events import (
    AgentFinished,
    AgentStarted,
    Checkpointed,
    InboxRejected,
    SessionStarted,
    TaskQueued,
    TaskStateChanged,
    TextDelta,
)
from agentdeck.server import protocol
from agentdeck.server.launcher import daemon_pid, open_connection
from tests.support.cli import run_cli
from tests.support.git_repos import git
from tests.support.session import attach, collect_until, kill_daemon, paths_of


@pytest.fixture
def session_repo(repo: Path, monkeypatch: pytest.MonkeyPatch):
    """A repository whose daemon (started by the test) is killed afterwards, whatever happened."""
    monkeypatch.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "0")
    yield repo
    kill_daemon(repo)


def finished(task_id: str):
    return lambda e: (
        isinstance(e, TaskStateChanged) and e.task_id == task_id and e.state in ("finished", "failed")
    )


def dump(events) -> list[str]:
    return [e.model_dump_json() for e in events]


async def test_two_clients_see_identical_events_and_a_late_client_replays_them(session_repo: Path) -> None:
    first, second, third = await attach(session_repo), await attach(session_repo), await attach(session_repo)
    stream_a, stream_b = first.subscribe(0), second.subscribe(0)
    # The cockpit's main stream: everything but the text deltas, live as in replay.
    stream_c = third.subscribe(0, exclude=["text_delta"])
    task_a = (await first.execute(Enqueue(task="take notes on the readme"))).task_id
    task_b = (await second.execute(Enqueue(task="take notes on the source", foreground=True))).task_id
    done = {task_a, task_b}

    def both_done(seen: set):
        return lambda e: (
            (seen.add(e.task_id) if finished(e.task_id)(e) and e.task_id in done else None) or seen == done
        )

    seen_a = await collect_until(stream_a, both_done(set()))
    seen_b = await collect_until(stream_b, both_done(set()))
    seen_c = await collect_until(stream_c, both_done(set()))
    assert dump(seen_a) == dump(seen_b)
    assert any(isinstance(e, TextDelta) for e in seen_a)
    assert dump(seen_c) == dump([e for e in seen_a if not isinstance(e, TextDelta)])
    assert [e.seq for e in seen_a] == list(range(1, len(seen_a) + 1))  # no gap, no duplicate
    assert isinstance(seen_a[0], SessionStarted)

    late = await attach(session_repo)
    replayed = [e async for e in late.subscribe(0, follow=False)]
    assert dump(replayed[: len(seen_a)]) == dump(seen_a)
    only_b = [e async for e in late.subscribe(0, task_b, follow=False)]
    assert only_b and {e.task_id for e in only_b} == {task_b}
    no_deltas = [e async for e in late.subscribe(0, follow=False, exclude=["text_delta"])]
    assert dump(no_deltas[: len(seen_c)]) == dump(seen_c)
    for client in (first, second, third, late):
        await client.close()


async def test_socket_is_private_and_a_protocol_mismatch_is_refused(session_repo: Path) -> None:
    client = await attach(session_repo)
    paths = paths_of(session_repo)
    assert stat.S_IMODE(os.stat(paths.socket).st_mode) == 0o600
    assert int(paths.pid.read_text()) == client.welcome["pid"] == daemon_pid(paths)
    reader, writer = await open_connection(paths)
    writer.write(protocol.encode({"type": "hello", "protocol": 999}))
    reply = protocol.decode(await reader.readline())
    assert reply["type"] == "error" and "protocol mismatch" in reply["error"]
    assert await reader.readline() == b""  # and the daemon hangs up
    writer.close()
    await client.close()


async def test_detaching_leaves_agents_running(session_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "200")
    client = await attach(session_repo)
    task_id = (await client.execute(Enqueue(task="take notes"))).task_id
    await client.close()  # nobody is attached now
    late = await attach(session_repo)
    events = await collect_until(late.subscribe(0), finished(task_id))
    assert isinstance(events[-1], TaskStateChanged) and events[-1].state == "finished"
    await late.close()


def test_kill_9_mid_run_loses_nothing_and_resume_continues(session_repo: Path, agentdeck_cmd) -> None:
    slow = {"AGENTDECK_DEMO__TOKENS_PER_SECOND": "30", "AGENTDECK_SESSION__BACKGROUND_CONCURRENCY": "1"}
    ids = []
    for n in range(3):
        result = run_cli(
            agentdeck_cmd, "queue", "add", "--json", f"take notes {n}", cwd=session_repo, env=slow
        )
        assert result.returncode == 0, result.stderr
        ids.append(json.loads(result.stdout)["task_id"])

    async def until_checkpoint() -> list:
        client = await attach(session_repo)
        events = await collect_until(
            client.subscribe(0), lambda e: isinstance(e, Checkpointed) and e.task_id == ids[0]
        )
        await client.close()
        return events

    before = asyncio.run(until_checkpoint())
    commit = before[-1].commit
    old_pid = kill_daemon(session_repo)
    assert old_pid is not None and paths_of(session_repo).socket.exists()  # stale leftovers

    fast = {"AGENTDECK_SESSION__BACKGROUND_CONCURRENCY": "1"}
    result = run_cli(agentdeck_cmd, "status", "--json", cwd=session_repo, env=fast)
    assert result.returncode == 0, result.stderr
    assert "started the session daemon" in result.stderr
    status = json.loads(result.stdout)
    assert status["pid"] != old_pid
    states = {t["id"]: t["state"] for t in status["tasks"]}
    assert set(states) == set(ids) and states[ids[0]] == "interrupted"
    first = next(t for t in status["tasks"] if t["id"] == ids[0])
    assert "agentdeck resume" in first["reason"] and Path(first["worktree"]).is_dir()
    # The checkpoint seen before the kill is on the branch (a later one may have landed too).
    git(session_repo, "merge-base", "--is-ancestor", commit, f"agentdeck/{ids[0]}")

    async def replay_and_resume() -> tuple[list, list]:
        client = await attach(session_repo)
        replayed = [e async for e in client.subscribe(0, follow=False)]
        await client.execute(Resume(agent_id=ids[0]))
        rest = await collect_until(client.subscribe(replayed[-1].seq), finished(ids[0]))
        await client.close()
        return replayed, rest

    replayed, rest = asyncio.run(replay_and_resume())
    assert dump(replayed[: len(before)]) == dump(before)  # every event from before the kill
    assert any(isinstance(e, SessionStarted) and ids[0] in e.interrupted for e in replayed)
    assert rest[-1].state == "finished"
    resumed = next(e for e in rest if isinstance(e, AgentStarted) and e.task_id == ids[0])
    assert resumed.worktree == first["worktree"] and "Resumed" in resumed.task
    # The resumed agent built on the checkpoint from before the kill.
    git(session_repo, "merge-base", "--is-ancestor", commit, f"agentdeck/{ids[0]}")


def test_cli_refuses_unknown_ids_and_cycles_with_status_2(session_repo: Path, agentdeck_cmd) -> None:
    slow = {"AGENTDECK_DEMO__TOKENS_PER_SECOND": "5", "AGENTDECK_SESSION__BACKGROUND_CONCURRENCY": "1"}
    unknown = run_cli(
        agentdeck_cmd, "queue", "add", "--after", "no-such-task", "x", cwd=session_repo, env=slow
    )
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines()[-1] == (
        "agentdeck: error: unknown task id 'no-such-task' given as the dependency (--after): "
        "`agentdeck queue list` shows the ids"
    )
    ids = []
    for text, after in (("busy", None), ("a", None), ("b", "a")):
        args = ["queue", "add", "--json", text] + (["--after", ids[-1]] if after else [])
        ids.append(json.loads(run_cli(agentdeck_cmd, *args, cwd=session_repo, env=slow).stdout)["task_id"])
    cycle = run_cli(agentdeck_cmd, "queue", "edit", ids[1], "--after", ids[2], cwd=session_repo, env=slow)
    assert (
        cycle.returncode == 2 and f"dependency cycle refused: {ids[1]} → {ids[2]} → {ids[1]}" in cycle.stderr
    )
    for verb in ("steer", "cancel", "resume"):
        extra = ["hello"] if verb == "steer" else []
        result = run_cli(agentdeck_cmd, verb, "nope-1234", *extra, cwd=session_repo)
        assert result.returncode == 2 and "unknown task id 'nope-1234'" in result.stderr
    listing = json.loads(run_cli(agentdeck_cmd, "queue", "list", "--json", cwd=session_repo).stdout)
    waiting = {t["id"]: t["waiting_reason"] for t in listing["tasks"]}
    assert waiting[ids[2]] == f"waiting for {ids[1]} to be merged"
    table = run_cli(agentdeck_cmd, "status", cwd=session_repo).stdout
    assert "ID" in table and "CTX" in table and ids[0] in table


async def test_dependencies_run_in_order_through_the_daemon(
    session_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTDECK_SESSION__AFTER_WAITS_FOR", "finished")
    client = await attach(session_repo)
    stream = client.subscribe(0)
    first = (await client.execute(Enqueue(task="first"))).task_id
    second = (await client.execute(Enqueue(task="second", after=first))).task_id
    third = (await client.execute(Enqueue(task="third", after=second))).task_id
    events = await collect_until(stream, finished(third))
    order = [e.task_id for e in events if isinstance(e, AgentStarted)]
    ends = {e.task_id: e.seq for e in events if isinstance(e, AgentFinished)}
    starts = {e.task_id: e.seq for e in events if isinstance(e, AgentStarted)}
    assert order == [first, second, third]
    assert ends[first] < starts[second] and ends[second] < starts[third]
    await client.close()


async def test_inbox_queues_a_file_and_rejects_a_broken_one_with_a_reason(session_repo: Path) -> None:
    client = await attach(session_repo)
    stream = client.subscribe(0)
    inbox = session_repo / ".agentdeck" / "inbox"
    await collect_until(stream, lambda e: isinstance(e, SessionStarted))
    assert inbox.is_dir()
    (inbox / "notes.md").write_text("---\npriority: 3\nmodel: demo\n---\nWrite notes on the project.\n")
    queued = (await collect_until(stream, lambda e: isinstance(e, TaskQueued)))[-1]
    assert queued.source == "inbox" and queued.priority == 3 and queued.task == "Write notes on the project."
    assert not (inbox / "notes.md").exists() and (inbox / "done" / f"{queued.task_id}-notes.md").exists()

    (inbox / "broken.md").write_text("---\npriority: soon\n---\nDo it.\n")
    rejected = (await collect_until(stream, lambda e: isinstance(e, InboxRejected)))[-1]
    assert "priority must be a whole number" in rejected.reason
    note = inbox / "rejected" / "broken.md.error"
    assert (
        inbox / "rejected" / "broken.md"
    ).exists() and "priority must be a whole number, got 'soon'" in note.read_text()
    assert git(session_repo, "status", "--porcelain") == ""  # the inbox stays out of your git status
    await client.close()


def test_stale_socket_and_pid_of_a_dead_daemon_are_cleaned(session_repo: Path, agentdeck_cmd) -> None:
    paths = paths_of(session_repo)
    paths.dir.mkdir(parents=True, exist_ok=True)
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(paths.socket))  # a socket file nobody listens on any more
    dead.close()
    paths.pid.write_text("999999\n")
    result = run_cli(agentdeck_cmd, "status", cwd=session_repo, timeout=40)
    assert result.returncode == 0, result.stderr
    assert "removed the socket and pid file of a session daemon that is no longer running" in result.stderr
    assert "no tasks yet" in result.stdout


def test_stop_checkpoints_agents_and_removes_socket_and_pid(session_repo: Path, agentdeck_cmd) -> None:
    slow = {"AGENTDECK_DEMO__TOKENS_PER_SECOND": "20"}
    task_id = json.loads(
        run_cli(agentdeck_cmd, "queue", "add", "--json", "take notes", cwd=session_repo, env=slow).stdout
    )["task_id"]
    result = run_cli(agentdeck_cmd, "stop", cwd=session_repo, timeout=60)
    assert result.returncode == 0 and "stopped the session daemon" in result.stdout, result.stderr
    paths = paths_of(session_repo)
    assert not paths.socket.exists() and not paths.pid.exists() and daemon_pid(paths) is None
    again = run_cli(agentdeck_cmd, "stop", cwd=session_repo)
    assert again.returncode == 0 and "no session daemon is running" in again.stderr
    status = json.loads(run_cli(agentdeck_cmd, "status", "--json", cwd=session_repo).stdout)
    row = next(t for t in status["tasks"] if t["id"] == task_id)
    assert row["state"] in ("interrupted", "finished")
