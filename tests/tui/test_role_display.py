"""A task's role shows where you look at it: the pane's title and header, and the queue's task cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdeck.api import Enqueue
from tests.support.git_repos import make_repo
from tests.support.scripted_model import Turn
from tests.support.scripted_session import scripted_session
from tests.tui.conftest import cockpit_for
from tests.tui.waiting import wait_until

SIZE = (200, 42)


async def test_the_pane_and_the_queue_show_the_tasks_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = '[roles.database]\nprompt = "Migrations must be reversible."\n'
    repo = make_repo(tmp_path / "repo", {"README.md": "# Demo\n", "agentdeck.toml": toml})
    session, _ = scripted_session(repo, monkeypatch, [Turn("Thinking.", hang=True)] * 2, stall_seconds=60)
    session.settings.ui.os_notifications = False
    await session.start()
    app = cockpit_for(session)
    async with app.run_test(size=SIZE):
        await app.cockpit.wait_attached()
        shown = (
            await session.execute(Enqueue(task="add an index", foreground=True, role="database"))
        ).task_id
        queued = (await session.execute(Enqueue(task="drop the old table", role="database"))).task_id
        await wait_until(
            app,
            lambda: (
                shown in app.cockpit.panes
                and "· database" in str(app.cockpit.panes[shown].activity_line.render())
            ),
        )
        assert str(app.cockpit.panes[shown].title_line.render()).startswith("[database] add an index")
        await wait_until(app, lambda: queued in app.cockpit.queue.table.rows)
        assert str(app.cockpit.queue.table.get_cell(queued, "task")).startswith("database · drop the old")
    await session.shutdown()
