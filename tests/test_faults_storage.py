"""A damaged or locked session.db, met as a user would meet it: `agentdeck status` explains, changes nothing, no traceback."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from agentdeck.api import Enqueue
from tests.support.cli import run_cli
from tests.support.faults import one_finished_task, settled, status
from tests.support.session import attach, collect_until, kill_daemon, paths_of


@pytest.fixture
def session_repo(repo: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "0")
    yield repo
    kill_daemon(repo)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("damage", ["garbage over the header", "truncated"])
def test_a_damaged_session_db_is_refused_with_what_to_do_and_left_untouched(
    session_repo: Path, agentdeck_cmd, damage: str
) -> None:
    one_finished_task(session_repo, agentdeck_cmd)
    db = paths_of(session_repo).db
    data = db.read_bytes()
    if damage == "truncated":
        db.write_bytes(data[: len(data) // 2])
    else:
        db.write_bytes(b"\x00garbage!" * 12 + data[108:])
    before = digest(db)

    result = run_cli(agentdeck_cmd, "status", cwd=session_repo)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "Traceback" not in paths_of(session_repo).log.read_text()
    message = result.stderr.strip().splitlines()[-1]
    assert f"the session store {db} is damaged" in message and f"mv {db} {db}.corrupt-" in message
    assert "agentdeck changed nothing" in message
    assert digest(db) == before  # nothing repaired, replaced or lost behind your back

    # Doing what it says starts a fresh session; the damaged file is kept beside it.
    aside = message.split("`mv ")[1].split("`")[0].split()[1]
    db.rename(aside)
    fresh = status(agentdeck_cmd, session_repo)
    assert fresh["tasks"] == [] and Path(aside).exists()


def test_a_locked_session_db_is_waited_for_then_refused_naming_the_holder(
    session_repo: Path, agentdeck_cmd
) -> None:
    task_id = one_finished_task(session_repo, agentdeck_cmd)
    db = paths_of(session_repo).db
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            f"db = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "db.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run_cli(agentdeck_cmd, "status", cwd=session_repo, timeout=60)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        message = result.stderr.strip().splitlines()[-1]
        assert f"the session store {db} is locked by another process: pid {holder.pid} (" in message
        assert "waited 5 s" in message
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    # The lock gone, the same session opens with its task intact.
    again = status(agentdeck_cmd, session_repo)
    assert [t["id"] for t in again["tasks"]] == [task_id] and again["tasks"][0]["state"] == "finished"


@pytest.fixture
def small_disk(session_repo: Path):
    """The session directory (session.db, worktrees) on its own 16 MB tmpfs; skipped where mount is not permitted."""
    directory = paths_of(session_repo).dir
    directory.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(directory)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    yield directory
    kill_daemon(session_repo)
    subprocess.run(["umount", "-l", str(directory)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the disk has no byte left."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as handle:  # unbuffered: ENOSPC comes from write, never from close
        try:
            while True:
                handle.write(b"\1" * 65536)
        except OSError:
            pass
    return filler


def test_a_full_disk_stops_the_agents_cleanly_and_the_session_goes_on_when_space_is_back(
    session_repo: Path, small_disk: Path, monkeypatch: pytest.MonkeyPatch, agentdeck_cmd
) -> None:
    from agentdeck.events import StoreFullChanged, TaskStateChanged, TextDelta
    from tests.support.faults import dump, store_report

    monkeypatch.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "40")  # a long stream of events to cut into

    async def until_full() -> tuple[str, list]:
        client = await attach(session_repo)
        stream = client.subscribe(0)
        task_id = (await client.execute(Enqueue(task="take notes"))).task_id
        before = await collect_until(stream, lambda e: isinstance(e, TextDelta))
        fill(small_disk)
        after = await collect_until(
            stream,
            lambda e: isinstance(e, TaskStateChanged) and e.task_id == task_id and e.state == "interrupted",
        )
        await client.close()
        return task_id, before + after

    task_id, seen = asyncio.run(until_full())
    full = next(e for e in seen if isinstance(e, StoreFullChanged))
    assert (
        full.full
        and f"the disk holding {small_disk} is full" in full.reason
        and "Free space there" in full.reason
    )
    assert "disk is full" in seen[-1].reason

    table = run_cli(agentdeck_cmd, "status", cwd=session_repo)
    assert table.returncode == 0 and "Traceback" not in table.stderr
    assert f"nothing new is written: the disk holding {small_disk} is full" in table.stdout
    refused = run_cli(agentdeck_cmd, "queue", "add", "more notes", cwd=session_repo)
    assert refused.returncode != 0 and "is full" in refused.stderr and "Traceback" not in refused.stderr

    (small_disk / "filler").unlink()

    async def until_done() -> list:
        client = await attach(session_repo)
        events = await collect_until(client.subscribe(0), settled(task_id))
        await client.close()
        return events

    events = asyncio.run(until_done())
    assert dump(events[: len(seen)]) == dump(seen)  # nothing committed before or during the full disk is lost
    assert any(isinstance(e, StoreFullChanged) and not e.full for e in events[len(seen) :])
    assert events[-1].state == "finished"
    check, seqs = store_report(session_repo)
    assert check == "ok" and seqs == list(range(1, len(seqs) + 1))
