"""The review screen: the results that need a decision, ranked, and the selected one in full.

One key decides (m merge, x reject; f sends it back with feedback typed in a prompt), and
n/p move between results, so a decision costs at most three keys. Space marks several
results: m then merges them together as one integration pass (tested combined, landed
together or not at all). Everything comes from `SessionAPI.review()` and `.result(id)`
(runtime/review.py), so the screen works the same on the daemon or in-process, and it
reloads when the session says a result was verified or decided, by anyone.
"""

from __future__ import annotations

import asyncio
import subprocess
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Collapsible, DataTable, Input, Label, Static

from agentdeck.runtime.command_error import CommandError
from agentdeck.text import one_line
from agentdeck.tui.callbacks import ignoring_result
from agentdeck.tui.colours import theme_colour, theme_style
from agentdeck.tui.keys import key_hint
from agentdeck.tui.screens.cockpit import CockpitScreen, SessionFollower
from agentdeck.tui.widgets.attempt_list import AttemptColours, render_attempt_list
from agentdeck.tui.widgets.diff_view import DiffColours, render_diff
from agentdeck.tui.widgets.footer import CockpitFooter

if TYPE_CHECKING:
    from agentdeck.api import Merge, Reject, RequestChanges
    from agentdeck.replies import MergeReport

# Events after which the list of results is out of date.
RELOAD_ON = {"VerificationFinished", "Merged", "Rejected", "ChangesRequested", "CleanedUp", "AttemptsRanked"}
VERDICT_COLOUR = {
    "approve": "success",
    "request_changes": "warning",
    "reject": "error",
    "judge_failed": "error",
}
TESTS_COLOUR = {"passed": "success", "failed": "error", "timeout": "error", "error": "error"}


