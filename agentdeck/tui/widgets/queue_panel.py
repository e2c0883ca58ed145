"""The background queue: every task without a pane, as a sortable table, and a one-line summary."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from agentdeck.task_state import TaskState
from agentdeck.text import one_line
from agentdeck.tui.cockpit_state import TaskView
from agentdeck.tui.colours import theme_style
from agentdeck.tui.widgets.line import Line

# (key, label, width): fixed widths, so the table stays still as values change.
COLUMNS = (
    ("id", "ID", 26),
    ("task", "TASK", 34),
    ("state", "STATE", 10),
    ("progress", "PROGRESS", 28),
    ("verdict", "VERDICT", 12),
    ("cost", "COST", 6),
    ("age", "AGE", 4),
)
# What `s` cycles through, and how each column sorts (the state column: what needs you first).
SORTS = ("age", "state", "cost", "progress", "id")
STATE_ORDER = {
    TaskState.WAITING: 0,
    TaskState.STALLED: 0,
    TaskState.FAILED: 1,
    TaskState.FINISHED: 2,
    TaskState.VERIFYING: 3,
    TaskState.RUNNING: 4,
    TaskState.QUEUED: 5,
    TaskState.INTERRUPTED: 6,
}
STATE_STYLE = {
    TaskState.WAITING: "bold $warning",
    TaskState.STALLED: "bold $warning",
    TaskState.FAILED: "bold $error",
    TaskState.FINISHED: "$success",
    TaskState.RUNNING: "$primary",
    TaskState.VERIFYING: "$accent",
}


def age(seconds: float) -> str:
    """Coarse on purpose: a queue is read in minutes, and seconds would redraw every row."""
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def summary_line(counts: dict[str, int], disk: str | None = None) -> str:
    line = f"{counts['running']} running · {counts['queued']} queued · {counts['need_you']} need you"
    return f"{line} · {disk}" if disk else line


class QueuePanel(Vertical):
    """Select a task to peek at it, promote it to a pane, cancel it, or move it in the queue."""

    DEFAULT_CSS = """
    QueuePanel { height: auto; max-height: 40%; border-top: solid $panel-lighten-2; }
    QueuePanel > .queue-summary { height: 1; padding: 0 1; text-style: bold; }
    QueuePanel > .queue-summary.-need-you { color: $warning; }
    QueuePanel > DataTable { height: auto; max-height: 14; }
    QueuePanel > .queue-empty { color: $foreground-muted; padding: 0 1; }
    """

    BINDINGS = [
        Binding(
            "enter", "peek", "Peek", id="queue.peek", tooltip="Watch the selected task's live transcript"
        ),
        Binding(
            "p", "promote", "Promote", id="queue.promote", tooltip="Give the selected task a foreground pane"
        ),
        # Not a letter: a letter typed by mistake (meant for a steer input) must not cancel work.
        Binding(
            "delete",
            "cancel",
            "Cancel",
            id="queue.cancel",
            tooltip="Cancel the selected task (its work stays on its branch)",
        ),
        Binding(
            "plus,equals_sign",
            "priority(1)",
            "Up",
            id="queue.up",
            tooltip="Start the selected queued task sooner",
        ),
        Binding(
            "minus", "priority(-1)", "Down", id="queue.down", tooltip="Start the selected queued task later"
        ),
        Binding("s", "sort", "Sort", id="queue.sort", tooltip="Sort by the next column"),
        Binding(
            "r",
            "resume",
            "Resume",
            id="queue.resume",
            show=False,
            tooltip="Resume an interrupted, failed, waiting or stalled task",
        ),
    ]

    class ActionRequested(Message):
        """A key asked for something to happen to the selected task."""

        def __init__(self, action: str, task_id: str, value: int = 0) -> None:
            super().__init__()
            self.action = action
            self.task_id = task_id
            self.value = value

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.summary = Line(classes="queue-summary")
        self.table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="queue-table")
        self.empty = Static(
            "The queue is empty: agentdeck queue add TASK, or Ctrl+N here.", classes="queue-empty"
        )
        self.sort_by = "age"
        self._views: dict[str, TaskView] = {}
        self._shown: dict[str, tuple] = {}  # the cells last written, per row
        self._now = 0.0  # the clock of the last `show` (ages)
        self._table_ready = False
        self._waiting_show: tuple[list[TaskView], dict[str, int], float, str | None] | None = None

    def compose(self) -> ComposeResult:
        yield self.summary
        yield self.empty

    def on_mount(self) -> None:
        # The table comes a frame after the first: nothing is queued before the session is
        # reached, and mounting a DataTable (its CSS, its columns) costs the first frame ~10 ms.
        self.call_after_refresh(self._add_table)
        # After the app has recomputed its colours (a `theme` watcher would still see the old ones).
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._retheme())

    async def _add_table(self) -> None:
        self.table.display = False  # until `show` has rows for it
        await self.mount(self.table, before=self.empty)
        for key, label, width in COLUMNS:
            self.table.add_column(label, key=key, width=width)
        self._table_ready = True
        if self._waiting_show is not None:
            views, counts, now, disk = self._waiting_show
            self._waiting_show = None
            self.show(views, counts, now, disk)

    def _retheme(self) -> None:
        """Another theme: the coloured cells were made with the old colours; write them all again."""
        for view in self._views.values():
            cells = self._cells(view, self._now)
            for (key, _, _), value in zip(COLUMNS, cells):
                self.table.update_cell(view.id, key, value)
            self._shown[view.id] = cells

    @property
    def selected(self) -> str | None:
        if not self.table.row_count:
            return None
        try:
            row_key, _ = self.table.coordinate_to_cell_key(self.table.cursor_coordinate)
        except Exception:  # no row under the cursor
            return None
        return row_key.value

    def show(
        self, views: list[TaskView], counts: dict[str, int], now: float, disk: str | None = None
    ) -> None:
        """Bring the table in line with `views` (the tasks without a pane); `disk`: the worktrees' use, or the pause."""
        self._now = now
        self.summary.show_text(summary_line(counts, disk))
        self.summary.set_class(
            counts["need_you"] > 0 or bool(disk and disk.startswith("paused")), "-need-you"
        )
        if not self._table_ready:  # shown as soon as the table is mounted
            self._waiting_show = (views, counts, now, disk)
            self.empty.display = not views
            return
        selected = self.selected
        wanted = {v.id: v for v in views}
        for task_id in [k for k in self._views if k not in wanted]:
            self.table.remove_row(task_id)
            del self._views[task_id]
            self._shown.pop(task_id, None)
        for view in views:
            cells = self._cells(view, now)
            shown = self._shown.get(view.id)
            if shown is None:
                self.table.add_row(*cells, key=view.id)
            else:
                # Only the cells that changed: with 50 agents streaming, most do not between frames.
                for (key, _, _), value, before in zip(COLUMNS, cells, shown):
                    if str(value) != str(before):
                        self.table.update_cell(view.id, key, value)
            self._shown[view.id] = cells
            self._views[view.id] = view
        self._sort()
        self.empty.display = not views
        self.table.display = bool(views)
        if selected in wanted:
            self.table.move_cursor(row=self.table.get_row_index(selected), animate=False)

    def _cells(self, view: TaskView, now: float) -> tuple:
        state = Text(view.state, style=self._style(STATE_STYLE.get(view.state, "")))
        ctx = f" · ctx {view.context_fraction:.0%}" if view.context_fraction is not None else ""
        # A queued task has no progress yet: say what it waits for instead.
        progress = (
            one_line(view.waiting_reason, 28)
            if view.state == TaskState.QUEUED and view.waiting_reason
            else f"{view.steps} step{'s' if view.steps != 1 else ''}{ctx}"
        )
        # A sprint's tasks carry its id first, so they read as one group in any sort order.
        task = f"{view.role} · {view.task}" if view.role else view.task
        task = f"[{view.sprint_id}] {task}" if view.sprint_id else task
        return (
            view.id,
            Text(one_line(task, 34)),  # plain text: "[sprint-…]" and a task's own brackets are not markup
            state,
            progress,
            view.verdict or "—",
            f"${view.cost_usd:.2f}",
            age(now - view.created),
        )

    def _style(self, spec: str) -> str:
        """A Rich style from one with theme variables ("bold $warning"): DataTable cells are Rich text."""
        return theme_style(self.app, spec)

    def _sort(self) -> None:
        keys = {
            "age": lambda v: -v.created,
            "state": lambda v: (STATE_ORDER.get(v.state, 9), -v.created),
            "cost": lambda v: -v.cost_usd,
            "progress": lambda v: -(v.context_fraction or 0),
            "id": lambda v: v.id,
        }
        order = keys[self.sort_by]
        # A sprint's tasks stay together, in the place of its first task.
        first = {}
        for view in sorted(self._views.values(), key=order):
            first.setdefault(view.sprint_id or view.id, len(first))
        grouped = keys[self.sort_by]
        keys[self.sort_by] = lambda v: (first[v.sprint_id or v.id], grouped(v))
        order = keys[self.sort_by]
        ranked = [v.id for v in sorted(self._views.values(), key=order)]
        if ranked == [row.key.value for row in self.table.ordered_rows]:
            return  # a sort redraws every row (it resets the table's render caches)
        position = {task_id: i for i, task_id in enumerate(ranked)}
        # The id column holds the task id: sort rows by their rank in `ranked`.
        self.table.sort("id", key=lambda task_id: position.get(task_id, 0))

    # -- actions on the selected task -----------------------------------------------------

    def _request(self, action: str, value: int = 0) -> None:
        task_id = self.selected
        if task_id is None:
            self.app.notify("Select a task in the queue first.", severity="warning")
            return
        self.post_message(self.ActionRequested(action, task_id, value))

    def action_peek(self) -> None:
        self._request("peek")

    def action_promote(self) -> None:
        self._request("promote")

    def action_cancel(self) -> None:
        self._request("cancel")

    def action_resume(self) -> None:
        self._request("resume")

    def action_priority(self, delta: int) -> None:
        self._request("priority", delta)

    def action_sort(self) -> None:
        self.sort_by = SORTS[(SORTS.index(self.sort_by) + 1) % len(SORTS)]
        self._sort()
        self.app.notify(f"Queue sorted by {self.sort_by}.", timeout=2)

    @on(DataTable.HeaderSelected)
    def _header_sort(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value
        if key in SORTS:
            self.sort_by = key
            self._sort()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.ActionRequested("peek", event.row_key.value))
