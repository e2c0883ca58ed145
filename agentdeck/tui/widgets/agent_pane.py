"""One foreground agent: title, state, streaming transcript, context meter, counters, steer input."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.widgets import Input

from agentdeck.task_state import TaskState
from agentdeck.text import one_line
from agentdeck.tui.cockpit_state import TaskView
from agentdeck.tui.colours import theme_colour, theme_style
from agentdeck.tui.widgets.line import Line, Part, PartsLine
from agentdeck.tui.widgets.meter import ContextMeter
from agentdeck.tui.widgets.transcript import TranscriptView

STATE_LABELS = {
    TaskState.QUEUED: "◌ queued",
    TaskState.RUNNING: "● running",
    TaskState.WAITING: "⏸ waiting for you",
    TaskState.STALLED: "⚠ stalled",
    TaskState.FINISHED: "✔ finished",
    TaskState.FAILED: "✘ failed",
    TaskState.CANCELLED: "– cancelled",
    TaskState.INTERRUPTED: "⏸ interrupted",
    TaskState.MERGED: "✔ merged",
    TaskState.VERIFYING: "◎ verifying",
    TaskState.REJECTED: "– rejected",
}


# A pane's tone by task state: its border, and the colour of its state line.
TONES = {
    TaskState.WAITING: "warning",
    TaskState.STALLED: "warning",
    TaskState.FAILED: "error",
    TaskState.FINISHED: "success",
    TaskState.MERGED: "success",
}
TONE_TEXT = {"warning": "bold $warning", "error": "$error", "success": "$success"}


class SteerInput(Input):
    """The pane's one-line input. Textual's Input resets its virtual size on every key, and
    that reactive asks for a layout of the whole screen; a one-row input as wide as its pane
    only needs its own row repainted (its scrolling reads the value, not the layout)."""

    virtual_size = Reactive(Size(0, 0), layout=False)


class AgentPane(Vertical, can_focus=False):
    """A pane of the grid; `task_id` names the task whose agent it shows."""

    DEFAULT_CSS = """
    AgentPane { border: round $panel-lighten-2; height: 1fr; padding: 0; }
    AgentPane:focus-within { border: round $primary; }
    AgentPane > .pane-title { height: 1; padding: 0 1; text-style: bold; }
    AgentPane > .pane-activity { height: 1; padding: 0 1; color: $foreground-muted; }
    AgentPane > ContextMeter { padding: 0 1; }
    AgentPane > Input { height: 1; margin: 0 1; }
    """

    class Steered(Message):
        """You typed a message for the agent and pressed Enter."""

        def __init__(self, task_id: str, text: str) -> None:
            super().__init__()
            self.task_id = task_id
            self.text = text

    def __init__(
        self,
        view: TaskView,
        *,
        threshold: float = 0.6,
        transcript_limit: int = 80,
        interrupt_key: str = "Esc",
    ) -> None:
        super().__init__(id=f"pane-{view.id}")
        self.task_id = view.id
        self.title_line = Line(classes="pane-title")
        self.activity_line = PartsLine(classes="pane-activity")
        self.transcript = TranscriptView(limit=transcript_limit)
        self.meter = ContextMeter(threshold=threshold)
        self.steer_input = SteerInput(
            placeholder=f"› steer: type a message, Enter sends · {interrupt_key} interrupts",
            classes="steer",
            compact=True,
        )
        self._view = view
        self._tone: str | None = None  # the theme colour the border shows now (None: the stylesheet's)
        # True once the task's stored history is on screen (what tests and snapshots wait for).
        self.history_loaded = False

    def compose(self) -> ComposeResult:
        yield self.title_line
        yield self.activity_line
        yield self.transcript
        yield self.meter
        yield self.steer_input

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._retheme())
        self.show(self._view)

    def show(self, view: TaskView) -> None:
        """Redraw the title, state, meter and counters (the transcript has its own updates)."""
        self._view = view
        # Plain text: "[role]" and a task's own brackets are not markup.
        self.title_line.show_text(
            Text(one_line(f"[{view.role}] {view.task}" if view.role else view.task, 200))
        )
        label = STATE_LABELS.get(view.state, view.state)
        activity = view.activity if view.activity and view.activity != view.state else ""
        tone = TONES.get(view.state)
        # In order of importance: a narrow pane keeps the first parts and cuts the rest.
        parts = [Part(label)]
        if activity:
            parts.append(Part(activity, joint="  "))
        if view.sandbox.startswith("unconfined"):
            # Never quiet, and pinned, so that even the narrowest pane shows it: the agent's
            # commands can touch your files, keys and network.
            parts.append(
                Part("UNCONFINED", joint="  ", style=theme_style(self.app, TONE_TEXT["warning"]), pinned=True)
            )
        parts.append(Part(view.id, joint="   ", style="dim"))
        parts.append(Part(view.model or "default model", style="dim"))
        parts.append(Part(view.worker_role, style="dim"))
        if view.sandbox and not view.sandbox.startswith("unconfined"):
            parts.append(Part(view.sandbox, style="dim"))
        self.activity_line.show_parts(parts, style=theme_style(self.app, TONE_TEXT[tone]) if tone else "")
        self._show_tone(tone)
        counters = f"step {view.steps} · {compact(view.tokens)} tok · ${view.cost_usd:.2f}"
        self.meter.show(
            view.context_fraction, view.context_used, view.context_limit, len(view.splits), counters
        )

    def _show_tone(self, tone: str | None, force: bool = False) -> None:
        """The border says waiting / failed / finished. Set inline rather than by a CSS class:
        a class change restyles the pane's whole transcript, and panes change state often."""
        if tone == self._tone and not force:
            return
        self._tone = tone
        if tone is None:
            for edge in ("border_top", "border_right", "border_bottom", "border_left"):
                self.styles.inline.clear_rule(edge)  # back to the stylesheet's (and :focus-within)
            self.refresh()
        else:
            self.styles.border = ("round", theme_colour(self.app, tone))

    def _retheme(self) -> None:
        if self._view is not None:
            self.show(self._view)
            self._show_tone(self._tone, force=True)

    def on_unmount(self) -> None:
        self.app.theme_changed_signal.unsubscribe(self)  # the signal would keep a closed pane

    @on(Input.Submitted, ".steer")
    def _steer(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if text:
            # The cockpit clears the input once the session took the message: a refused
            # steer (the agent ended meanwhile) keeps what you typed.
            self.post_message(self.Steered(self.task_id, text))
        else:
            self.steer_input.value = ""


def compact(number: int) -> str:
    """12,345 -> 12k: the counters share a line with the meter in a narrow pane."""
    if number < 10_000:
        return f"{number:,}"
    if number < 1_000_000:
        return f"{number / 1000:.0f}k"
    return f"{number / 1_000_000:.1f}M"
