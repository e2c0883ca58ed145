"""A damaged or locked session.db, met as a user would meet it: `agentdeck status` explains, changes nothing, no traceback."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.faults import settled, status
from tests.support.session import attach, collect_until, kill_daemon, paths_of


@pytest.fixture
def session_repo(repo: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "0")
    yield repo
    kill_daemon(repo)


def one_finished_task(repo: Path, agentdeck_cmd) -> str:
    """A session with one finished task, then stopped cleanly (the WAL folded into session.db)."""

    async def run() -> str:
        client = await attach(repo)
        stream = client.subscribe(0)
        task_id = (await client.enqueue("take notes"))["task_id"]
        await collect_until(stream, settled(task_id))
        await client.close()
        return task_id

    task_id = asyncio.run(run())
    stop = run_cli(agentdeck_cmd, "stop", cwd=repo)
    assert stop.returncode == 0, stop.stderr
    return task_id


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


def test_a_locked_session_db_is_waited_for_then_refused_naming_the_holder(session_repo: Path, agentdeck_cmd) -> None:
    task_id = one_finished_task(session_repo, agentdeck_cmd)
    db = paths_of(session_repo).db
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys\n"
         f"db = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
         "db.execute('BEGIN EXCLUSIVE')\n"
         "print('locked', flush=True)\n"
         "sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
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
