"""Peek at a background task: its live transcript and meter, without giving it a pane."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from agentdeck.runtime.command_error import CommandError
from agentdeck.task_state import TaskState
from agentdeck.tui.cockpit_state import TaskView, Transcript, fold, merge_prose
from agentdeck.tui.widgets.agent_pane import STATE_LABELS, compact
from agentdeck.tui.widgets.footer import CockpitFooter
from agentdeck.tui.widgets.meter import ContextMeter
from agentdeck.tui.widgets.transcript import TranscriptView

if TYPE_CHECKING:
    from agentdeck.api import TaskCommand
    from agentdeck.events import Event

FRAME_HZ = 20


class PeekScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    PeekScreen { align: center middle; }
    PeekScreen > Vertical { width: 90%; height: 90%; border: thick $primary; background: $surface; }
    PeekScreen .peek-title { text-style: bold; padding: 0 1; }
    PeekScreen .peek-state { color: $foreground-muted; padding: 0 1; }
    PeekScreen ContextMeter { padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", id="peek.close"),
        Binding("p", "promote", "Promote", id="peek.promote", tooltip="Give this task a foreground pane"),
        Binding("delete", "cancel_task", "Cancel task", id="peek.cancel"),
    ]

    def __init__(self, view: TaskView, bridge, *, threshold: float, transcript_limit: int) -> None:
        super().__init__()
        self.view = TaskView(id=view.id, task=view.task, state=view.state, model=view.model)
        self.bridge = bridge
        self.transcript = Transcript(transcript_limit)
        self.transcript_view = TranscriptView(limit=transcript_limit)
        self.meter = ContextMeter(threshold=threshold)
        self.state_line = Static("", classes="peek-state", markup=False)
        self._pending = []
        self._due = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"{self.view.id} · {self.view.task}", classes="peek-title", markup=False)
            yield self.state_line
            yield self.transcript_view
            yield self.meter
        yield CockpitFooter()

    def on_mount(self) -> None:
        self._redraw_header()
        self._follow()

    @work(exclusive=True, exit_on_error=False)
    async def _follow(self) -> None:
        try:
            await self.bridge.follow(self.view.id, self._on_event)
        except Exception as exc:
            self.notify(f"Stopped following {self.view.id}: {exc}", severity="warning")

    def _on_event(self, event: Event) -> None:
        # The whole history of the task comes by (from seq 0): counts start at zero and add up.
        fold(self.view, event)
        self._pending.extend(self.transcript.apply(event))
        if not self._due:
            self._due = True
            self.set_timer(1 / FRAME_HZ, self._flush)

    async def _flush(self) -> None:
        self._due = False
        changes, self._pending = self._pending, []
        self._redraw_header()
        if changes:
            await self.transcript_view.apply(merge_prose(changes), self.transcript.dropped)

    def _redraw_header(self) -> None:
        self.state_line.update(
            f"{STATE_LABELS.get(self.view.state, self.view.state)}  {self.view.activity}  · {self.view.worker_role}"
        )
        view = self.view
        counters = f"step {view.steps} · {compact(view.tokens)} tok · ${view.cost_usd:.2f}"
        self.meter.show(
            view.context_fraction, view.context_used, view.context_limit, len(view.splits), counters
        )

    async def _command(self, command: TaskCommand[Any]) -> None:
        try:
            await self.bridge.session.execute(command)
        except CommandError as exc:
            self.notify(str(exc), severity="error")
            return
        self.dismiss(None)

    async def action_promote(self) -> None:
        from agentdeck.api import Promote

        await self._command(Promote(agent_id=self.view.id))

    def action_cancel_task(self) -> None:
        from agentdeck.api import Cancel
        from agentdeck.tui.screens.dialogs import confirm_cancel

        async def answered(yes: bool | None) -> None:
            if yes:
                await self._command(Cancel(agent_id=self.view.id))

        self.app.push_screen(
            confirm_cancel(self.view.id, queued=self.view.state == TaskState.QUEUED), answered
        )
