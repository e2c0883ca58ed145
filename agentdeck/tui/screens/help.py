"""The help screen: every key, what it does, and its binding id (for `[ui.keys]` remaps)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

HELP_CSS = """
HelpScreen { align: center middle; }
HelpScreen > Vertical { width: 124; max-width: 96%; height: auto; max-height: 90%; border: thick $primary; background: $surface; padding: 1 2; }
HelpScreen Label.title { text-style: bold; }
HelpScreen Label.hint { color: $foreground-muted; margin-bottom: 1; }
HelpScreen DataTable { height: auto; max-height: 30; }
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = HELP_CSS
    BINDINGS = [Binding("escape,f1,q", "app.pop_screen", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("agentdeck keys", classes="title")
            yield Label(
                "Every action is also in the command palette (Ctrl+P). Remap a key in agentdeck.toml: "
                '[ui.keys] interrupt = "ctrl+c"',
                classes="hint",
            )
            table: DataTable = DataTable(cursor_type="row", zebra_stripes=True)
            # The ids must show whole (they are what [ui.keys] takes); long descriptions give way.
            id_width = max((len(binding_id) for _, binding_id, _, _ in self.rows), default=2)
            table.add_column("KEY", width=8)
            table.add_column("ACTION", width=max(30, 112 - id_width - 8 - 10 - 8))
            table.add_column("WHERE", width=10)
            table.add_column("ID", width=id_width)
            for where, binding_id, key, description in self.rows:
                table.add_row(key, description, where, binding_id)
            yield table
