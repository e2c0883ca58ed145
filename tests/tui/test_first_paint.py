"""The cockpit's first screen comes before anything it needs only later (goal: < 0.5 s).

bench_cockpit measures the time; these tests keep what made it fast: the UI process imports
no event models, Markdown or file watcher before it paints, and paints before it attaches.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agentdeck.tui.link import InProcessLink
from tests.tui.conftest import make_live_session

# Modules the first screen does not need: each was imported before it, and cost 5-50 ms.
AFTER_THE_FIRST_PAINT = (
    "agentdeck.events",  # ~60 pydantic models: needed at the first event
    "agentdeck.runtime.session_api",  # the command models: needed at the first command
    "agentdeck.tui.widgets.agent_pane",  # Markdown and its parser: needed at the first pane
    "markdown_it",
    "watchfiles",  # theme hot reload: starts after the first paint
    "agentdeck.tui.screens.review",  # opened by a key
    "litellm",  # the daemon's, never the UI's
)


def test_what_the_cockpit_imports_before_it_paints_leaves_out_what_it_needs_later() -> None:
    probe = (
        "import sys\n"
        "import agentdeck.cli, agentdeck.commands.cockpit, agentdeck.config, agentdeck.tui.app, agentdeck.tui.themes\n"
        f"print(sorted(m for m in {AFTER_THE_FIRST_PAINT!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


async def test_the_cockpit_paints_before_it_opens_the_session(repo: Path) -> None:
    from agentdeck.tui.app import CockpitApp

    session = make_live_session(repo)
    await session.start()
    order: list[str] = []

    class RecordingLink(InProcessLink):
        async def open(self, notice=None, *, start: bool = True):
            order.append("open")
            return await super().open(notice, start=start)

    app = CockpitApp(RecordingLink(session, "repo"), session.settings)
    display = app._display

    def recorded_display(screen, update) -> None:
        # Textual drops a frame composed inside a batch (while `on_mount` runs): not a paint.
        if update is not None and not app._batch_count and "painted" not in order:
            order.append("painted")
        display(screen, update)

    app._display = recorded_display  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await app.cockpit.wait_attached()
            await pilot.pause()
            assert order[:2] == ["painted", "open"]
    finally:
        await session.shutdown()
