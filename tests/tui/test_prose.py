"""Agents' prose in a pane shows file paths and identifiers as written, Markdown otherwise intact."""

from __future__ import annotations

from textual.app import App, ComposeResult

from agentdeck.tui.cockpit_state import Block
from agentdeck.tui.widgets.transcript import ProseBlock

PROSE = "I'll edit invoice_tools/__init__.py, rename _round_half_up_ and keep **totals** as they are."


class ProseApp(App):
    def __init__(self, block: Block) -> None:
        super().__init__()
        self.block = block

    def compose(self) -> ComposeResult:
        yield ProseBlock(self.block)


async def test_dunder_paths_and_underscored_names_show_as_written_while_bold_still_renders() -> None:
    block = Block(kind="prose", text=PROSE[:20])
    app = ProseApp(block)
    async with app.run_test(size=(120, 10)) as pilot:
        prose = app.query_one(ProseBlock)
        block.text = PROSE  # the rest arrives streamed, split inside `__init__`
        await prose.catch_up()
        await prose.finish()
        await pilot.pause()
        paragraph = prose.query_one("MarkdownParagraph")
        shown = paragraph.content if hasattr(paragraph, "content") else paragraph.render()
        plain = getattr(shown, "plain", str(shown))
        assert "invoice_tools/__init__.py" in plain
        assert "_round_half_up_" in plain
        assert "**" not in plain and "totals" in plain  # bold is still Markdown
