"""The cockpit app: wires the session bridge, the dashboard, keys, themes and attention. Thin on purpose."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from agentdeck.cockpit_settings import CockpitSettings
from agentdeck.runtime.command_error import CommandError
from agentdeck.task_state import TaskState
from agentdeck.tui import textual_patches
from agentdeck.tui.attention import (
    OWN_INTERRUPT_S,
    Attention,
    AttentionBatcher,
    attention_message,
    notify_desktop,
)
from agentdeck.tui.bridge import SessionBridge
from agentdeck.tui.callbacks import ignoring_result
from agentdeck.tui.cockpit_state import CockpitState, TaskView
from agentdeck.tui.gc_scheduler import TICK_S, GcScheduler
from agentdeck.tui.link import SessionLink, SetupError
from agentdeck.tui.screens.cockpit import CockpitScreen
from agentdeck.tui.textual_patches.keymap import current_keymap
from agentdeck.tui.widgets.queue_panel import QueuePanel


class CockpitApp(App[str]):
    """`run()` returns how it ended: "detached", "stopped", "lost", or "setup failed" (see `setup_error`)."""

    TITLE = "agentdeck"
    # The cockpit's own CSS, with the app's: Textual reads a default screen's CSS_PATH only
    # when the screen is pushed, and then parses every source again.
    CSS_PATH = "screens/cockpit.tcss"
    BINDINGS = [
        Binding(
            "ctrl+n", "new_task", "New task", id="new_task", tooltip="Start a new agent on a task you type"
        ),
        Binding(
            "ctrl+d",
            "detach",
            "Detach",
            id="detach",
            priority=True,
            tooltip="Leave; the agents keep working (run agentdeck to come back)",
        ),
        Binding(
            "ctrl+q",
            "quit_cockpit",
            "Quit",
            id="quit",
            priority=True,
            tooltip="Quit: stop the agents or leave them running",
        ),
        Binding("f1", "help", "Keys", id="help", tooltip="List every key"),
        Binding(
            "f2", "review", "Review", id="review", tooltip="Decide finished results: merge, reject, send back"
        ),
        Binding(
            "f3",
            "new_sprint",
            "Sprint",
            id="new_sprint",
            tooltip="Plan a feature into role agents that run in parallel and end in one result",
        ),
    ]

    def __init__(
        self,
        link: SessionLink,
        settings: CockpitSettings,
        *,
        clock: Callable[[], float] = time.time,
        seed_tasks: list[tuple[str, bool]] | None = None,
        seed_sprint: str | None = None,
        start_on: str | None = None,
    ) -> None:
        textual_patches.install()
        super().__init__()
        # "review": open on the review screen, and leave when it closes (`agentdeck review`).
        self.start_on = start_on
        self._started = False  # attached and watching themes (after the first paint)
        # Tasks to queue once attached (`agentdeck demo`): (text, foreground).
        self.seed_tasks = seed_tasks or []
        # A sprint to start (on the demo model, unconfirmed) once the tasks are queued (`agentdeck demo`).
        self.seed_sprint = seed_sprint
        self.settings = settings
        # Why the session could not be reached at all (`SetupError`), for the command line.
        self.setup_error: str | None = None
        self.state = CockpitState(transcript_limit=settings.transcript_blocks)
        self.bridge = SessionBridge(link, self.state)
        self.clock = clock
        # (task id, why) of every attention call, in order: what the person was told.
        self.announced: list[tuple[str, str]] = []
        self.attention_batcher = AttentionBatcher(self._say_attention, self.set_timer)
        # Full garbage collections between your keys (see gc_scheduler.py).
        self.gc_scheduler = GcScheduler()
        self.cockpit = CockpitScreen(
            self.state,
            self.bridge,
            threshold=settings.split_threshold,
            transcript_limit=settings.transcript_blocks,
            clock=clock,
        )
        from agentdeck.tui.themes import ThemeManager

        # Before the app runs, so the CSS is parsed once, with this theme's colours. Only this
        # theme's file: the others are read after the first frame, when the watcher starts.
        # A broken theme file never stops the cockpit: it falls back, and says so once mounted.
        self.themes = ThemeManager(settings.theme)
        self.themes.install(self, first_frame=True)

    async def on_mount(self) -> None:
        self.themes.follow(self)
        self._apply_keymap()
        # Before any pane exists: what it freezes must live as long as the app.
        self.gc_scheduler.start()
        self.set_interval(TICK_S, self.gc_scheduler.tick, name="gc scheduler")
        # Attaching waits for the first paint (`on_ready`), but never for more than a second.
        self.set_timer(1.0, self._after_first_paint)
        if self.start_on == "review":
            from agentdeck.tui.screens.review import ReviewScreen

            await self.push_screen(ReviewScreen(self.bridge, exit_on_close=True))
        if self.seed_tasks or self.seed_sprint:
            self._seed()

    def get_default_screen(self) -> Screen:
        """The cockpit is the first screen: composed with the app, before anything attaches.

        As the default screen its first layout is the frame that reaches the terminal; a screen
        pushed from `on_mount` is laid out and painted once inside Textual's start-up batch, a
        frame that is dropped (~15-35 ms)."""
        return self.cockpit

    def on_ready(self) -> None:
        """The screen is laid out: make sure it is painted, then attach and watch the theme files.

        Textual drops what it paints inside its start-up batch (while `on_mount` runs). The
        cockpit, as the default screen, is normally first laid out and painted after it; this
        refresh makes sure a frame is out before the attach imports the session's client and
        event models (~50 ms) and the theme watcher starts."""
        self.screen.refresh()
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        if self._started:
            return
        self._started = True
        self._attach()
        self.run_worker(self.themes.watch(self), group="themes", exclusive=True, exit_on_error=False)

    @work(group="session", exit_on_error=False)
    async def _attach(self) -> None:
        try:
            await self.bridge.run(self.cockpit)
        except SetupError as exc:  # a bad config file, not a repository: the command line says it
            self.setup_error = str(exc)
            self.exit("setup failed")
        except Exception as exc:  # a daemon that will not start, a broken connection
            self.cockpit.lost(str(exc) or type(exc).__name__)
            self.notify(str(exc), title="Session", severity="error", timeout=30)

    @work(group="seed", exit_on_error=False)
    async def _seed(self) -> None:
        await self.cockpit.wait_attached()
        # Imported once attached, not when this worker starts (on mount): pydantic and the command
        # models before the first frame cost the demo's first paint ~0.3 s.
        from agentdeck.api import Enqueue, PlanSprint, StartSprint

        for text, foreground in self.seed_tasks:
            try:
                await self.bridge.session.execute(Enqueue(task=text, foreground=foreground, source="api"))
            except CommandError as exc:
                self.notify(str(exc), title="Demo", severity="error")
                return
        if self.seed_sprint:
            try:
                planned = await self.bridge.session.execute(
                    PlanSprint(feature=self.seed_sprint, model="demo")
                )
                started = await self.bridge.session.execute(
                    StartSprint(plan=planned.plan.model_dump(mode="json"), model="demo")
                )
            except CommandError as exc:
                self.notify(str(exc), title="Demo sprint", severity="error")
                return
            self.notify(
                f"{started.sprint_id}: {self.seed_sprint} — four role agents after the contracts, "
                "one integrated result in review (F2)",
                title="Demo sprint",
                timeout=8,
            )

    def _apply_keymap(self) -> None:
        keys = dict(self.settings.keys)
        if not keys:
            return  # nothing remapped: no need to import every screen's bindings before the first paint
        known = {binding_id for _, binding_id, _, _ in self.binding_rows()}
        unknown = sorted(set(keys) - known)
        if unknown:
            self.notify(
                f"[ui.keys] has unknown binding ids {', '.join(unknown)}; known ids: {', '.join(sorted(known))}",
                severity="warning",
                timeout=20,
            )
        self.set_keymap({k: v for k, v in keys.items() if k in known})

    # -- attention ---------------------------------------------------------------------

    def announce(self, view: TaskView, why: str) -> None:
        """An agent needs a person: say so once, in the cockpit, with the bell and on the desktop
        (calls close together go out as one: see attention.py)."""
        interrupted = self.cockpit.interrupted_by_you.pop(view.id, None)
        if (
            view.state == TaskState.WAITING
            and interrupted is not None
            and time.monotonic() - interrupted < OWN_INTERRUPT_S
        ):
            return  # you did that yourself, just now: no bell
        self.announced.append((view.id, why))
        # As things are now: by the end of a window the task may have moved on.
        self.attention_batcher.add(Attention(view.id, why, view.state, view.task, view.reason))

    def _say_attention(self, batch: list[Attention]) -> None:
        message = attention_message(batch)
        self.notify(message.detail, title=message.title, severity=message.severity, timeout=6)  # type: ignore[arg-type]
        if self.settings.bell:
            self.bell()
        if self.settings.os_notifications:
            notify_desktop(f"agentdeck: {message.title}", message.desktop_body)

    # -- keys and the palette ----------------------------------------------------------

    @staticmethod
    def binding_scopes() -> Iterator[tuple[str, Iterable[Binding]]]:
        """Every binding that has an id, by where it applies: what [ui.keys] can remap.

        The cockpit's own scopes come first: a hint for one of its keys is found before the
        other screens are imported, which the first paint need not wait for."""
        yield ("everywhere", CockpitApp.BINDINGS)  # type: ignore[misc]
        yield ("cockpit", CockpitScreen.BINDINGS)  # type: ignore[misc]
        yield ("queue", QueuePanel.BINDINGS)  # type: ignore[misc]
        from agentdeck.tui.screens.dialogs import ConfirmScreen, NewTaskScreen, QuitScreen
        from agentdeck.tui.screens.peek import PeekScreen
        from agentdeck.tui.screens.review import FeedbackScreen, ReviewScreen
        from agentdeck.tui.screens.sprint import NewSprintScreen, SprintPlanScreen

        yield ("peek", PeekScreen.BINDINGS)  # type: ignore[misc]
        yield ("review", ReviewScreen.BINDINGS)  # type: ignore[misc]
        yield (
            "dialogs",
            [
                *NewTaskScreen.BINDINGS,
                *QuitScreen.BINDINGS,
                *ConfirmScreen.BINDINGS,
                *FeedbackScreen.BINDINGS,
                *NewSprintScreen.BINDINGS,
                *SprintPlanScreen.BINDINGS,
            ],
        )  # type: ignore[misc]

    def _keys_of(self, binding: Binding) -> list[str]:
        return [key.strip() for key in current_keymap(self).get(binding.id or "", binding.key).split(",")]

    def binding_rows(self) -> list[tuple[str, str, str, str]]:
        """(where, id, key, description) of every cockpit binding, keys as remapped."""
        rows = []
        for where, bindings in self.binding_scopes():
            for binding in bindings:
                shown = ", ".join(
                    self.get_key_display(Binding(key, binding.action)) for key in self._keys_of(binding)
                )
                rows.append((where, binding.id or "", shown, binding.tooltip or binding.description))
        return rows

    def key_for(self, binding_id: str) -> str:
        """How the first key of a binding shows (Ctrl+N, Esc), as remapped: for hints in the text."""
        for _, bindings in self.binding_scopes():
            for binding in bindings:
                if binding.id == binding_id:
                    shown = self.get_key_display(Binding(self._keys_of(binding)[0], binding.action))
                    if shown.startswith("^"):
                        return "Ctrl+" + shown[1:].upper()
                    return shown[:1].upper() + shown[1:]
        return binding_id

    # Textual's own palette entries that ours replace: its "Keys" opens a side panel beside
    # ours, and its "Quit" would end the cockpit without asking what the agents should do.
    REPLACED_SYSTEM_COMMANDS = frozenset({"Keys", "Quit"})

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in self.REPLACED_SYSTEM_COMMANDS:
                yield command
        yield SystemCommand(
            "New task",
            f"Start a new agent on a task you type ({self.key_for('new_task')})",
            self.action_new_task,
        )
        yield SystemCommand(
            "New sprint",
            f"Plan a feature into role agents, integrated as one result ({self.key_for('new_sprint')})",
            self.action_new_sprint,
        )
        yield SystemCommand(
            "Interrupt agent",
            f"Stop the focused agent at once ({self.key_for('interrupt')})",
            self.cockpit.action_interrupt,
        )
        yield SystemCommand(
            "Close pane",
            f"Demote the focused agent, or close its pane when it ended ({self.key_for('close_pane')})",
            self.cockpit.action_close_pane,
        )
        yield SystemCommand(
            "Resume agent",
            "Resume the focused agent: interrupted, failed, waiting or stalled",
            self.cockpit.action_resume_pane,
        )
        yield SystemCommand(
            "Queue",
            f"Move to the background queue ({self.key_for('focus_queue')})",
            self.cockpit.action_focus_queue,
        )
        yield SystemCommand(
            "Detach", f"Leave; the agents keep working ({self.key_for('detach')})", self.action_detach
        )
        yield SystemCommand(
            "Quit agentdeck",
            f"Stop the agents or leave them running ({self.key_for('quit')})",
            self.action_quit_cockpit,
        )
        yield SystemCommand("Keys", f"List every key ({self.key_for('help')})", self.action_help)
        yield SystemCommand(
            "Review results",
            f"Decide finished results: merge, reject, send back ({self.key_for('review')})",
            self.action_review,
        )
        queue = self.cockpit.queue
        for label, action, help_text in (
            ("Peek at task", queue.action_peek, "Watch the selected queue task's live transcript"),
            ("Promote task", queue.action_promote, "Give the selected queue task a foreground pane"),
            ("Cancel task", queue.action_cancel, "Cancel the selected queue task"),
            ("Sort queue", queue.action_sort, "Sort the queue by the next column"),
        ):
            yield SystemCommand(label, help_text, action)

    # -- actions -----------------------------------------------------------------------

    def action_help(self) -> None:
        from agentdeck.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.binding_rows()))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A screen may hide cockpit actions that make no sense on it (new task, review on the review screen).
        return action not in getattr(self.screen, "HIDES_APP_ACTIONS", ())

    def action_review(self) -> None:
        from agentdeck.tui.screens.review import ReviewScreen

        if not any(isinstance(screen, ReviewScreen) for screen in self.screen_stack):
            self.push_screen(ReviewScreen(self.bridge))

    def action_new_task(self) -> None:
        from agentdeck.tui.screens.dialogs import NewTaskScreen

        self.push_screen(NewTaskScreen(), ignoring_result(self._enqueue))

    def action_new_sprint(self) -> None:
        from agentdeck.tui.screens.sprint import NewSprintScreen

        self.push_screen(NewSprintScreen(), ignoring_result(self._plan_sprint))

    @work(group="commands", exit_on_error=False)
    async def _plan_sprint(self, request) -> None:
        from agentdeck.api import PlanSprint, StartSprint
        from agentdeck.tui.screens.sprint import SprintPlanScreen

        if request is None:
            return
        self.notify("The planner is reading the repository…", title="Sprint", timeout=3)
        try:
            planned = await self.bridge.session.execute(
                PlanSprint(feature=request.feature, model=request.model)
            )
        except (CommandError, RuntimeError) as exc:
            self.notify(str(exc), title="Sprint", severity="error", timeout=10)
            return
        if await self.push_screen_wait(SprintPlanScreen(planned.plan)):
            try:
                started = await self.bridge.session.execute(
                    StartSprint(plan=planned.plan.model_dump(mode="json"), model=request.model)
                )
            except (CommandError, RuntimeError) as exc:
                self.notify(str(exc), title="Sprint", severity="error", timeout=10)
                return
            self.notify(
                f"{started.sprint_id} started: contracts committed, {len(started.tasks)} role tasks queued",
                title="Sprint",
                timeout=6,
            )

    @work(group="commands", exit_on_error=False)
    async def _enqueue(self, new) -> None:
        from agentdeck.api import Enqueue

        if new is None:
            return
        try:
            reply = await self.bridge.session.execute(
                Enqueue(
                    task=new.text, foreground=new.foreground, model=new.model, source="api", skills=new.skills
                )
            )
        except (CommandError, RuntimeError) as exc:
            self.notify(str(exc), title="New task", severity="error")
            if isinstance(exc, CommandError):  # refused (an unknown skill, say): fix what was typed
                from agentdeck.tui.screens.dialogs import NewTaskScreen

                self.push_screen(NewTaskScreen(new), ignoring_result(self._enqueue))
            return
        where = "a pane" if new.foreground else "the background queue"
        self.notify(f"{reply.task_id} queued for {where} ({reply.state})", timeout=4)

    def action_detach(self) -> None:
        self.exit("lost" if self.cockpit.lost_reason else "detached")

    def action_quit_cockpit(self) -> None:
        from agentdeck.tui.screens.dialogs import QuitScreen

        if self.cockpit.lost_reason:
            self.exit("lost")
            return
        # Queued and verifying tasks go on without you too: stopping is a real choice then.
        running = sum(
            1
            for view in self.state.tasks.values()
            if view.alive or view.state in (TaskState.QUEUED, TaskState.VERIFYING)
        )
        if running == 0:
            self.exit("detached")
            return
        self.push_screen(QuitScreen(running), ignoring_result(self._quit_chosen))

    @work(group="commands", exit_on_error=False)
    async def _quit_chosen(self, choice: str | None) -> None:
        from agentdeck.api import Stop

        if choice == "detach":
            self.exit("detached")
        elif choice == "stop":
            self.notify("Stopping the agents; each checkpoints its work…", timeout=30)
            try:
                await self.bridge.session.execute(Stop())
            except CommandError as exc:
                self.notify(str(exc), severity="error")
                return
            self.exit("stopped")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.gc_scheduler.key_pressed()
            self.cockpit.key_pressed()
        await super().on_event(event)

    async def on_unmount(self) -> None:
        self.gc_scheduler.stop()
        await self.bridge.close()
