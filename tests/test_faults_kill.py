"""kill -9 of a real session daemon at named points (AGENTDECK_FAULT): nothing is lost, status is true, work resumes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentdeck.api import Enqueue
from agentdeck.events import AgentStarted, Checkpointed, Merged, SessionStarted, TaskStateChanged
from agentdeck.workspace.merge_journal import journal_path
from tests.support.cli import run_cli
from tests.support.faults import crash_at, dump, resume_to_the_end, settled, status, store_report
from tests.support.git_repos import git
from tests.support.session import attach, collect_until, kill_daemon, paths_of

NOTES = "agentdeck-demo-notes.md"


def rev(repo: Path, name: str) -> str:
    return git(repo, "rev-parse", name).strip()


@pytest.fixture
def session_repo(repo: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "0")
    yield repo
    kill_daemon(repo)


def assert_store_whole(repo: Path, seen: list) -> list[int]:
    """integrity_check ok, seqs 1..n with no gap, and every event a client saw before the kill is stored as it saw it."""
    check, seqs = store_report(repo)
    assert check == "ok"
    assert seqs == list(range(1, len(seqs) + 1))
    assert [e.seq for e in seen] == list(range(1, len(seen) + 1))
    return seqs


async def replay(repo: Path) -> list:
    client = await attach(repo)
    events = [e async for e in client.subscribe(0, follow=False)]
    await client.close()
    return events


def test_kill_mid_checkpoint_keeps_the_branch_and_the_files_and_resume_commits_them(
    session_repo: Path, monkeypatch: pytest.MonkeyPatch, agentdeck_cmd
) -> None:
    ids, seen = asyncio.run(
        crash_at(session_repo, monkeypatch, "checkpoint:before-ref-update", ["take notes"])
    )
    task_id = ids[0]
    started = next(e for e in seen if isinstance(e, AgentStarted))
    assert not any(isinstance(e, Checkpointed) for e in seen)  # it died inside the first one
    # The tree was written, the commit and the branch move not: the branch is at its base, the files are in the worktree.
    assert rev(session_repo, f"agentdeck/{task_id}") == started.base_commit
    assert (Path(started.worktree) / NOTES).exists()

    now = status(agentdeck_cmd, session_repo)
    row = next(t for t in now["tasks"] if t["id"] == task_id)
    assert row["state"] == "interrupted" and f"agentdeck resume {task_id}" in row["reason"]
    assert_store_whole(session_repo, seen)
    assert dump(asyncio.run(replay(session_repo))[: len(seen)]) == dump(seen)

    rest = asyncio.run(resume_to_the_end(session_repo, [task_id]))
    assert rest[-1].state == "finished"
    # The resumed agent committed what the killed one had written.
    assert NOTES in git(session_repo, "ls-tree", "--name-only", f"agentdeck/{task_id}")
    assert git(Path(started.worktree), "status", "--porcelain") == ""
    assert_store_whole(session_repo, [])


@pytest.mark.parametrize("point", ["merge:before-ref-update", "merge:before-mark-merged"])
def test_kill_mid_merge_lands_it_fully_on_the_next_start(
    session_repo: Path, monkeypatch: pytest.MonkeyPatch, agentdeck_cmd, point: str
) -> None:
    async def finish_one() -> tuple[str, str]:
        client = await attach(session_repo)
        stream = client.subscribe(0)
        task_id = (await client.execute(Enqueue(task="take notes"))).task_id
        await collect_until(stream, settled(task_id))
        await client.close()
        return task_id, rev(session_repo, "main")

    task_id, old_main = asyncio.run(finish_one())
    branch_tip = rev(session_repo, f"agentdeck/{task_id}")
    kill_daemon(session_repo)

    merge = run_cli(agentdeck_cmd, "merge", task_id, cwd=session_repo, env={"AGENTDECK_FAULT": point})
    assert merge.returncode != 0 and "Traceback" not in merge.stderr  # the daemon died under it
    assert journal_path(paths_of(session_repo).dir).exists()

    now = status(agentdeck_cmd, session_repo)  # a fresh daemon: it finishes the merge first
    row = next(t for t in now["tasks"] if t["id"] == task_id)
    assert row["state"] == "merged" and "killed mid-merge" in row["reason"]
    main = rev(session_repo, "main")
    assert main != old_main and row["decision"]["commit"] == main
    git(session_repo, "merge-base", "--is-ancestor", branch_tip, "main")  # the task's commits are on main
    # The checkout is the merge's, whole: no half-updated files, nothing uncommitted.
    assert git(session_repo, "status", "--porcelain") == "" and (session_repo / NOTES).exists()
    assert not journal_path(paths_of(session_repo).dir).exists()

    events = asyncio.run(replay(session_repo))
    merged = [e for e in events if isinstance(e, Merged) and e.task_id == task_id]
    assert len(merged) == 1 and merged[0].commit == main
    restart = [e for e in events if isinstance(e, SessionStarted)][-1]
    assert restart.recovered and task_id in restart.recovered[0]
    assert_store_whole(session_repo, [])


def test_kill_in_a_burst_of_events_keeps_every_committed_event_and_resumes_the_agents(
    session_repo: Path, monkeypatch: pytest.MonkeyPatch, agentdeck_cmd
) -> None:
    monkeypatch.setenv("AGENTDECK_SESSION__BACKGROUND_CONCURRENCY", "4")
    kill_at = 500
    texts = [f"take notes on part {n}" for n in range(6)]
    ids, seen = asyncio.run(crash_at(session_repo, monkeypatch, f"events:after-append@{kill_at}", texts))
    # The 500th event was committed, then the process died before anyone saw it.
    assert len(seen) < kill_at

    now = status(agentdeck_cmd, session_repo)
    seqs = assert_store_whole(session_repo, seen)
    events = asyncio.run(replay(session_repo))
    restart = [e for e in events if isinstance(e, SessionStarted)][-1]
    # Every committed event kept, up to the kill point; after it only the restart's own recovery.
    recovery = events[kill_at : restart.seq - 1]
    assert all(isinstance(e, TaskStateChanged) and e.state == "interrupted" for e in recovery)
    assert len(recovery) == len(restart.interrupted)
    assert dump(events[: len(seen)]) == dump(seen)
    states = {t["id"]: t["state"] for t in now["tasks"]}
    assert set(states) == set(ids)
    # The agents that ran when the daemon died show as interrupted (the others were queued: the new daemon may start them).
    at_kill = {e.task_id: e.state for e in events[:kill_at] if isinstance(e, TaskStateChanged)}
    interrupted = sorted(
        task_id for task_id, state in at_kill.items() if state not in ("queued", "finished", "failed")
    )
    assert interrupted and interrupted == sorted(restart.interrupted)
    assert all(states[task_id] == "interrupted" for task_id in interrupted)

    rest = asyncio.run(resume_to_the_end(session_repo, interrupted))
    ended = {
        e.task_id: e.state
        for e in rest
        if isinstance(e, TaskStateChanged) and e.state in ("finished", "failed")
    }
    assert all(ended[task_id] == "finished" for task_id in interrupted)
    assert len(store_report(session_repo)[1]) > 1000 > len(seqs)  # the burst: 1,000+ events, the kill mid-way
    assert_store_whole(session_repo, [])
