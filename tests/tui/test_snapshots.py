"""Snapshots of the main screens, from a recorded session (fixed ids, times and transcripts).

Update them after a deliberate change with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the SVGs before committing.
"""

from __future__ import annotations

from tests.tui.conftest import still
from tests.tui.waiting import wait_until

SIZE = (140, 42)


async def settle(pilot) -> None:
    app = pilot.app
    await app.cockpit.wait_attached()
    # Each pane reads its history in a worker; the screen is ready when all have.
    await wait_until(
        app, lambda: bool(app.cockpit.panes) and all(p.history_loaded for p in app.cockpit.panes.values())
    )
    await pilot.pause()
    still(app)
    await pilot.pause()


def test_dashboard_with_one_pane(snap_compare, recorded_app) -> None:
    assert snap_compare(recorded_app(1), terminal_size=SIZE, run_before=settle)


def test_dashboard_with_two_panes(snap_compare, recorded_app) -> None:
    assert snap_compare(recorded_app(2), terminal_size=SIZE, run_before=settle)


def test_dashboard_with_four_panes(snap_compare, recorded_app) -> None:
    assert snap_compare(recorded_app(4), terminal_size=(160, 48), run_before=settle)


def test_queue_panel_focused_with_a_row_selected(snap_compare, recorded_app) -> None:
    async def focus_queue(pilot) -> None:
        await settle(pilot)
        await pilot.press("ctrl+b", "down")

    assert snap_compare(recorded_app(1), terminal_size=SIZE, run_before=focus_queue)


def test_help_screen_lists_every_key(snap_compare, recorded_app) -> None:
    async def open_help(pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")

    assert snap_compare(recorded_app(2), terminal_size=SIZE, run_before=open_help)


def test_review_screen_with_findings_at_their_lines(snap_compare, tmp_path) -> None:
    from tests.tui.conftest import cockpit_for
    from tests.tui.recorded import NOW, review_session

    session = review_session(tmp_path)
    session.settings.ui.os_notifications = False
    app = cockpit_for(session, label="invoice-tools", clock=lambda: NOW, start_on="review")

    async def shown(pilot) -> None:
        screen = pilot.app.screen
        await wait_until(screen.app, lambda: screen.shown is not None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=shown)
