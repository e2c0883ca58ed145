"""Cockpit test fixtures: a real repository, a real session, and the app attached to it in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from agentdeck.cockpit_settings import CockpitSettings
from agentdeck.config import load_settings
from agentdeck.runtime.session import Session
from agentdeck.runtime.store import Store
from agentdeck.tui.app import CockpitApp
from agentdeck.tui.link import InProcessLink
from tests.tui.recorded import NOW, recorded_session


def make_live_session(repo: Path, tokens_per_second: float = 0, **session_keys) -> Session:
    settings = load_settings(repo)
    settings.demo.tokens_per_second = tokens_per_second
    settings.ui.os_notifications = False  # a test must not pop up on the developer's desktop
    for key, value in session_keys.items():
        setattr(settings.session, key, value)
    return Session(repo, settings, Store(repo / ".git" / "agentdeck" / "session.db"))


def cockpit_for(session: Session, label: str = "repo", **kwargs) -> CockpitApp:
    return CockpitApp(
        InProcessLink(session, label), CockpitSettings.from_settings(session.settings), **kwargs
    )


async def started_cockpit(repo: Path, tokens_per_second: float = 0) -> tuple[Session, CockpitApp]:
    """A live session on `repo`, started, and a cockpit for it (not yet running)."""
    session = make_live_session(repo, tokens_per_second)
    await session.start()
    return session, cockpit_for(session)


async def pane_showing(app: CockpitApp, session: Session, text: str, task: str = "look around") -> str:
    """Enqueue a foreground `task`, wait until its pane's activity line shows `text`; its id."""
    from agentdeck.api import Enqueue
    from tests.tui.waiting import wait_until

    await app.cockpit.wait_attached()
    task_id = (await session.execute(Enqueue(task=task, foreground=True))).task_id
    await wait_until(
        app,
        lambda: (
            task_id in app.cockpit.panes and text in str(app.cockpit.panes[task_id].activity_line.render())
        ),
    )
    return task_id


def still(app: CockpitApp) -> None:
    """No blinking cursor, so a snapshot is the same on every run."""
    for widget in app.query(Input):
        widget.cursor_blink = False


@pytest.fixture
def recorded_app(tmp_path: Path):
    """make(panes, background) -> a cockpit on a recorded session with a fixed clock."""

    def make(panes: int, background: int = 4) -> CockpitApp:
        session = recorded_session(tmp_path, panes, background)
        session.settings.ui.os_notifications = False
        return cockpit_for(session, label="invoice-tools", clock=lambda: NOW)

    return make
