"""The queue panel: the first frame goes out without its table, and nothing shown before the table is lost."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from agentdeck.task_state import TaskState
from agentdeck.tui.cockpit_state import TaskView
from agentdeck.tui.widgets.queue_panel import QueuePanel
from tests.tui.waiting import wait_until

COUNTS = {"running": 1, "queued": 1, "need_you": 0}


class ShowsAtOnce(App[None]):
    """Shows two tasks from its own on_mount: before the panel has mounted its table."""

    def compose(self) -> ComposeResult:
        yield QueuePanel()

    def on_mount(self) -> None:
        panel = self.query_one(QueuePanel)
        self.tables_when_shown = len(panel.query(DataTable))
        views = [
            TaskView(id="write-notes", task="write notes", state=TaskState.RUNNING, created=1.0),
            TaskView(id="fix-todos", task="fix the TODOs", created=2.0),
        ]
        panel.show(views, COUNTS, now=0.0)


async def test_tasks_shown_before_the_table_is_mounted_appear_in_it() -> None:
    app = ShowsAtOnce()
    async with app.run_test(size=(120, 20)):
        panel = app.query_one(QueuePanel)
        await wait_until(app, lambda: panel.table.is_mounted and panel.table.row_count == 2)
        assert app.tables_when_shown == 0
        assert [row.key.value for row in panel.table.ordered_rows] == ["fix-todos", "write-notes"]
        assert panel.table.display and not panel.empty.display
        assert str(panel.summary.render()).startswith("1 running · 1 queued")
