"""Starting a sprint from the cockpit: the feature (and model) asked for, then the plan to confirm.

The screens only ask and show; the app sends PlanSprint and StartSprint through the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label

from agentdeck.text import one_line
from agentdeck.tui.screens.dialogs import DIALOG_CSS

if TYPE_CHECKING:
    from agentdeck.sprints.plan import SprintPlan


@dataclass
class SprintRequest:
    feature: str
    model: str | None


class NewSprintScreen(ModalScreen[SprintRequest | None]):
    """Ask for the feature a sprint should build (and optionally the model of its team)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="NewSprintScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="sprint.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New sprint: one feature, a team of role agents, one result", classes="title")
            yield Input(
                placeholder="the feature, e.g. Add an export to CSV with tests and docs", id="sprint-feature"
            )
            yield Input(placeholder="model (optional, e.g. demo)", id="sprint-model")
            yield Label("Enter asks the planner for a plan to confirm · Esc cancels", classes="hint")

    @on(Input.Submitted)
    def _submit(self) -> None:
        feature = self.query_one("#sprint-feature", Input).value.strip()
        if not feature:
            self.notify("Say what the team should build.", severity="warning")
            self.query_one("#sprint-feature", Input).focus()
            return
        model = self.query_one("#sprint-model", Input).value.strip() or None
        self.dismiss(SprintRequest(feature, model))

    def action_cancel(self) -> None:
        self.dismiss(None)


class SprintPlanScreen(ModalScreen[bool]):
    """The planner's plan as a table: Enter starts the sprint, Esc drops the plan (nothing started)."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="SprintPlanScreen")
        + "SprintPlanScreen > Vertical { width: 120; max-height: 90%; } SprintPlanScreen DataTable { height: auto; max-height: 16; }"
        + " SprintPlanScreen Label.warning { color: $warning; text-style: bold; }"
    )
    BINDINGS = [
        Binding("enter,y", "start", "Start", id="plan.start", priority=True),
        Binding("escape,n", "drop", "Drop", id="plan.drop"),
    ]

    def __init__(self, plan: SprintPlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical():
            # Everything below is the feature and the planner's text: shown as written, never as markup.
            yield Label(Text(f"Sprint plan: {one_line(self.plan.feature, 90)}"), classes="title")
            table: DataTable = DataTable(id="sprint-plan", cursor_type="row", zebra_stripes=True)
            table.add_columns("task", "role", "depends on", "files", "acceptance")
            for task in self.plan.tasks:
                table.add_row(
                    *(
                        Text(cell)
                        for cell in (
                            task.id,
                            task.role,
                            ", ".join(task.depends_on) or "—",
                            one_line(", ".join(task.files), 36),
                            one_line(task.acceptance, 40),
                        )
                    )
                )
            yield table
            for task in self.plan.tasks:
                yield Label(Text(f"{task.id}: {one_line(task.brief, 110)}"), classes="hint")
            if self.plan.shared:
                yield Label(
                    Text(f"shared (merged by the integration): {', '.join(self.plan.shared)}"),
                    classes="hint",
                )
            if self.plan.test_command:
                # The planner model chose this command; it runs on the merged result (in the sandbox,
                # like the agents' commands), so it is shown before you start, never run unseen.
                yield Label(
                    Text(
                        "tests on the whole (the planner's command, run on the merged result): "
                        f"{one_line(self.plan.test_command, 80)}"
                    ),
                    classes="warning",
                )
            yield Label("Enter starts the sprint (contracts first, then the roles) · Esc drops the plan")

    def action_start(self) -> None:
        self.dismiss(True)

    def action_drop(self) -> None:
        self.dismiss(False)
