"""An in-process session whose executor is a scripted model: real worktrees, tools and store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentdeck.config import ModelRole, load_settings
from agentdeck.events import Event, TaskStateChanged
from agentdeck.runtime import task_start
from agentdeck.runtime.session import Session
from agentdeck.runtime.store import Store
from tests.support.scripted_model import ScriptedModel, Turn


async def wait_for(session: Session, predicate, timeout: float = 30.0, from_seq: int = 0) -> Event:
    """The first event after `from_seq` (stored, then live) for which `predicate` is true."""

    async def scan():
        async for event in session.subscribe(from_seq):
            if predicate(event):
                return event

    return await asyncio.wait_for(scan(), timeout)


def state_is(task_id: str, *states: str, previous: str | None = None):
    return lambda e: (
        isinstance(e, TaskStateChanged)
        and e.task_id == task_id
        and e.state in states
        and (previous is None or e.previous == previous)
    )


def scripted_session(
    repo: Path, monkeypatch: pytest.MonkeyPatch, turns: list[Turn], stall_seconds: float = 0.5
) -> tuple[Session, ScriptedModel]:
    """A session (not started) whose tasks run on `turns`; no plan, no verification."""
    scripted = ScriptedModel(turns)
    original = task_start.client_for
    monkeypatch.setattr(
        task_start,
        "client_for",
        lambda role, settings: scripted if role.model == "scripted" else original(role, settings),
    )
    settings = load_settings(repo)
    settings.executor = ModelRole(model="scripted", context_window=100_000)
    settings.plan.background = False
    settings.plan.foreground = False
    settings.review.verify = False
    settings.session.stall_seconds = stall_seconds
    return Session(repo, settings, Store(repo / ".git" / "agentdeck" / "session.db")), scripted
