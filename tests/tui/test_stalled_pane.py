"""A stalled agent in the cockpit: its pane says so and why, you are called once, and a key resumes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdeck.api import Enqueue
from tests.support.scripted_model import Turn, call, finish
from tests.support.scripted_session import scripted_session, state_is, wait_for
from tests.tui.conftest import cockpit_for
from tests.tui.waiting import wait_until

SIZE = (140, 42)


async def test_a_stalled_pane_says_why_calls_once_and_resumes_on_its_key(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _ = scripted_session(
        repo, monkeypatch, [Turn(calls=[call("run", command="sleep 60")]), finish("went on")]
    )
    session.settings.ui.os_notifications = False
    await session.start()
    app = cockpit_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        task_id = (await session.execute(Enqueue(task="sleep a while", foreground=True))).task_id
        await wait_for(session, state_is(task_id, "stalled"))
        await wait_until(
            app, lambda: task_id in app.cockpit.panes and app.state.tasks[task_id].state == "stalled"
        )
        pane = app.cockpit.panes[task_id]
        await wait_until(app, lambda: "⚠ stalled" in str(pane.activity_line.render()))
        assert "from `sleep 60`" in str(pane.activity_line.render())
        await wait_until(app, lambda: any(b.tone == "stalled" for b in app.state.transcripts[task_id].blocks))
        assert app.announced == [(task_id, "is stalled")]

        pane.steer_input.focus()
        await pilot.press("ctrl+r")
        await wait_for(session, state_is(task_id, "finished"))
        # A result that changed nothing is marked merged at once: finished may be gone already.
        await wait_until(app, lambda: app.state.tasks[task_id].state in ("finished", "merged"))
        assert app.announced == [(task_id, "is stalled"), (task_id, "finished")]
    await session.shutdown()
