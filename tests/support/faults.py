"""Crashing a real session daemon at a named kill point (agentdeck/faults.py) and checking what survived."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agentdeck.api import Enqueue, Resume
from agentdeck.events import Event, TaskStateChanged
from agentdeck.faults import FAULT_ENV
from agentdeck.server.launcher import daemon_pid
from tests.support.cli import run_cli
from tests.support.session import attach, collect_until, paths_of


def settled(task_id: str):
    """The task ended one way or the other (a verifying task is not settled yet)."""
    return lambda e: (
        isinstance(e, TaskStateChanged) and e.task_id == task_id and e.state in ("finished", "failed")
    )


async def until_end(events: AsyncIterator[Event], timeout: float = 60.0) -> list[Event]:
    """Every event of a followed stream until the daemon's connection closes (it was killed)."""
    seen: list[Event] = []

    async def run() -> list[Event]:
        async for event in events:
            seen.append(event)
        return seen

    try:
        return await asyncio.wait_for(run(), timeout)
    except TimeoutError:
        raise AssertionError(f"the daemon was not killed in {timeout} s; last events: {seen[-3:]}") from None


def wait_gone(repo: Path, timeout: float = 20.0) -> None:
    """Until the daemon has died (its flock is released by the kernel at death)."""
    deadline = time.monotonic() + timeout
    while daemon_pid(paths_of(repo)) is not None:
        assert time.monotonic() < deadline, "the daemon is still alive after its kill point"
        time.sleep(0.02)


async def crash_at(
    repo: Path, monkeypatch: pytest.MonkeyPatch, fault: str, tasks: list[str]
) -> tuple[list[str], list[Event]]:
    """Start a daemon armed with `fault`, queue `tasks`, and collect what a client saw until it died."""
    monkeypatch.setenv(FAULT_ENV, fault)
    try:
        client = await attach(repo)
    finally:
        monkeypatch.delenv(FAULT_ENV)  # only that daemon is armed, not the next one
    stream = client.subscribe(0)
    ids = []
    for text in tasks:
        ids.append((await client.execute(Enqueue(task=text))).task_id)
    seen = await until_end(stream)
    await client.close()
    wait_gone(repo)
    return ids, seen


def status(agentdeck_cmd, repo: Path) -> dict:
    """`agentdeck status --json` as a user runs it (it starts a fresh daemon when none runs)."""
    result = run_cli(agentdeck_cmd, "status", "--json", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def store_report(repo: Path) -> tuple[str, list[int]]:
    """SQLite's own integrity check of session.db, and every seq in it in order."""
    db = sqlite3.connect(str(paths_of(repo).db))
    try:
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        seqs = [row[0] for row in db.execute("SELECT seq FROM events ORDER BY seq")]
    finally:
        db.close()
    return check, seqs


def dump(events: list[Event]) -> list[str]:
    return [e.model_dump_json() for e in events]


async def resume_to_the_end(repo: Path, task_ids: list[str]) -> list:
    client = await attach(repo)
    after = [e async for e in client.subscribe(0, follow=False)][-1].seq
    stream = client.subscribe(after)
    left = set(task_ids)
    for task_id in task_ids:
        await client.execute(Resume(agent_id=task_id))

    def all_done(event) -> bool:
        if isinstance(event, TaskStateChanged) and event.state in ("finished", "failed"):
            left.discard(event.task_id)
        return not left

    rest = await collect_until(stream, all_done)
    await client.close()
    return rest


def one_finished_task(repo: Path, agentdeck_cmd) -> str:
    """A session with one finished task, then stopped cleanly (the WAL folded into session.db)."""

    async def run() -> str:
        client = await attach(repo)
        stream = client.subscribe(0)
        task_id = (await client.execute(Enqueue(task="take notes"))).task_id
        await collect_until(stream, settled(task_id))
        await client.close()
        return task_id

    task_id = asyncio.run(run())
    stop = run_cli(agentdeck_cmd, "stop", cwd=repo)
    assert stop.returncode == 0, stop.stderr
    return task_id
