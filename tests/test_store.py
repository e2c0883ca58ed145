"""The session store: WAL, migrations, seq stamped on append, replay from any seq."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agentdeck.events import TaskQueued, TextDelta
from agentdeck.runtime.store import MIGRATIONS, Store, StoreError, TaskRow


def test_store_is_wal_and_versioned(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == len(MIGRATIONS)
    store.close()
    assert Store(tmp_path / "s.db").schema_version == len(MIGRATIONS)  # reopening migrates nothing


def test_a_store_from_a_newer_agentdeck_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    Store(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    with pytest.raises(StoreError, match="newer agentdeck"):
        Store(tmp_path / "s.db")


def test_append_stamps_monotonic_seq_and_replays_from_any_seq(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    events = [TextDelta(text=f"t{i}", task_id="a" if i % 2 else "b") for i in range(10)]
    for event in events:
        store.append(event)
    assert [e.seq for e in events] == list(range(1, 11))
    replayed = list(store.events(4, batch=3))
    assert [e.seq for e in replayed] == list(range(5, 11))
    assert [e.text for e in replayed] == [f"t{i}" for i in range(4, 10)]
    assert [e.seq for e in store.events(0, task_id="a")] == [2, 4, 6, 8, 10]
    store.close()
    reopened = Store(tmp_path / "s.db")
    assert reopened.last_seq == 10
    assert reopened.append(TextDelta(text="x")) == 11


def test_tasks_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.add_task(TaskRow(id="t-1", task="do it", state="queued", priority=2, foreground=True))
    store.update_task("t-1", state="running", steps=3, cost_usd=0.5)
    row = store.task("t-1")
    assert row and row.state == "running" and row.steps == 3 and row.foreground is True and row.priority == 2
    assert [t.id for t in store.tasks()] == ["t-1"]
    assert store.task("nope") is None


def test_appended_events_survive_kill_9_of_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    script = (
        "import os, signal\n"
        "from agentdeck.runtime.store import Store\n"
        "from agentdeck.events import TaskQueued\n"
        f"s = Store({str(path)!r})\n"
        "for i in range(500):\n"
        "    s.append(TaskQueued(task=f'task {i}', task_id=f't{i}'))\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == -9
    store = Store(path)
    events = list(store.events(0))
    assert len(events) == 500 and isinstance(events[-1], TaskQueued) and events[-1].task == "task 499"


def test_a_version_1_store_migrates_and_keeps_its_tasks(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    db = sqlite3.connect(path)
    db.executescript(
        MIGRATIONS[0]
        + "; CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);"
    )
    db.execute(
        "INSERT INTO tasks (id, task, state, created, updated) VALUES ('t-1', 'old task', 'finished', 1, 1)"
    )
    db.commit()
    db.close()
    store = Store(path)
    assert store.schema_version == len(MIGRATIONS)
    row = store.task("t-1")
    assert row.task == "old task" and row.verdict is None and row.feedback is None and row.cleaned is None


def test_json_columns_round_trip_as_python_values(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.add_task(
        TaskRow(
            id="t-1",
            task="do it",
            state="finished",
            feedback=[{"text": "again", "ts": 1.0, "delivered": False}],
        )
    )
    store.update_task(
        "t-1",
        verdict={"kind": "approve", "findings": []},
        checks=[{"name": "size", "ok": True, "message": "ok"}],
    )
    row = store.task("t-1")
    assert row.verdict == {"kind": "approve", "findings": []} and row.checks[0]["name"] == "size"
    assert row.feedback[0]["text"] == "again" and row.tests is None


def test_skills_are_stored_as_a_list_and_a_row_from_before_skills_names_none(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    db = sqlite3.connect(path)
    db.executescript(
        MIGRATIONS[0]
        + ";"
        + MIGRATIONS[1]
        + "; CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (2);"
    )
    db.execute(
        "INSERT INTO tasks (id, task, state, created, updated) VALUES ('old', 'old task', 'queued', 1, 1)"
    )
    db.commit()
    db.close()
    store = Store(path)
    assert store.task("old").skills == []
    store.add_task(TaskRow(id="new", task="fix it", state="queued", skills=["test-first-bug-fix"]))
    assert store.task("new").skills == ["test-first-bug-fix"]