class FeedbackScreen(ModalScreen[str | None]):
    """What should the agent change? Enter sends it back with this in its context."""

    DEFAULT_CSS = """
    FeedbackScreen { align: center middle; }
    FeedbackScreen > Vertical { width: 80; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    FeedbackScreen Label { margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="feedback.cancel")]

    def __init__(self, task_id: str, text: str = "") -> None:
        super().__init__()
        self.task_id = task_id
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                f"Send {self.task_id} back to its agent, on the same branch, with your feedback in its context:"
            )
            cancel = key_hint(self.app, "feedback.cancel", "Esc")
            yield Input(self.text, placeholder=f"what should change? (Enter sends, {cancel} cancels)")

    @on(Input.Submitted)
    def _send(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self.dismiss(text)
        else:
            cancel = key_hint(self.app, "feedback.cancel", "Esc")
            self.notify(f"say what should change, or {cancel} to cancel", severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReviewScreen(SessionFollower, Screen):
    DEFAULT_CSS = """
    ReviewScreen #review-summary { height: 1; padding: 0 1; background: $panel; color: $foreground; }
    ReviewScreen #review-list { width: 46; height: 1fr; border-right: solid $panel-lighten-2; }
    ReviewScreen #review-detail { width: 1fr; height: 1fr; padding: 0 1; }
    ReviewScreen #review-problem { display: none; border: round $error; padding: 0 1; color: $text-error; }
    ReviewScreen #review-problem.-shown { display: block; }
    ReviewScreen #review-head { text-style: bold; }
    ReviewScreen #review-diff { height: auto; }
    ReviewScreen Collapsible { border-top: none; padding-bottom: 0; margin: 0; }
    ReviewScreen Collapsible > Contents { padding: 0 0 0 2; }
    """
    HIDES_APP_ACTIONS = ("new_task", "review")
    BINDINGS = [
        Binding(
            "m",
            "merge",
            "Merge",
            id="review.merge",
            tooltip="Land the selected result (or the marked ones, tested together) on the base branch",
        ),
        Binding(
            "x",
            "reject",
            "Reject",
            id="review.reject",
            tooltip="Turn the result down; its branch stays until `agentdeck cleanup`",
        ),
        Binding(
            "f",
            "changes",
            "Send back",
            id="review.changes",
            tooltip="Send it back to its agent with your feedback",
        ),
        Binding(
            "a",
            "attempt",
            "Next attempt",
            id="review.attempt",
            tooltip="Best of N: show the group's next attempt (m merges the one shown, the others are rejected)",
        ),
        Binding("n", "move(1)", "Next", id="review.next", tooltip="The next result"),
        Binding("p", "move(-1)", "Previous", id="review.previous", tooltip="The previous result"),
        Binding(
            "space",
            "mark",
            "Mark",
            id="review.mark",
            tooltip="Mark for merging together (an integration pass)",
        ),
        Binding(
            "right_square_bracket",
            "file(1)",
            "Next file",
            id="review.next_file",
            show=False,
            tooltip="Jump to the next file of the diff",
        ),
        Binding(
            "left_square_bracket",
            "file(-1)",
            "Previous file",
            id="review.previous_file",
            show=False,
            tooltip="Jump to the previous file of the diff",
        ),
        Binding(
            "d",
            "scroll(1)",
            "Scroll",
            id="review.scroll_down",
            show=False,
            tooltip="Scroll the result down half a page",
        ),
        Binding(
            "u",
            "scroll(-1)",
            "Scroll up",
            id="review.scroll_up",
            show=False,
            tooltip="Scroll the result up half a page",
        ),
        Binding(
            "i",
            "plan",
            "Plan",
            id="review.plan",
            show=False,
            tooltip="Show or fold the plan and the agent's summary",
        ),
        Binding(
            "e",
            "editor",
            "Editor",
            id="review.editor",
            tooltip="Open the result's worktree in $VISUAL / $EDITOR",
        ),
        Binding(
            "g",
            "pull_request",
            "PR",
            id="review.pull_request",
            tooltip="Push the branch and open a pull request with gh",
        ),
        Binding("escape,q", "close", "Close", id="review.close", tooltip="Leave the review"),
    ]

    def __init__(self, bridge, *, exit_on_close: bool = False) -> None:
        super().__init__()
        self.bridge = bridge
        # `agentdeck review`: closing the review leaves the program rather than showing the cockpit.
        self.exit_on_close = exit_on_close
        self.items: list = []
        self.marked: list[str] = []
        # Best of N: which attempt of each group is on screen (by group id; default its lead, the pick).
        self.viewing: dict[str, str] = {}
        self.details = None  # the ResultDetails on screen
        self.busy: str | None = None  # what a decision in flight is doing
        self.file_index = -1  # the diff's file that [ and ] last jumped to
        self._keep_next: str | None = None  # where the cursor goes after a decision
        self.summary = Static("loading the results…", id="review-summary", markup=False)
        self.table: DataTable = DataTable(cursor_type="row", id="review-list", show_header=False)
        self.detail = VerticalScroll(id="review-detail")
        self.problem = Static("", id="review-problem", markup=False)
        self.head = Static("", id="review-head", markup=False)
        self.body = Static("", markup=False)
        # The diff: a heading, then one Static per file (jump targets for [ and ]).
        self.diff = Vertical(id="review-diff")
        self.diff_head = Static("", markup=False)
        # The plan and the agent's own summary fold away: the diff is what a decision needs first.
        self.plan = Static("", markup=False)
        self.agent_summary = Static("", markup=False)
        self.plan_box = Collapsible(self.plan, title="plan (i)", collapsed=True, id="review-plan")
        self.summary_box = Collapsible(
            self.agent_summary, title="the agent's summary (i)", collapsed=True, id="review-agent-summary"
        )
        self._summary_line = ""

    def compose(self) -> ComposeResult:
        yield self.summary
        with Horizontal():
            yield self.table
            with self.detail:
                yield self.problem
                yield self.head
                yield self.body
                yield self.plan_box
                yield self.summary_box
                with self.diff:
                    yield self.diff_head
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.table.add_column("result", key="result", width=44)
        # After the app has recomputed its colours (a `theme` watcher would still see the old ones).
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._retheme())
        self.reload()

    def _retheme(self) -> None:
        """Verdict colours and the diff are Rich text made with the old theme's colours: make them again."""
        self.details = None
        self.reload(keep=self.selected)

    def on_unmount(self) -> None:
        self.app.theme_changed_signal.unsubscribe(self)  # the signal would keep a closed screen, diff and all

    @property
    def shown(self) -> str | None:
        """The task id whose details are on screen."""
        return self.details.item.task_id if self.details is not None else None

    @property
    def selected_item(self):
        row = self.table.cursor_row
        if not self.items or row is None or not 0 <= row < len(self.items):
            return None
        return self.items[row]

    @property
    def selected(self) -> str | None:
        """The task to show and decide: the row's result, or the attempt of its group being viewed."""
        item = self.selected_item
        if item is None:
            return None
        if item.attempt_group:
            return self.viewing.get(item.attempt_group, item.task_id)
        return item.task_id

    def _item_index(self, task_id: str | None) -> int | None:
        """The row of a result, or of the group one of whose attempts it is."""
        for index, item in enumerate(self.items):
            if item.task_id == task_id or any(a.task_id == task_id for a in item.attempts):
                return index
        return None

    # -- the list ------------------------------------------------------------------------

    @on(CockpitScreen.EventArrived)
    def _session_event(self, message: CockpitScreen.EventArrived) -> None:
        if type(message.event).__name__ in RELOAD_ON and self.busy is None:
            self.reload(keep=self.selected)

    @work(group="review-list", exclusive=True, exit_on_error=False)
    async def reload(self, keep: str | None = None) -> None:
        # After a decision the cursor goes to the next result, whichever reload runs first
        # (the decision's own event starts one too, and cancels this one's predecessor).
        from agentdeck.api import GetReview

        keep = self._keep_next or keep
        cockpit = getattr(self.app, "cockpit", None)
        try:
            if cockpit is not None and not cockpit.is_attached_to_session:
                self._set_summary("connecting to the session…")
                await cockpit.wait_attached()  # `agentdeck review` opens before the daemon answers
            listing = await self.bridge.session.execute(GetReview())
        except Exception as exc:  # a lost daemon or a store error: say why the list is missing
            self._set_summary(f"could not read the results: {exc}")
            return
        self.items = [item for item in listing.results if item.needs_decision]
        self.marked = [task_id for task_id in self.marked if self._item_index(task_id) is not None]
        self._keep_viewing()
        self._summary_line = listing.summary.line()
        self._set_summary()
        self.table.clear()
        for item in self.items:
            self.table.add_row(self._row(item), key=item.task_id, height=2)
        if not self.items:
            self.details = None
            close = self._key("review.close")
            self.head.update(
                "Nothing to decide. "
                + (f"{close} leaves." if self.exit_on_close else f"{close} goes back to the cockpit.")
            )
            self.plan_box.display = self.summary_box.display = False
            self.body.update(
                Text(
                    "Finished results show up here once verified: tests, the judge's verdict and the diff.",
                    style="dim",
                )
            )
            await self._clear_diff()
            return
        self.table.move_cursor(row=self._item_index(keep) or 0)
        self._keep_next = None
        if self.selected != self.shown:
            self.show_selected()

    def _keep_viewing(self) -> None:
        """An attempt that left its group's choice (decided) is no longer viewed: back to the lead."""
        for item in self.items:
            viewed = self.viewing.get(item.attempt_group or "")
            if viewed and not any(a.task_id == viewed and a.needs_decision for a in item.attempts):
                self.viewing.pop(item.attempt_group or "")

    def _row(self, item) -> Text:
        row = Text()
        marked = any(
            task_id == item.task_id or any(a.task_id == task_id for a in item.attempts)
            for task_id in self.marked
        )
        row.append("✓ " if marked else "", style=theme_style(self.app, "bold $accent"))
        best_of = f"best of {len(item.attempts)}: " if item.attempts else ""
        row.append(one_line(best_of + item.task, 40 - (2 if marked else 0)) + "\n", style="bold")
        verdict = (item.verdict or "no verdict").replace("_", " ")
        row.append(verdict, style=self._colour(VERDICT_COLOUR.get(item.verdict or "", ""), ""))
        row.append(" · ")
        tests = (item.tests or "—").replace("_", " ")
        row.append(f"tests {tests}", style=self._colour(TESTS_COLOUR.get(item.tests or "", ""), ""))
        row.append(f" · +{item.insertions} −{item.deletions}")
        if item.flags:
            row.append(" ⚑", style=theme_style(self.app, "bold $warning"))
        return row

    def _set_summary(self, text: str | None = None) -> None:
        if text is None:
            marked = (
                f" · {len(self.marked)} marked ({self._key('review.merge')} merges them together)"
                if self.marked
                else ""
            )
            doing = f" · {self.busy}…" if self.busy else ""
            text = f"{self._summary_line}{marked}{doing}"
        self.summary.update(text)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()
        if self.selected != self.shown:
            self.show_selected()

    def _key(self, binding_id: str) -> str:
        return key_hint(self.app, binding_id)

    # -- one result ----------------------------------------------------------------------

    @work(group="review-detail", exclusive=True, exit_on_error=False)
    async def show_selected(self) -> None:
        from agentdeck.api import GetResult

        task_id = self.selected
        if task_id is None:
            return
        try:
            details = await self.bridge.session.execute(GetResult(agent_id=task_id))
            findings = details.verdict.findings if details.verdict else []
            # Pygments over a long diff takes a while: not on the loop that draws and reads keys.
            rendered = (
                await asyncio.to_thread(render_diff, details.diff, findings, self._diff_colours())
                if details.diff
                else None
            )
        except Exception as exc:
            # Nothing of the previous result may stay on screen: keys act on what is shown.
            self.details = None
            self.head.update(f"{task_id}: could not read this result: {exc}")
            self.body.update("")
            await self._clear_diff()
            return
        if task_id != self.selected:
            return  # the cursor moved on while this was loading
        self.details = details
        self._show_problem(None)
        number = next(
            (a.attempt for a in (details.group.attempts if details.group else []) if a.task_id == task_id),
            None,
        )
        attempt = f" (attempt {number} of {len(details.group.attempts)})" if details.group and number else ""
        self.head.update(f"{details.item.task_id}{attempt} · {one_line(details.task, 200)}")
        self.body.update(self._describe(details, rendered))
        self.plan.update(Text(details.plan.strip() if details.plan else "", style="dim"))
        self.plan_box.display = bool(details.plan)
        self.agent_summary.update(Text(details.summary.strip() if details.summary else "", style="dim"))
        self.summary_box.display = bool(details.summary)
        await self._show_diff(details, rendered)
        self.detail.scroll_home(animate=False)

    def _describe(self, details, rendered) -> Text:
        item, body = details.item, Text()
        if details.group is not None:
            colours = AttemptColours(
                accent=theme_style(self.app, "bold $accent"),
                pick=theme_style(self.app, "bold $success"),
                warning=self._colour("warning", ""),
                tests={status: self._colour(name, "") for status, name in TESTS_COLOUR.items()},
            )
            keys = (self._key("review.attempt"), self._key("review.merge"))
            body.append_text(render_attempt_list(details.group, details.item.task_id, colours, keys))
        verdict = details.verdict
        if verdict is not None:
            body.append(
                f"judge: {verdict.kind.replace('_', ' ')}",
                style=theme_style(self.app, f"bold ${VERDICT_COLOUR.get(verdict.kind, '')}"),
            )
            body.append(f" ({verdict.model or '?'}) — {verdict.summary or verdict.reason}\n")
            if verdict.same_family_warning:
                body.append(f"  ⚑ {verdict.same_family_warning}\n", style=self._colour("warning", ""))
            # Findings without a file, or on a file the diff does not show (cut, or a path the
            # judge spelled its own way), are listed here: none may go unseen.
            elsewhere = [f for f in verdict.findings if not f.file] + (
                rendered.leftover if rendered else [f for f in verdict.findings if f.file]
            )
            for finding in elsewhere:
                where = (
                    f"{finding.file}:{finding.line} "
                    if finding.file and finding.line
                    else f"{finding.file} "
                    if finding.file
                    else ""
                )
                body.append(
                    f"  {finding.severity}: {where}{finding.message}\n",
                    style=self._colour("error", "") if finding.severity in ("blocker", "major") else "",
                )
            in_diff = len(verdict.findings) - len(elsewhere)
            if in_diff:
                body.append(
                    f"  {in_diff} finding{'s' if in_diff != 1 else ''} in the diff below, under {'the lines' if in_diff != 1 else 'the line'} they are about\n",
                    style="dim",
                )
        else:
            body.append("judge: no verdict yet\n", style="dim")
        if details.sandbox.startswith("unconfined"):
            body.append(f"⚑ the agent's commands ran {details.sandbox}\n", style=self._colour("warning", ""))
        elif details.sandbox:
            body.append(f"commands: {details.sandbox}\n", style="dim")
        tests = details.tests
        if tests is not None:
            body.append(
                f"tests: {tests.status.replace('_', ' ')}",
                style=theme_style(self.app, f"bold ${TESTS_COLOUR.get(tests.status, '')}"),
            )
            body.append(f" — {tests.message}\n")
            if tests.status in ("failed", "timeout", "error") and tests.output_tail:
                for line in tests.output_tail.splitlines()[-8:]:
                    body.append(f"  {line}\n", style="dim")
        for check in details.checks:
            if not check.ok:
                body.append(f"⚑ {check.message}\n", style=theme_style(self.app, "bold $warning"))
        for entry in details.feedback:
            body.append(f"your earlier feedback: {entry.text}\n", style="italic")
        stats = details.stats
        body.append(f"\n{stats.files_changed} file{'s' if stats.files_changed != 1 else ''}, ", style="bold")
        body.append(f"+{stats.insertions}", style=theme_style(self.app, "bold $success"))
        body.append(" ")
        body.append(f"−{stats.deletions}", style=theme_style(self.app, "bold $error"))
        body.append(f"  on {details.branch or 'no branch'} → {item.base_branch or '?'}\n", style="dim")
        for entry in details.files:
            body.append(f"  {entry.status:<9} {entry.path}  ")
            body.append(f"+{entry.insertions}", style=self._colour("success", ""))
            body.append(" ")
            body.append(f"−{entry.deletions}\n", style=self._colour("error", ""))
        return body

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "Next attempt" is in the footer only while a best-of-N group is selected.
        if action == "attempt":
            item = self.selected_item
            return bool(item is not None and item.attempts)
        return True

    def action_attempt(self) -> None:
        item = self.selected_item
        if item is None or not item.attempts:
            self.notify("this result is a single attempt: nothing else to show", severity="information")
            return
        choices = [a.task_id for a in item.attempts if a.needs_decision] or [item.task_id]
        current = self.selected
        following = choices[(choices.index(current) + 1) % len(choices)] if current in choices else choices[0]
        self.viewing[item.attempt_group] = following
        if self.selected != self.shown:
            self.show_selected()

    def _colour(self, name: str, fallback: str) -> str:
        return theme_colour(self.app, name, fallback)

    def _diff_colours(self) -> DiffColours:
        return DiffColours(
            added=self._colour("success", "green"),
            removed=self._colour("error", "red"),
            hunk=self._colour("accent", "cyan"),
            finding=self._colour("warning", "yellow"),
            blocker=self._colour("error", "red"),
            muted=self._colour("foreground-muted", "bright_black"),
            dark=self.app.current_theme.dark,
        )

    async def _clear_diff(self) -> None:
        self.diff_head.update("")
        self.file_index = -1
        await self.diff.remove_children(".diff-file")

    async def _show_diff(self, details, rendered) -> None:
        await self._clear_diff()
        if rendered is None:
            self.diff_head.update(Text(details.diff_unavailable or "(no changes)", style="dim"))
            return
        head = Text("diff", style="bold")
        if len(rendered.sections) > 1:
            head.append(
                f"  {len(rendered.sections)} files: {self._key('review.next_file')} next, {self._key('review.previous_file')} previous",
                style="dim",
            )
        self.diff_head.update(head)
        sections = [Static(text, markup=False, classes="diff-file") for _, text in rendered.sections]
        if details.diff_cut:
            note = f"… the diff is cut here ({details.diff_total_chars:,} characters in all): {self._key('review.editor')} opens the worktree"
            sections.append(Static(Text(note, style="dim"), markup=False, classes="diff-file"))
        await self.diff.mount_all(sections)

    def _show_problem(self, text: str | None) -> None:
        self.problem.update(text or "")
        self.problem.set_class(bool(text), "-shown")

    # -- moving --------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.items:
            self.table.move_cursor(row=(self.table.cursor_row + step) % len(self.items))

    def action_mark(self) -> None:
        task_id = self.selected
        if task_id is None:
            return
        if task_id in self.marked:
            self.marked.remove(task_id)
        else:
            self.marked.append(task_id)
        row = self.table.cursor_row
        self.table.update_cell(self.items[row].task_id, "result", self._row(self.items[row]))
        self._set_summary()

    def action_file(self, step: int) -> None:
        files = list(self.diff.query(".diff-file"))
        if not files:
            return
        self.file_index = max(0, min(len(files) - 1, self.file_index + step))
        self.detail.scroll_to_widget(files[self.file_index], top=True, animate=False)

    def action_plan(self) -> None:
        collapsed = not self.plan_box.collapsed
        self.plan_box.collapsed = self.summary_box.collapsed = collapsed

    def action_scroll(self, step: int) -> None:
        self.detail.scroll_to(
            y=self.detail.scroll_y + step * max(1, self.detail.size.height // 2), animate=False
        )

    # -- deciding ------------------------------------------------------------------------

    def _following(self, task_ids: list[str]) -> str | None:
        """Where the cursor goes after deciding `task_ids`: the next result still to decide."""
        ids = [item.task_id for item in self.items]
        decided = {self._item_index(task_id) for task_id in task_ids}
        last = self._item_index(task_ids[-1])
        after = ids[last + 1 :] + ids if last is not None else ids
        return next((task_id for task_id in after if ids.index(task_id) not in decided), None)

    @work(group="review-decide", exit_on_error=False)
    async def _decide(self, command: Merge | Reject | RequestChanges) -> None:
        from agentdeck.api import Merge, RequestChanges

        if self.busy:
            self.notify(f"wait: {self.busy}", severity="warning")
            return
        verb = command.type
        task_ids = command.task_ids if isinstance(command, Merge) else [command.agent_id]
        label = ", ".join(task_ids)
        self.busy = {
            "merge": f"merging {label}",
            "reject": f"rejecting {label}",
            "request_changes": f"sending {label} back",
        }[verb]
        self._set_summary()
        # Set before the call: the decision's own event may reload the list before the reply comes.
        self._keep_next = self._following(task_ids)
        failed: str | None = None
        report = None
        try:
            if isinstance(command, Merge):
                report = await self.bridge.session.execute(command)
            else:
                await self.bridge.session.execute(command)
        except CommandError as exc:
            failed = str(exc)
        except Exception as exc:  # a lost connection: say so, never crash
            failed = f"failed: {exc}"
        finally:
            self.busy = None
        if failed is None and report is not None and not report.merged:
            failed = self._merge_problem(report)
        if failed is not None:
            self._keep_next = None
            self._show_problem(f"{verb.replace('_', ' ')} {label}: {failed}")
            self.notify(
                failed.splitlines()[0],
                title=f"{verb.replace('_', ' ')} {label}",
                severity="error",
                timeout=15,
            )
            if isinstance(
                command, RequestChanges
            ):  # your feedback is not lost: the prompt comes back with it
                self._ask_feedback(command.agent_id, command.feedback)
            self.reload(keep=self.selected)  # events that came while this ran were not followed
            return
        if report is not None:
            done = f"merged {label} into {report.target}"
            if report.tests is not None and len(task_ids) > 1:
                done += f" (tests on the combined result: {report.tests.message})"
            if report.rejected:
                done += f"; rejected the other attempts: {', '.join(report.rejected)}"
        else:
            done = {
                "reject": f"rejected {label}; its branch stays until `agentdeck cleanup`",
                "request_changes": f"sent {label} back to its agent",
            }[verb]
        self.notify(done, timeout=5)
        self.marked = [task_id for task_id in self.marked if task_id not in task_ids]
        self.reload()

    @staticmethod
    def _merge_problem(report: MergeReport) -> str:
        lines = [report.reason or "nothing was merged"]
        for conflict in report.conflicts:
            lines.append(
                f"  conflict in {conflict.path} ({conflict.kind}) between {' and '.join(conflict.between)}"
            )
        for conflict in report.pair_conflicts:
            lines.append(f"  {' × '.join(conflict.between)}: {conflict.path} ({conflict.kind})")
        if report.tests is not None and report.tests.status not in ("passed", "not_configured", "skipped"):
            lines.append(f"  tests on the combined result: {report.tests.message}")
        if report.conflicts or report.pair_conflicts:
            lines.append("send it back with your feedback (say how to resolve it), or reject it")
        return "\n".join(lines)

    def _on_screen(self) -> str | None:
        """The result whose details are on screen: a decision is about what you saw."""
        if self.busy:
            self.notify(f"wait: {self.busy}", severity="warning")
            return None
        if self.selected is None:
            return None
        if self.selected != self.shown:
            self.notify("still loading this result: look first, then decide", severity="warning")
            return None
        return self.selected

    def action_merge(self) -> None:
        from agentdeck.api import Merge

        if self.marked:
            if not self.busy:
                self._decide(Merge(task_ids=list(self.marked)))
            return
        task_id = self._on_screen()
        if task_id:
            self._decide(Merge(task_ids=[task_id]))

    def action_reject(self) -> None:
        from agentdeck.api import Reject

        task_id = self._on_screen()
        if task_id:
            self._decide(Reject(agent_id=task_id))

    def action_changes(self) -> None:
        task_id = self._on_screen()
        if task_id:
            self._ask_feedback(task_id)

    def _ask_feedback(self, task_id: str, text: str = "") -> None:
        from agentdeck.api import RequestChanges

        self.app.push_screen(
            FeedbackScreen(task_id, text),
            ignoring_result(
                lambda typed: typed and self._decide(RequestChanges(agent_id=task_id, feedback=typed))
            ),
        )

    def action_editor(self) -> None:
        details = self.details
        if details is None or not details.worktree:
            self.notify("this result has no worktree left to open", severity="warning")
            return
        from agentdeck.runtime.review import editor_command

        try:
            command = editor_command(details.worktree)
        except ValueError as exc:  # shlex: an unbalanced quote in $EDITOR
            self.notify(f"can't read $VISUAL / $EDITOR: {exc}", severity="error", timeout=10)
            return
        try:
            with self.app.suspend():
                subprocess.run(command, cwd=details.worktree)
        except SuspendNotSupported:
            self.notify(
                f"can't hand the terminal to an editor here; open {details.worktree} yourself",
                severity="warning",
                timeout=10,
            )
        except OSError as exc:
            self.notify(
                f"could not start {command[0]}: {exc}; set $VISUAL or $EDITOR", severity="error", timeout=10
            )

    @work(group="review-pr", exclusive=True, exit_on_error=False)
    async def action_pull_request(self) -> None:
        from agentdeck.api import CreatePullRequest

        task_id = self._on_screen()
        if task_id is None:
            return
        self.notify(f"pushing {task_id} and opening a pull request…", timeout=3)
        try:
            reply = await self.bridge.session.execute(CreatePullRequest(agent_id=task_id))
        except Exception as exc:  # gh missing, no remote, a lost connection: all said, none fatal
            self.notify(
                str(exc) or type(exc).__name__,
                title=f"pull request for {task_id}",
                severity="error",
                timeout=15,
            )
            return
        self.notify(f"pull request: {reply.url}", timeout=15)

    def action_close(self) -> None:
        if self.exit_on_close:
            self.app.exit("reviewed")
        else:
            self.dismiss()
