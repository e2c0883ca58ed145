"""A sprint from the cockpit: its key asks for the feature, shows the plan, and Enter starts it."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from tests.tui.conftest import started_cockpit
from tests.tui.test_cockpit import SIZE, typed
from tests.tui.waiting import wait_until

FEATURE = "Add an export to CSV with tests and docs"


async def test_the_sprint_key_shows_the_plan_and_enter_starts_the_sprint(repo: Path) -> None:
    session, app = await started_cockpit(repo)
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        await pilot.press("f3", *typed(FEATURE), "enter")
        await wait_until(app, lambda: type(app.screen).__name__ == "SprintPlanScreen")
        table = app.screen.query_one("#sprint-plan")
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [
            "core",
            "cli",
            "tests",
            "docs",
        ]
        assert session.store.tasks() == []  # nothing starts before you confirm
        # The planner's test command runs on the merged result: it is on screen before you start.
        shown = " ".join(str(label.render()) for label in app.screen.query("Label.warning"))
        assert "tests on the whole" in shown and "unittest" in shown
        await pilot.press("enter")
        await wait_until(app, lambda: any(v.sprint_id for v in app.state.tasks.values()))
        sprint_id = next(v.sprint_id for v in app.state.tasks.values() if v.sprint_id)
        assert {row.sprint_id for row in session.store.tasks()} == {sprint_id}
        table = app.cockpit.queue.table
        core = f"{sprint_id}-core"
        await wait_until(app, lambda: core in [row.key.value for row in table.ordered_rows])
        cell = table.get_row(core)[1]
        # Grouped under the sprint's id, shown as written (a str cell would read "[...]" as markup).
        assert isinstance(cell, Text) and cell.plain.startswith(f"[{sprint_id}]")
    await session.shutdown()


async def test_escape_on_the_plan_starts_nothing(repo: Path) -> None:
    session, app = await started_cockpit(repo)
    async with app.run_test(size=SIZE) as pilot:
        await app.cockpit.wait_attached()
        await pilot.press("f3", *typed(FEATURE), "enter")
        await wait_until(app, lambda: type(app.screen).__name__ == "SprintPlanScreen")
        await pilot.press("escape")
        await wait_until(app, lambda: type(app.screen).__name__ == "CockpitScreen")
        assert session.store.tasks() == [] and session.store.sprints() == []
    await session.shutdown()


async def test_the_demo_cockpit_starts_one_sprint_among_its_tasks(repo: Path) -> None:
    from agentdeck.commands.cockpit import DEMO_SPRINT
    from tests.tui.conftest import cockpit_for, make_live_session

    session = make_live_session(repo)
    await session.start()
    app = cockpit_for(session, seed_tasks=[("take notes on the project", False)], seed_sprint=DEMO_SPRINT)
    async with app.run_test(size=SIZE):
        await app.cockpit.wait_attached()
        await wait_until(app, lambda: len({v.sprint_id for v in app.state.tasks.values()}) == 2)
        sprints = session.store.sprints()
        assert [s.feature for s in sprints] == [DEMO_SPRINT]
        assert len([r for r in session.store.tasks() if r.sprint_id]) == 5  # four roles and the integration
    await session.shutdown()
