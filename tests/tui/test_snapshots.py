"""Snapshots of the main screens, from a recorded session (fixed ids, times and transcripts).

Update them after a deliberate change with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the SVGs before committing.
"""

from __future__ import annotations

from tests.tui.conftest import still

SIZE = (140, 42)


async def settle(pilot) -> None:
    app = pilot.app
    await app.cockpit.wait_attached()
    # Each pane reads its history in a worker; the screen is ready when all have.
    await app.cockpit.wait_until(lambda: bool(app.cockpit.panes) and all(p.history_loaded for p in app.cockpit.panes.values()))
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
