"""The pane header says how the agent's commands run: dimly when confined, loudly when not."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdeck.agent.tools.sandbox import check_bwrap
from tests.support.scripted_model import Turn, call, finish
from tests.support.scripted_session import scripted_session
from tests.tui.conftest import cockpit_for, pane_showing

SIZE = (200, 42)


@pytest.mark.parametrize(
    ("mode", "marker"),
    [
        ("off", "UNCONFINED"),
        pytest.param(
            "bwrap",
            "· sandbox: bwrap, network off",
            marks=pytest.mark.skipif(
                not check_bwrap("bwrap").ok, reason="bubblewrap cannot confine commands here"
            ),
        ),
    ],
)
async def test_the_pane_header_shows_the_sandbox(
    repo: Path, monkeypatch: pytest.MonkeyPatch, mode: str, marker: str
) -> None:
    monkeypatch.setenv("AGENTDECK_SANDBOX__MODE", mode)
    session, _ = scripted_session(
        repo, monkeypatch, [Turn("Looking.", [call("run", command="true")]), finish()], stall_seconds=60
    )
    session.settings.ui.os_notifications = False
    await session.start()
    app = cockpit_for(session)
    async with app.run_test(size=SIZE):
        task_id = await pane_showing(app, session, marker)
        shown = str(app.cockpit.panes[task_id].activity_line.render())
        if mode == "off":  # before the id and model, so that a narrow pane still shows it
            assert shown.index("UNCONFINED") < shown.index(task_id)
    await session.shutdown()
