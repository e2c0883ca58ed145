"""The session store: SQLite in WAL mode in the repository's git directory.

Tables: `tasks` (one row per task, its latest state and counters) and `events` (the
append-only log; its INTEGER PRIMARY KEY is the session's monotonic `seq`). An event is
appended — and so gets its seq — before anyone sees it, so replaying from any seq shows
exactly what happened.

Durability: `journal_mode=WAL` with `synchronous=NORMAL`. Every append is its own
transaction; a commit reaches the WAL file in the OS page cache before `append` returns,
so kill -9 of the process loses nothing. Only a power loss or kernel crash can drop the
last transactions (WAL is fsynced at checkpoints, not at every commit) — never corrupt
the database.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from agentdeck.events import Event, parse_event
from agentdeck.faults import fault_point
from agentdeck.runtime import store_health
from agentdeck.runtime.store_space import Reserve, full_message, is_full
from agentdeck.runtime.task_records import (
    ChangeStatsRecord,
    CheckRecord,
    DecisionRecord,
    FeedbackRecord,
    TestsRecord,
    VerdictRecord,
)
from agentdeck.task_state import TaskState

DB_NAME = "session.db"

# Applied in order; schema_version holds how many ran. Append, never edit.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        task TEXT NOT NULL,
        state TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        after_id TEXT,
        foreground INTEGER NOT NULL DEFAULT 0,
        model TEXT,
        source TEXT NOT NULL DEFAULT 'cli',
        created REAL NOT NULL,
        updated REAL NOT NULL,
        started REAL,
        ended REAL,
        branch TEXT,
        worktree TEXT,
        base_commit TEXT,
        summary TEXT,
        error TEXT,
        reason TEXT,
        steps INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0,
        context_fraction REAL,
        plan TEXT,
        resume INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        task_id TEXT,
        agent_id TEXT,
        type TEXT NOT NULL,
        json TEXT NOT NULL
    );
    CREATE INDEX events_task ON events (task_id, seq);
    """,
    # 2: verification and review. JSON columns hold the pydantic payloads of events.py.
    """
    ALTER TABLE tasks ADD COLUMN base_branch TEXT;
    ALTER TABLE tasks ADD COLUMN tests TEXT;
    ALTER TABLE tasks ADD COLUMN verdict TEXT;
    ALTER TABLE tasks ADD COLUMN checks TEXT;
    ALTER TABLE tasks ADD COLUMN stats TEXT;
    ALTER TABLE tasks ADD COLUMN feedback TEXT;
    ALTER TABLE tasks ADD COLUMN decision TEXT;
    ALTER TABLE tasks ADD COLUMN cleaned REAL
    """,
    # 3: the skills a task names (a JSON list of names).
    """
    ALTER TABLE tasks ADD COLUMN skills TEXT
    """,
    # 4: best-of-N. Tasks of one `queue add --attempts N` share attempt_group; the judge's
    # ranking of a group is kept once per group (an AttemptRanking of events.py, as JSON).
    """
    ALTER TABLE tasks ADD COLUMN attempt_group TEXT;
    ALTER TABLE tasks ADD COLUMN attempt INTEGER;
    CREATE TABLE attempt_rankings (
        attempt_group TEXT PRIMARY KEY,
        ranking TEXT NOT NULL,
        ts REAL NOT NULL
    )
    """,
    # 5: the role a task picked from [roles] (NULL: the executor).
    """
    ALTER TABLE tasks ADD COLUMN role TEXT
    """,
    # 6: sprints. A role task belongs to a sprint and may wait for several tasks (depends_on, JSON list).
    """
    ALTER TABLE tasks ADD COLUMN sprint_id TEXT;
    ALTER TABLE tasks ADD COLUMN depends_on TEXT;
    CREATE TABLE sprints (
        id TEXT PRIMARY KEY,
        feature TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        created REAL NOT NULL,
        updated REAL NOT NULL,
        data TEXT NOT NULL
    )
    """,
]


@dataclass
class TaskRow:
    """One task as stored."""

    id: str
    task: str
    state: TaskState
    priority: int = 0
    after_id: str | None = None
    foreground: bool = False
    model: str | None = None
    source: str = "cli"
    created: float = 0.0
    updated: float = 0.0
    started: float | None = None
    ended: float | None = None
    branch: str | None = None
    worktree: str | None = None
    base_commit: str | None = None
    summary: str | None = None
    error: str | None = None
    reason: str | None = None
    steps: int = 0
    cost_usd: float = 0.0
    tokens: int = 0
    context_fraction: float | None = None
    plan: str | None = None
    resume: bool = False
    # The branch the task started from (your HEAD's branch then): where `merge` lands it.
    base_branch: str | None = None
    # JSON columns (shapes in task_records.py): the last verification's tests, verdict, checks, stats.
    tests: TestsRecord | None = None
    verdict: VerdictRecord | None = None
    checks: list[CheckRecord] | None = None
    stats: ChangeStatsRecord | None = None
    # Change requests; undelivered ones go into the next run's context.
    feedback: list[FeedbackRecord] | None = None
    # What you decided, and how it landed.
    decision: DecisionRecord | None = None
    # When `agentdeck cleanup` removed its worktree.
    cleaned: float | None = None
    # Names of the skills the task names (JSON list; NULL in rows from before skills: none).
    skills: list[str] = field(default_factory=list[str])
    # Best-of-N: the group of attempts at one task this row belongs to, and its number (1..N).
    attempt_group: str | None = None
    attempt: int | None = None
    # The role of [roles] the task runs as; None: the executor.
    role: str | None = None
    # The sprint this task is part of (a role task, or the sprint's integration task itself).
    sprint_id: str | None = None
    # Task ids that must have finished (and been verified) before this one starts, beside after_id.
    depends_on: list[str] | None = None

    def __post_init__(self) -> None:
        self.state = TaskState(self.state)  # SQLite hands back the plain string

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_TASK_COLUMNS = [f.name for f in fields(TaskRow)]
_JSON_COLUMNS = {"tests", "verdict", "checks", "stats", "feedback", "decision", "skills", "depends_on"}


