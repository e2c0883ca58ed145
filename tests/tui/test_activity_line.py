"""A pane too narrow for its activity line cuts it between parts, and keeps UNCONFINED in sight."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.geometry import Region

from agentdeck.tui.widgets.line import Part, fit_parts
from tests.support.scripted_model import Turn
from tests.support.scripted_session import scripted_session
from tests.tui.conftest import cockpit_for, pane_showing
from tests.tui.waiting import wait_until


async def test_a_narrow_pane_cuts_its_activity_line_between_parts_and_keeps_unconfined(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTDECK_SANDBOX__MODE", "off")
    session, _ = scripted_session(repo, monkeypatch, [Turn("Thinking.", hang=True)], stall_seconds=60)
    session.settings.ui.os_notifications = False
    await session.start()
    app = cockpit_for(session)
    async with app.run_test(size=(120, 30)) as pilot:
        task_id = await pane_showing(app, session, "UNCONFINED")
        line = app.cockpit.panes[task_id].activity_line
        shown = {}
        # From a width that holds the whole line down to one that barely holds the warning, in
        # steps narrower than any part, so that a cut falls inside or just after every part.
        for columns in range(90, 19, -3):
            await pilot.resize_terminal(columns, 30)
            # One pane spans the screen: its border and padding take four columns.
            await wait_until(app, lambda width=columns - 4: line.size.width == width)
            shown[columns] = line.render_lines(Region(0, 0, line.outer_size.width, 1))[0].text.strip()
        assert shown[90] == f"● running  thinking  UNCONFINED   {task_id} · scripted · executor"
        for columns, text in shown.items():
            assert text.startswith("●"), (columns, text)
            assert "UNCONFINED" in text, (columns, text)
            assert not text.endswith("·"), (columns, text)
    await session.shutdown()


def test_the_first_part_that_does_not_fit_is_ellipsised_or_left_out_with_its_joint() -> None:
    parts = [Part("● running"), Part("read notes.md", joint="  "), Part("task-1", joint="   "), Part("demo")]
    assert fit_parts(parts, 80).plain == "● running  read notes.md   task-1 · demo"
    assert fit_parts(parts, 38).plain == "● running  read notes.md   task-1"
    assert fit_parts(parts, 31).plain == "● running  read notes.md   tas…"
    assert fit_parts(parts, 29).plain == "● running  read notes.md"  # "   t…" says nothing
    assert fit_parts(parts, 18).plain == "● running  read n…"
    assert fit_parts(parts, 4).plain == "● r…"


def test_a_pinned_part_stays_and_the_parts_before_it_make_room() -> None:
    parts = [
        Part("● running"),
        Part("read notes.md", joint="  "),
        Part("UNCONFINED", joint="  ", pinned=True),
    ]
    parts.append(Part("task-1", joint="   "))
    assert fit_parts(parts, 80).plain == "● running  read notes.md  UNCONFINED   task-1"
    assert fit_parts(parts, 30).plain == "● running  read n…  UNCONFINED"
    assert fit_parts(parts, 24).plain == "● running  UNCONFINED"
    assert fit_parts(parts, 14).plain == "●…  UNCONFINED"
    assert fit_parts(parts, 8).plain == "UNCONFI…"  # narrower than the warning: nothing else


def test_no_width_shows_nothing_and_an_empty_part_leaves_no_joint() -> None:
    parts = [Part("running"), Part("", joint="  "), Part("UNCONFINED", joint="  ", pinned=True)]
    assert fit_parts(parts, 0).plain == ""
    assert fit_parts([Part("running"), Part("")], 40).plain == "running"
    assert fit_parts(parts, 40).plain == "running  UNCONFINED"
