"""The dashboard: 1–4 foreground panes in a grid that fits the terminal, and the background queue.

It renders the bridge's updates, coalesced per pane (a pane redraws at most FRAME_HZ
times a second however fast tokens arrive), and turns keys into session commands.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from agentdeck.runtime.command_error import CommandError
from agentdeck.task_state import TaskState
from agentdeck.tui.callbacks import ignoring_result
from agentdeck.tui.cockpit_state import Change, CockpitState, TaskView, Update, merge_prose
from agentdeck.tui.keys import key_hint
from agentdeck.tui.widgets.footer import CockpitFooter
from agentdeck.tui.widgets.queue_panel import QueuePanel

if TYPE_CHECKING:
    from agentdeck.api import TaskCommand
    from agentdeck.events import Event
    from agentdeck.replies import Status

    # Imported when the first pane opens: Markdown and its parser need not delay the first paint.
    from agentdeck.tui.widgets.agent_pane import AgentPane

# Times a pane's stream is followed again when it ends with nothing new (see `_follow_pane`).
PANE_RETRIES = 5
FRAME_HZ = 12
QUEUE_HZ = 2
# Keys first: for this long after a key, pane and queue redraws wait, so the frame that shows
# the key carries no layout of the panes. A redraw never waits more than KEYS_FIRST_MAX_S.
KEYS_FIRST_S = 0.06
KEYS_FIRST_MAX_S = 0.3
MAX_PANES = 4
MAX_QUEUE_ROWS = 200


def grid_shape(panes: int, width: int) -> tuple[int, int]:
    """Columns and rows for `panes` panes: side by side when wide enough, stacked when narrow."""
    if panes <= 1:
        return 1, 1
    if width < 100:
        return 1, panes
    if panes == 2:
        return 2, 1
    if panes == 3 and width >= 180:
        return 3, 1
    return 2, 2


def pane_slots(on_screen: list[str], gone: list[str], new: list[str]) -> list[str]:
    """The panes' order in the grid: a pane keeps its place, and a new one takes the place of
    one that closed. Panes that moved would jump under your eyes (and a pane that changes
    column changes width, so its whole transcript is wrapped and drawn again)."""
    arriving = iter(new)
    slots = [next(arriving, None) if task_id in gone else task_id for task_id in on_screen]
    return [task_id for task_id in slots if task_id is not None] + list(arriving)


class SessionFollower:
    """Mixed into a screen above the cockpit that wants each session event, as CockpitScreen.EventArrived."""


class CockpitScreen(Screen):
    """The main screen; the app pushes it once and everything else opens over it."""

    class EventArrived(Message):
        """A session event, passed on to the screens above the cockpit (the review screen follows results)."""

        bubble = False  # for the screen it is posted to, not for the app

        def __init__(self, event: Event) -> None:
            super().__init__()
            self.event = event

    # Its CSS (cockpit.tcss) is the app's CSS_PATH: it is the app's default screen.
    # Focus is given once the panes exist (see _reconcile_panes), so typing goes to an agent.
    AUTO_FOCUS = ""

    BINDINGS = [
        Binding(
            "escape",
            "interrupt",
            "Interrupt",
            id="interrupt",
            tooltip="Stop the focused agent at once; it waits for you",
        ),
        Binding(
            "ctrl+o",
            "close_pane",
            "Close pane",
            id="close_pane",
            tooltip="Demote the focused agent to the background, or close its pane when it ended",
        ),
        Binding("ctrl+b", "focus_queue", "Queue", id="focus_queue", tooltip="Move to the background queue"),
        Binding(
            "ctrl+r",
            "resume_pane",
            "Resume",
            id="resume",
            show=False,
            tooltip="Resume the focused agent: interrupted, failed, waiting or stalled",
        ),
    ]

    def __init__(
        self, state: CockpitState, bridge, *, threshold: float, transcript_limit: int, clock
    ) -> None:
        super().__init__()
        self.state = state
        self.bridge = bridge
        self.threshold = threshold
        self.transcript_limit = transcript_limit
        self.clock = clock
        self.panes: dict[str, AgentPane] = {}
        self.topbar = Static("agentdeck · attaching to the session…", id="topbar", markup=False)
        self.grid = Container(id="panes")
        self.no_panes = Static(
            "No foreground agents yet.\nCtrl+N starts one; in the queue below, p promotes a task to a pane.",
            id="no-panes",
        )
        self.queue = QueuePanel(id="queue")
        self._pending: dict[str, list[Change]] = {}
        # Tasks you interrupted here, and when: their coming to wait just then is no news.
        self.interrupted_by_you: dict[str, float] = {}
        self._steering: set[str] = set()  # panes whose steer is on its way
        # Each pane's own stream (`_follow_pane`), cancelled when the pane closes.
        self._followers: dict[str, Any] = {}
        self._frame_due: dict[str, float] = {}  # pane -> when its redraw is due
        self._queue_due_at: float | None = None  # when the queue's redraw is due (None: not asked for)
        self._typing_until = 0.0
        self._attached = asyncio.Event()
        self._lost = asyncio.Event()  # set with lost_reason: nobody waits for an attach that failed
        self._session_label = ""
        self.lost_reason: str | None = None

    def key(self, binding_id: str) -> str:
        """The key that does it now ([ui.keys] may have remapped it), for hints."""
        return key_hint(self.app, binding_id)

    def on_mount(self) -> None:
        self.no_panes.update(
            f"No foreground agents yet.\n{self.key('new_task')} starts one; in the queue below, "
            f"{self.key('queue.promote')} promotes a task to a pane."
        )
        self.queue.empty.update(
            f"The queue is empty: agentdeck queue add TASK, or {self.key('new_task')} here."
        )

    def compose(self) -> ComposeResult:
        yield self.topbar
        with self.grid:
            yield self.no_panes
        yield self.queue
        yield CockpitFooter()

    async def wait_attached(self) -> None:
        """Return once attached; raise ConnectionError if the session was lost first."""
        if not self._attached.is_set() and not self._lost.is_set():
            waits = [asyncio.ensure_future(self._attached.wait()), asyncio.ensure_future(self._lost.wait())]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()
        if not self._attached.is_set():
            raise ConnectionError(self.lost_reason or "the session was lost")

    @property
    def is_attached_to_session(self) -> bool:
        return self._attached.is_set()

    # -- the bridge's side -------------------------------------------------------------

    def notice(self, message: str) -> None:
        self.topbar.update(f"agentdeck · {message}")

    async def attached(self, status: Status) -> None:
        slots, background = status.foreground_slots, status.background_concurrency
        self._session_label = f"agentdeck · {self.bridge.link.label} · {slots} foreground slots · {background} background at a time"
        self.topbar.update(self._session_label)
        self.topbar.remove_class("-lost")
        await self._reconcile_panes()
        self._show_queue()
        self._lost.clear()
        self._attached.set()

    def updated(self, event: Event, update: Update) -> None:
        for screen in self.app.screen_stack:
            if isinstance(screen, SessionFollower):  # only they: a message per event per screen is not free
                screen.post_message(self.EventArrived(event))
        view = update.view
        if view is None:
            if event.type == "disk_usage":
                self._queue_soon()  # the queue's summary line carries the worktrees' disk use
            return
        if update.attention:
            self.app.announce(view, update.attention)  # type: ignore[attr-defined]
        if view.id in self.panes:
            self._frame(view.id)  # its state and counters; the transcript comes by the pane's own stream
        self._queue_soon()

    def lost(self, reason: str) -> None:
        self.lost_reason = reason
        self._lost.set()
        self.topbar.update(
            f"agentdeck · detached from the session: {reason} · run `agentdeck` to attach again"
        )
        self.topbar.add_class("-lost")

    # -- coalesced redraws -------------------------------------------------------------

    def key_pressed(self) -> None:
        """A key came (the app tells us): redraws step aside for a moment (KEYS_FIRST_S)."""
        self._typing_until = time.monotonic() + KEYS_FIRST_S

    def _waits_for_keys(self, due_at: float, redraw: Callable[[], Any]) -> bool:
        """Put off a redraw that was due at `due_at` while you type: True if it will run later."""
        now = time.monotonic()
        wait = self._typing_until - now
        # (Below 5 ms a timer would fire again at once: not worth waiting for.)
        if wait < 0.005 or now - due_at >= KEYS_FIRST_MAX_S:
            return False
        self.set_timer(wait, redraw)
        return True

    def _frame(self, task_id: str) -> None:
        if task_id not in self._frame_due:
            self._frame_due[task_id] = time.monotonic() + 1 / FRAME_HZ
            self.set_timer(1 / FRAME_HZ, lambda: self._flush_pane(task_id))

    async def _flush_pane(self, task_id: str) -> None:
        if self._waits_for_keys(self._frame_due.get(task_id, 0.0), lambda: self._flush_pane(task_id)):
            return
        self._frame_due.pop(task_id, None)
        pane = self.panes.get(task_id)
        changes = self._pending.pop(task_id, [])
        view = self.state.tasks.get(task_id)
        if pane is not None and view is not None:
            pane.show(view)
            if changes:
                transcript = self.state.transcripts.get(task_id)
                await pane.transcript.apply(merge_prose(changes), transcript.dropped if transcript else 0)

    def _queue_soon(self) -> None:
        if self._queue_due_at is None:
            self._queue_due_at = time.monotonic() + 1 / QUEUE_HZ
            self.set_timer(1 / QUEUE_HZ, self._flush_queue)

    async def _flush_queue(self) -> None:
        if self._queue_due_at is not None and self._waits_for_keys(self._queue_due_at, self._flush_queue):
            return
        self._queue_due_at = None
        await self._reconcile_panes()
        self._show_queue()

    def _show_queue(self) -> None:
        shown = set(self.panes)
        # Decided tasks (merged, rejected, cancelled) leave the table; `agentdeck status` lists all.
        views = [v for v in self.state.tasks.values() if v.id not in shown and not v.state.is_closed]
        if len(views) > MAX_QUEUE_ROWS:
            # A long session piles up results: keep what is alive or needs you, newest first,
            # so the table (and its memory and redraw cost) stays bounded.
            views.sort(key=lambda v: (v.state.is_ended and v.state != TaskState.VERIFYING, -v.created))
            views = views[:MAX_QUEUE_ROWS]
        self.queue.show(views, self.state.counts(), self.clock(), self.state.disk_summary())

    # -- panes -------------------------------------------------------------------------

    async def _reconcile_panes(self) -> None:
        wanted = [v.id for v in self.state.panes(min(MAX_PANES, max(self.state.foreground_slots, 1) + 1))]
        wanted = wanted[:MAX_PANES]
        gone = [task_id for task_id in self.panes if task_id not in wanted]
        on_screen = [cast("AgentPane", pane).task_id for pane in self.grid.query("AgentPane")]
        # Typing in a pane that closes: the focus moves to another pane, not to the queue.
        focus_was_in_gone = any(self.panes[task_id].has_focus_within for task_id in gone)
        for task_id in gone:
            pane = self.panes.pop(task_id)
            follower = self._followers.pop(task_id, None)
            if follower is not None:
                follower.cancel()  # closes the pane's own connection
            self.state.drop_transcript(task_id)
            self._pending.pop(task_id, None)
            # Textual's Input subscribes to this screen's signal with a closure over itself and
            # is dropped from it only when the signal fires (a text selection): without this,
            # every closed pane's input would stay in memory for the cockpit's life.
            self.text_selection_started_signal.unsubscribe(pane.steer_input)
            await pane.remove()
        from agentdeck.tui.widgets.agent_pane import (
            AgentPane,  # here: the first paint need not wait for Markdown
        )

        new = [task_id for task_id in wanted if task_id not in self.panes]
        for task_id in new:
            view = self.state.tasks[task_id]
            pane = AgentPane(
                view,
                threshold=self.threshold,
                transcript_limit=self.transcript_limit,
                interrupt_key=self.key("interrupt"),
            )
            self.panes[task_id] = pane
            await self.grid.mount(pane)
            self._followers[task_id] = self._follow_pane(task_id)
        lost_focus = focus_was_in_gone or self.focused is None or not self.focused.is_attached
        if self.panes and lost_focus:
            # After the refresh: the input of a pane mounted just now is not focusable yet.
            target = self.panes[new[0] if new else next(iter(self.panes))]
            self.call_after_refresh(target.steer_input.focus)
        elif not self.panes and self.focused is None and self.queue.table.row_count:
            self.queue.table.focus()
        if gone or new:
            order = {task_id: i for i, task_id in enumerate(pane_slots(on_screen, gone, new))}
            self.grid.sort_children(key=lambda w: order.get(getattr(w, "task_id", ""), -1))
            self._layout_grid()

    @work(group="panes", exit_on_error=False)
    async def _follow_pane(self, task_id: str) -> None:
        """The pane's own stream: the task's stored events at once, then its live ones, deltas included.

        Two connections in turn: the history ends at a seq, and following resumes after it, so
        nothing is missed or shown twice (the session's subscriptions have no gap)."""
        try:
            history = await self.bridge.history(task_id)
        except Exception as exc:  # the pane still shows the task's state; say why the past is missing
            self.app.notify(f"Could not read the history of {task_id}: {exc}", severity="warning")
            history = []
        transcript = self.state.open_transcript(task_id, history)
        pane = self.panes.get(task_id)
        if pane is None:
            return
        self._pending.pop(task_id, None)
        await pane.transcript.load(transcript, task_id)
        pane.show(self.state.tasks[task_id])
        pane.history_loaded = True

        def live(event: Event) -> None:
            changes = self.state.apply_pane(event)
            if changes:
                self._pending.setdefault(task_id, []).extend(changes)
            self._frame(task_id)

        # A stream can end under the pane (the daemon cuts a client that fell far behind, e.g.
        # while an editor held the terminal): follow again from what the pane shows.
        retries = 0
        while task_id in self.panes and self.is_attached_to_session:
            seen = self.state.shown_upto.get(task_id, 0)
            try:
                await self.bridge.follow(task_id, live, from_seq=seen)
            except Exception as exc:  # the daemon went away: the main stream reports that
                if task_id in self.panes and retries >= PANE_RETRIES:
                    self.app.notify(f"The live transcript of {task_id} stopped: {exc}", severity="warning")
                    return
            retries = 0 if self.state.shown_upto.get(task_id, 0) > seen else retries + 1
            if retries > PANE_RETRIES:
                return
            await asyncio.sleep(min(5.0, 0.2 * 2**retries))  # back off, not spin, when nothing comes

    def _layout_grid(self) -> None:
        count = len(self.panes)
        self.no_panes.display = count == 0
        columns, rows = grid_shape(count, self.size.width or self.app.size.width)
        self.grid.styles.grid_size_columns = columns
        self.grid.styles.grid_size_rows = rows
        panes = list(self.grid.query("AgentPane"))
        for i, pane in enumerate(panes):
            # Three panes in a 2×2 grid: the last one takes the whole bottom row.
            pane.styles.column_span = 2 if (count == 3 and columns == 2 and i == 2) else 1

    def on_resize(self) -> None:
        self._layout_grid()

    # -- commands ----------------------------------------------------------------------

    def focused_task(self) -> str | None:
        focused = self.focused
        panes = set(self.panes.values())
        while focused is not None:
            if focused in panes:
                return focused.task_id  # type: ignore[attr-defined]
            if isinstance(focused, QueuePanel):
                return focused.selected
            focused = focused.parent  # type: ignore[assignment]
        return None

    @work(group="commands", exit_on_error=False)
    async def command(self, command: TaskCommand[Any], done: str = "") -> None:
        """Run one session command; a refusal becomes a notification, never a crash."""
        try:
            await self._attached.wait()
            await self.bridge.session.execute(command)
        except CommandError as exc:
            self.app.notify(str(exc), title=f"{command.type} {command.agent_id}", severity="error")
            return
        if done:
            self.app.notify(done, timeout=3)

    def on_agent_pane_steered(self, event: AgentPane.Steered) -> None:
        self._steer(event.task_id, event.text)

    @work(group="commands", exit_on_error=False)
    async def _steer(self, task_id: str, text: str) -> None:
        from agentdeck.api import Steer

        if task_id in self._steering:
            return  # Enter again before the session answered: the message is on its way once
        self._steering.add(task_id)
        try:
            await self._attached.wait()
            await self.bridge.session.execute(Steer(agent_id=task_id, text=text))
        except CommandError as exc:
            self.app.notify(
                f"{exc}\nYour message is still in the input.", title=f"steer {task_id}", severity="error"
            )
            return
        finally:
            self._steering.discard(task_id)
        pane = self.panes.get(task_id)
        if pane is not None and pane.steer_input.value.strip() == text:
            pane.steer_input.value = ""

    @on(QueuePanel.ActionRequested)
    def _queue_action(self, event: QueuePanel.ActionRequested) -> None:
        from agentdeck.api import Cancel, Promote, Resume

        task_id = event.task_id
        if event.action == "peek":
            from agentdeck.tui.screens.peek import PeekScreen

            view = self.state.tasks.get(task_id)
            if view is not None:
                self.app.push_screen(
                    PeekScreen(
                        view, self.bridge, threshold=self.threshold, transcript_limit=self.transcript_limit
                    )
                )
        elif event.action == "priority":
            view = self.state.tasks.get(task_id)
            if view is not None:
                self._edit_priority(task_id, view.priority + event.value)
        elif event.action == "cancel":
            from agentdeck.tui.screens.dialogs import confirm_cancel

            view = self.state.tasks.get(task_id)
            self.app.push_screen(
                confirm_cancel(task_id, queued=view is not None and view.state == TaskState.QUEUED),
                ignoring_result(
                    lambda yes: yes and self.command(Cancel(agent_id=task_id), done=f"cancelling {task_id}")
                ),
            )
        elif event.action == "promote":
            self.command(Promote(agent_id=task_id), done=f"{task_id} moves to a pane")
        elif event.action == "resume":
            self.command(Resume(agent_id=task_id), done=f"resuming {task_id}")

    @work(group="commands", exit_on_error=False)
    async def _edit_priority(self, task_id: str, priority: int) -> None:
        from agentdeck.api import EditTask

        try:
            await self.bridge.session.execute(EditTask(agent_id=task_id, priority=priority))
        except CommandError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.state.tasks[task_id].priority = priority
        self.app.notify(f"{task_id}: priority {priority}", timeout=3)

    def action_interrupt(self) -> None:
        task_id = self.focused_task()
        if task_id is None or task_id not in self.panes:
            self.app.notify(
                f"Focus an agent's pane first (Tab), then {self.key('interrupt')} interrupts it.",
                severity="warning",
            )
            return
        # Your own interrupt needs no bell: the pane shows it waiting for you.
        self.interrupted_by_you[task_id] = time.monotonic()
        from agentdeck.api import Interrupt

        self.command(Interrupt(agent_id=task_id))

    def action_close_pane(self) -> None:
        task_id = self.focused_task()
        if task_id is None or task_id not in self.panes:
            self.app.notify("Focus an agent's pane first (Tab).", severity="warning")
            return
        from agentdeck.api import Demote

        view = self.state.tasks[task_id]
        self.command(
            Demote(agent_id=task_id), done=f"{task_id} keeps running in the background" if view.alive else ""
        )

    def action_resume_pane(self) -> None:
        task_id = self.focused_task()
        if task_id is not None:
            from agentdeck.api import Resume

            self.command(Resume(agent_id=task_id), done=f"resuming {task_id}")

    def action_focus_queue(self) -> None:
        self.queue.table.focus()


__all__ = ["CockpitScreen", "TaskView", "grid_shape"]