@dataclass
class SprintRow:
    """One sprint as stored: its feature, state, and `data` (plan, contracts, tasks, integration; JSON)."""

    id: str
    feature: str
    state: str
    reason: str = ""
    created: float = 0.0
    updated: float = 0.0
    data: dict[str, Any] = field(default_factory=dict[str, Any])


def _encode(name: str, value: Any) -> Any:
    return json.dumps(value) if name in _JSON_COLUMNS and value is not None else value


class StoreError(Exception):
    """The store cannot be opened or is from a newer agentdeck."""


class StoreFull(StoreError):
    """A write failed because the disk is full (even after the reserve was given up); nothing was written."""


class Store:
    """The session's tasks and event log. Not thread-safe: one owner (the daemon's loop)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we open transactions ourselves, so each append is one.
            self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            problem = store_health.check_whole(self._db, self.path)
            if problem is None:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                problem = store_health.check_writable(self._db, self.path)
            if problem is not None:
                self._db.close()
                raise StoreError(problem)
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            if getattr(self, "_db", None) is not None:
                self._db.close()
            raise StoreError(f"cannot open the session store {self.path}: {exc}") from exc
        self.last_seq: int = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        self.reserve = Reserve(self.path)
        # Why writing stopped (see store_space), or None; set when a write first hit a full disk.
        self.full: str | None = None if self.reserve.restore() else full_message(self.path)

    def _write(self, sql: str, params: Sequence[object]) -> sqlite3.Cursor:
        """One statement in its own transaction; on a full disk, give up the reserve once and retry."""
        try:
            return self._db.execute(sql, params)
        except sqlite3.OperationalError as exc:
            if not is_full(exc):
                raise
            self.full = full_message(self.path)
            if not self.reserve.release():
                raise StoreFull(self.full) from exc
        try:
            return self._db.execute(sql, params)
        except sqlite3.OperationalError as exc:
            if is_full(exc):
                raise StoreFull(self.full) from exc
            raise

    def space_back(self) -> bool:
        """After a full disk: True (and writing allowed again) once the reserve could be written again."""
        if self.full is not None and self.reserve.restore():
            self.full = None
            return True
        return False

    def close(self) -> None:
        self._db.close()

    # -- schema ------------------------------------------------------------------------

    def _migrate(self) -> None:
        db = self._db
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by a newer agentdeck (schema {version}, this one knows "
                f"{len(MIGRATIONS)}): upgrade agentdeck"
            )
        for number in range(version, len(MIGRATIONS)):
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("DELETE FROM schema_version")
                db.execute("INSERT INTO schema_version (version) VALUES (?)", (number + 1,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return self._db.execute("SELECT version FROM schema_version").fetchone()[0]

    # -- events ------------------------------------------------------------------------

    def append(self, event: Event) -> int:
        """Write `event` to the log, stamping it with its seq; returns the seq."""
        payload = event.model_dump(mode="json")
        payload.pop("seq", None)
        cursor = self._write(
            "INSERT INTO events (ts, task_id, agent_id, type, json) VALUES (?, ?, ?, ?, ?)",
            (event.ts, event.task_id, event.agent_id, payload.get("type", "?"), json.dumps(payload)),
        )
        assert cursor.lastrowid is not None  # an INSERT always sets it
        event.seq = cursor.lastrowid
        self.last_seq = event.seq
        fault_point("events:after-append")
        return event.seq

    def events(
        self, after_seq: int = 0, *, upto: int | None = None, task_id: str | None = None, batch: int = 1000
    ) -> Iterator[Event]:
        """Events with `after_seq < seq <= upto`, in seq order, optionally of one task."""
        upto = self.last_seq if upto is None else upto
        cursor = after_seq
        while cursor < upto:
            if task_id is None:
                rows = self._db.execute(
                    "SELECT seq, json FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                    (cursor, upto, batch),
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT seq, json FROM events WHERE task_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                    (task_id, cursor, upto, batch),
                ).fetchall()
            if not rows:
                return
            for seq, text in rows:
                data = json.loads(text)
                data["seq"] = seq
                yield parse_event(data)
            cursor = rows[-1][0]

    # -- tasks -------------------------------------------------------------------------

    def add_task(self, row: TaskRow) -> None:
        now = time.time()
        row.created = row.created or now
        row.updated = now
        values = [_encode(name, getattr(row, name)) for name in _TASK_COLUMNS]
        marks = ", ".join("?" for _ in _TASK_COLUMNS)
        self._write(f"INSERT INTO tasks ({', '.join(_TASK_COLUMNS)}) VALUES ({marks})", values)

    def update_task(self, task_id: str, **changes: Any) -> None:
        unknown = set(changes) - set(_TASK_COLUMNS)
        if unknown:
            raise ValueError(f"unknown task columns: {sorted(unknown)}")
        changes["updated"] = time.time()
        assignments = ", ".join(f"{name} = ?" for name in changes)
        values = [_encode(name, value) for name, value in changes.items()]
        self._write(f"UPDATE tasks SET {assignments} WHERE id = ?", [*values, task_id])

    def task(self, task_id: str) -> TaskRow | None:
        row = self._db.execute(
            f"SELECT {', '.join(_TASK_COLUMNS)} FROM tasks WHERE id = ?", (task_id,)
        ).fetchone()
        return self._row(row) if row else None

    def tasks(self) -> list[TaskRow]:
        rows = self._db.execute(
            f"SELECT {', '.join(_TASK_COLUMNS)} FROM tasks ORDER BY created, id"
        ).fetchall()
        return [self._row(row) for row in rows]

    def group(self, attempt_group: str) -> list[TaskRow]:
        """The attempts of one group, by attempt number."""
        rows = self._db.execute(
            f"SELECT {', '.join(_TASK_COLUMNS)} FROM tasks WHERE attempt_group = ? ORDER BY attempt, id",
            (attempt_group,),
        ).fetchall()
        return [self._row(row) for row in rows]

    # -- attempt rankings --------------------------------------------------------------

    def set_ranking(self, attempt_group: str, ranking: dict[str, Any]) -> None:
        """Keep the judge's ranking of a group (replacing an earlier one)."""
        self._write(
            "INSERT OR REPLACE INTO attempt_rankings (attempt_group, ranking, ts) VALUES (?, ?, ?)",
            (attempt_group, json.dumps(ranking), time.time()),
        )

    def drop_ranking(self, attempt_group: str) -> None:
        self._write("DELETE FROM attempt_rankings WHERE attempt_group = ?", (attempt_group,))

    def rankings(self) -> dict[str, dict[str, Any]]:
        """Every group's ranking, by group id."""
        rows = self._db.execute("SELECT attempt_group, ranking FROM attempt_rankings").fetchall()
        return {group: json.loads(text) for group, text in rows}

    @staticmethod
    def _row(row: tuple[Any, ...]) -> TaskRow:
        # One value per _TASK_COLUMNS name, as SQLite gives it back; JSON columns decoded below.
        data: dict[str, Any] = dict(zip(_TASK_COLUMNS, row))
        for name in _JSON_COLUMNS:
            if data[name] is not None:
                data[name] = json.loads(data[name])
        task = TaskRow(**data)
        task.foreground = bool(task.foreground)
        task.resume = bool(task.resume)
        task.skills = task.skills or []
        return task

    # -- sprints -----------------------------------------------------------------------

    def add_sprint(self, row: SprintRow) -> None:
        now = time.time()
        row.created = row.created or now
        row.updated = now
        self._write(
            "INSERT INTO sprints (id, feature, state, reason, created, updated, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (row.id, row.feature, row.state, row.reason, row.created, row.updated, json.dumps(row.data)),
        )

    def update_sprint(
        self, sprint_id: str, *, state: str | None = None, reason: str | None = None, **data: Any
    ) -> None:
        """Set the sprint's state and reason, and merge `data` into its JSON data."""
        row = self.sprint(sprint_id)
        if row is None:
            raise ValueError(f"unknown sprint {sprint_id}")
        row.data.update(data)
        self._write(
            "UPDATE sprints SET state = ?, reason = ?, updated = ?, data = ? WHERE id = ?",
            (
                state or row.state,
                row.reason if reason is None else reason,
                time.time(),
                json.dumps(row.data),
                sprint_id,
            ),
        )

    def sprint(self, sprint_id: str) -> SprintRow | None:
        found = self._db.execute(
            "SELECT id, feature, state, reason, created, updated, data FROM sprints WHERE id = ?",
            (sprint_id,),
        ).fetchone()
        return _sprint_row(found) if found else None

    def sprints(self) -> list[SprintRow]:
        rows = self._db.execute(
            "SELECT id, feature, state, reason, created, updated, data FROM sprints ORDER BY created, id"
        ).fetchall()
        return [_sprint_row(row) for row in rows]


def _sprint_row(row: tuple[str, str, str, str, float, float, str]) -> SprintRow:
    """A row of `SELECT id, feature, state, reason, created, updated, data FROM sprints`."""
    sprint_id, feature, state, reason, created, updated, data = row
    return SprintRow(sprint_id, feature, state, reason, created, updated, json.loads(data))
