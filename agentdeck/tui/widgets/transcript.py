"""A pane's transcript: streamed prose as Markdown, tool calls as collapsible one-liners, notes.

The blocks come from `cockpit_state.Transcript`; this widget mirrors them and keeps at
most as many widgets as the model keeps blocks, because layout cost grows with the
number of widgets. The full history stays in the store: `agentdeck logs ID`.
"""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Markdown, Static

from agentdeck.tui.cockpit_state import Block, Change, Transcript
from agentdeck.tui.widgets.prose_parser import prose_parser

# What a tool block shows when expanded; the agent saw (and the store keeps) all of it.
OUTPUT_SHOWN_CHARS = 2000
ARGS_SHOWN_CHARS = 60


def tool_title(block: Block) -> str:
    args = " ".join(block.arguments.split())
    if len(args) > ARGS_SHOWN_CHARS:
        args = args[: ARGS_SHOWN_CHARS - 1] + "…"
    if block.ok is None:
        status = "…"
    else:
        mark = "✓" if block.ok else "✗"
        status = f"{mark} {block.duration_s:.1f}s" if block.duration_s is not None else mark
    # The outcome before the arguments: a narrow pane cuts the end of the line, not the ✓/✗.
    return f"{block.name} {status}  {args}"


class ProseBlock(Markdown):
    """Assistant prose, streamed through Textual's MarkdownStream (it batches fragments)."""

    DEFAULT_CSS = "ProseBlock { margin: 0; padding: 0; background: transparent; }"

    def __init__(self, block: Block) -> None:
        super().__init__(block.text, parser_factory=prose_parser)
        self.block = block
        self._stream = None
        # How much of `block.text` (the model, which events extend) this widget has shown.
        # Catching up from it, rather than appending each change, can never show a fragment
        # twice, whatever arrived while a mount or a stream stop was awaited.
        self._shown = len(block.text)

    async def catch_up(self) -> None:
        new = self.block.text[self._shown :]
        if not new:
            return
        self._shown = len(self.block.text)
        if self._stream is None:
            self._stream = Markdown.get_stream(self)
        await self._stream.write(new)

    async def finish(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()


class FoldBlock(Static, can_focus=True):
    """A one-line title that unfolds to a body (click, or Enter/Space when focused).

    One widget, where a Collapsible is four: a pane holds dozens of these, and the
    cockpit's layout cost grows with the widget count."""

    DEFAULT_CSS = """
    FoldBlock { margin: 0; padding: 0; background: transparent; text-wrap: nowrap; text-overflow: ellipsis; }
    FoldBlock.-expanded { text-wrap: wrap; }
    FoldBlock:focus { background: $boost; text-style: bold; }
    """
    BINDINGS = [Binding("enter,space", "toggle", "Unfold", show=False)]

    def __init__(self, title: str, body: str = "", **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.title, self.body, self.expanded = title, body, False
        self._render_fold(layout=False)

    def set_fold(self, title: str, body: str) -> None:
        if (title, body) != (self.title, self.body):
            self.title, self.body = title, body
            # Folded, it is one row (cut, not wrapped) whatever the text: no layout needed.
            self._render_fold(layout=self.expanded)

    def _render_fold(self, layout: bool) -> None:
        text = Text(("▼ " if self.expanded else "▶ ") + self.title)
        if self.expanded:
            text.append(
                "\n" + "\n".join("  " + line for line in (self.body or "(nothing yet)").splitlines()),
                style="dim",
            )
        self.update(text, layout=layout)

    def action_toggle(self) -> None:
        self.expanded = not self.expanded
        self.set_class(self.expanded, "-expanded")
        self._render_fold(layout=True)

    def on_click(self) -> None:
        self.action_toggle()


class ToolBlock(FoldBlock):
    """One tool call: a one-line title (name, arguments, ✓/✗, time) that unfolds to its output."""

    DEFAULT_CSS = "ToolBlock.-failed { color: $error; }"

    def __init__(self, block: Block) -> None:
        self.block = block
        super().__init__(tool_title(block))
        self.show(block)

    def show(self, block: Block) -> None:
        self.set_class(block.ok is False, "-failed")
        output = block.output
        if len(output) > OUTPUT_SHOWN_CHARS:
            output = output[:OUTPUT_SHOWN_CHARS] + f"\n… {len(output) - OUTPUT_SHOWN_CHARS:,} more characters"
        self.set_fold(tool_title(block), output or "(no output yet)")


class NoteBlock(Static):
    """A line the cockpit adds: the plan, a split, a sub-agent, your steer, the end."""

    DEFAULT_CSS = """
    NoteBlock { margin: 0 0 1 0; color: $foreground-muted; }
    NoteBlock.-split, NoteBlock.-sub { color: $accent; }
    NoteBlock.-steer { color: $primary; text-style: bold; }
    NoteBlock.-waiting { color: $warning; text-style: bold; }
    NoteBlock.-stalled { color: $warning; text-style: bold; }
    NoteBlock.-finished { color: $success; text-style: bold; }
    NoteBlock.-failed { color: $error; text-style: bold; }
    """

    ICONS = {
        "split": "◆ ",
        "sub": "↳ ",
        "steer": "› ",
        "waiting": "⏸ ",
        "stalled": "⚠ ",
        "finished": "✔ ",
        "failed": "✘ ",
    }

    def __init__(self, block: Block) -> None:
        super().__init__(
            Text(self.ICONS.get(block.tone, "· ") + block.text), classes=f"-{block.tone}", markup=False
        )
        self.block = block


class PlanBlock(FoldBlock):
    """The planner's plan, folded away under one line."""

    DEFAULT_CSS = "PlanBlock { margin: 0 0 1 0; }"

    def __init__(self, block: Block) -> None:
        lines = block.text.strip().splitlines()
        super().__init__(f"plan ({len(lines)} lines)", block.text.strip())
        self.block = block


def block_widget(block: Block) -> Widget:
    if block.kind == "prose":
        return ProseBlock(block)
    if block.kind == "tool":
        return ToolBlock(block)
    if block.tone == "plan":
        return PlanBlock(block)
    return NoteBlock(block)


class TranscriptView(VerticalScroll):
    """The widgets of one transcript, following the end unless you scrolled up to read."""

    DEFAULT_CSS = """
    TranscriptView { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; scrollbar-gutter: stable; }
    TranscriptView > .dropped { color: $foreground-muted; text-style: italic; }
    """

    def __init__(self, limit: int = 80, **kwargs) -> None:
        super().__init__(**kwargs)
        self.limit = limit
        self._widgets: dict[int, Widget] = {}
        self._dropped = Static("", classes="dropped")
        self._dropped.display = False
        self._task_id = ""
        self._mounted = asyncio.Event()
        # load() and apply() run from different tasks (a history worker, the frame timer).
        self._lock = asyncio.Lock()

    def compose(self):
        yield self._dropped

    def on_mount(self) -> None:
        self._mounted.set()

    async def on_unmount(self) -> None:
        await self._finish_prose()  # a pane that closes leaves no Markdown stream task behind

    async def _ready(self) -> bool:
        """Wait until this view is on screen (a history can arrive first); False if it went away."""
        if not self.is_mounted:
            try:
                await asyncio.wait_for(self._mounted.wait(), 10)
            except TimeoutError:
                return False
        return self.is_attached

    async def load(self, transcript: Transcript, task_id: str) -> None:
        """Show a whole transcript at once (a pane opening, or the cockpit attaching)."""
        if not await self._ready():
            return
        async with self._lock:
            await self._load(transcript, task_id)

    async def _load(self, transcript: Transcript, task_id: str) -> None:
        self._task_id = task_id
        await self._finish_prose()
        await self.remove_children([w for w in self._widgets.values()])
        self._widgets = {block.number: block_widget(block) for block in transcript.blocks}
        if self._widgets:
            await self.mount_all(list(self._widgets.values()))
        self._show_dropped(transcript.dropped)
        self.scroll_end(animate=False, immediate=True)

    async def apply(self, changes: list[Change], dropped: int) -> None:
        """Show what the latest events changed (already coalesced by the caller)."""
        if not await self._ready():
            return
        async with self._lock:
            await self._apply(changes, dropped)

    async def _apply(self, changes: list[Change], dropped: int) -> None:
        follow = self.scroll_y >= self.max_scroll_y - 1
        added: list[Widget] = []
        for change in changes:
            widget = self._widgets.get(change.block.number)
            if widget in added:
                continue  # made from the block as it is now, which already holds this change
            if change.op == "prose" and isinstance(widget, ProseBlock):
                await widget.catch_up()
            elif change.op == "update" and isinstance(widget, ToolBlock):
                widget.show(change.block)
            elif change.op == "add" and change.block.number not in self._widgets:
                await self._finish_prose()
                if not self.is_attached:
                    return  # the pane closed (or the app quit) while the prose finished: nothing to show
                widget = block_widget(change.block)
                self._widgets[change.block.number] = widget
                await self.mount(widget)
                added.append(widget)
        excess = len(self._widgets) - self.limit
        if excess > 0:
            old = list(self._widgets)[:excess]
            gone = [self._widgets.pop(number) for number in old]
            for widget in gone:
                if isinstance(widget, ProseBlock):
                    await widget.finish()
            await self.remove_children(gone)
        self._show_dropped(dropped)
        if follow:
            self.scroll_end(animate=False)

    async def _finish_prose(self) -> None:
        for widget in self._widgets.values():
            if isinstance(widget, ProseBlock):
                await widget.finish()

    def _show_dropped(self, dropped: int) -> None:
        self._dropped.display = dropped > 0
        if dropped:
            self._dropped.update(f"… {dropped:,} earlier blocks: agentdeck logs {self._task_id}")
