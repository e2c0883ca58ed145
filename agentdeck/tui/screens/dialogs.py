"""Small modal dialogs: a new task, and what quitting should do with the running agents."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Switch

from agentdeck.tui.keys import key_hint

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 72; height: auto; border: thick $primary; background: $surface; padding: 1 2; }}
{name} Label.title {{ text-style: bold; margin-bottom: 1; }}
{name} Label.hint {{ color: $foreground-muted; }}
{name} Horizontal {{ height: auto; margin-top: 1; }}
{name} Button {{ margin-right: 1; }}
"""


@dataclass
class NewTask:
    text: str
    model: str | None
    foreground: bool
    skills: list[str] = field(default_factory=list)


def skill_names(text: str) -> list[str]:
    """'test-first-bug-fix, write-docs' (commas or spaces) -> the names, in order, without repeats."""
    return list(dict.fromkeys(text.replace(",", " ").split()))


class NewTaskScreen(ModalScreen[NewTask | None]):
    """Ask for the task text (and optionally its model, skills, and foreground or background).

    `initial` fills the fields in again, e.g. after the session refused the task: nothing typed is lost."""

    DEFAULT_CSS = DIALOG_CSS.format(name="NewTaskScreen") + "NewTaskScreen Switch { margin-right: 1; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, initial: NewTask | None = None) -> None:
        super().__init__()
        self.initial = initial or NewTask("", None, True)

    def compose(self) -> ComposeResult:
        initial = self.initial
        with Vertical():
            yield Label("New task", classes="title")
            yield Input(initial.text, placeholder="what should the agent do?", id="task-text")
            yield Input(
                initial.model or "",
                placeholder="model (optional, e.g. demo or anthropic/claude-sonnet-4-5)",
                id="task-model",
            )
            yield Input(
                ", ".join(initial.skills),
                placeholder="skills (optional, e.g. test-first-bug-fix; `agentdeck skills` lists them)",
                id="task-skills",
            )
            with Horizontal():
                yield Switch(value=initial.foreground, id="task-foreground")
                yield Label("in a foreground pane (off: the background queue)")
            yield Label("Enter starts it · Esc cancels", classes="hint")

    @on(Input.Submitted)
    def _submit(self) -> None:
        text = self.query_one("#task-text", Input).value.strip()
        if not text:
            self.notify("Say what the agent should do.", severity="warning")
            self.query_one("#task-text", Input).focus()
            return
        model = self.query_one("#task-model", Input).value.strip() or None
        skills = skill_names(self.query_one("#task-skills", Input).value)
        self.dismiss(NewTask(text, model, self.query_one("#task-foreground", Switch).value, skills))

    def action_cancel(self) -> None:
        self.dismiss(None)


class QuitScreen(ModalScreen[str | None]):
    """Quitting: stop the agents (they checkpoint), or leave them running and detach."""

    DEFAULT_CSS = DIALOG_CSS.format(name="QuitScreen")
    BINDINGS = [
        Binding("escape", "choose('')", "Cancel", id="quit.cancel"),
        Binding("s", "choose('stop')", "Stop agents", id="quit.stop"),
        Binding("l,d", "choose('detach')", "Leave running", id="quit.detach"),
    ]

    def __init__(self, running: int) -> None:
        super().__init__()
        self.running = running

    def compose(self) -> ComposeResult:
        agents = f"{self.running} task{'s' if self.running != 1 else ''} running or queued"
        with Vertical():
            yield Label(f"Quit agentdeck — {agents}", classes="title")
            yield Label("Leave them running: they keep working, and `agentdeck` shows them again.")
            yield Label("Stop them: each checkpoints its work; `agentdeck resume ID` continues it later.")
            with Horizontal():
                yield Button("Leave running (l)", id="detach", variant="primary")
                yield Button("Stop agents (s)", id="stop", variant="error")
                yield Button("Cancel (Esc)", id="cancel")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice if choice in ("stop", "detach") else None)


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no, for what can't be undone from the cockpit: y says yes; Esc, n or Enter no.

    The safe button has the focus, so a reflexive Enter keeps things as they are."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmScreen")
    AUTO_FOCUS = "#no"
    BINDINGS = [
        Binding("escape,n", "choose(False)", "No", id="confirm.no"),
        Binding("y", "choose(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, title: str, detail: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text, self.detail, self.yes, self.no = title, detail, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Label(self.detail)
            with Horizontal():
                yield Button(
                    f"{self.yes} ({key_hint(self.app, 'confirm.yes', 'y')})", id="yes", variant="error"
                )
                yield Button(
                    f"{self.no} ({key_hint(self.app, 'confirm.no', 'Esc')})", id="no", variant="primary"
                )

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_choose(self, yes: bool) -> None:
        self.dismiss(yes)


def confirm_cancel(task_id: str, *, queued: bool = False) -> ConfirmScreen:
    """Cancelling a task, from the queue or the peek view: say what happens to its work."""
    what = "it has not started yet" if queued else "its work so far stays on its branch"
    return ConfirmScreen(
        f"Cancel {task_id}?", f"The agent stops; {what}.", yes="Cancel the task", no="Keep it"
    )
