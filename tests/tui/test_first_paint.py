"""The cockpit's first screen comes before anything it needs only later (goal: < 0.5 s).

bench_first_paint measures the time; these tests keep what made it fast: the UI process
imports no event models, Markdown, file watcher or other screens before its first frame goes
out; that frame is the cockpit's, its CSS parsed once (the theme chosen before the app runs,
no screen pushed on top of a blank one); and it goes out before the cockpit attaches.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentdeck.cockpit_settings import CockpitSettings
from agentdeck.tui.link import InProcessLink
from tests.tui.conftest import make_live_session

# Modules the first screen does not need: each was imported before it, and cost 5-50 ms.
AFTER_THE_FIRST_PAINT = (
    "agentdeck.events",  # ~60 pydantic models: needed once attached
    "agentdeck.api",  # the command models: likewise
    "agentdeck.replies",
    "agentdeck.server.client",  # the daemon's client: imported by the attach
    "agentdeck.tui.widgets.agent_pane",  # Markdown and its parser: needed at the first pane
    "markdown_it",
    "watchfiles",  # theme hot reload: starts after the first paint
    "agentdeck.tui.screens.review",  # screens a key opens
    "agentdeck.tui.screens.peek",
    "agentdeck.tui.screens.dialogs",
    "litellm",  # the daemon's, never the UI's
    # The whole configuration is validated after the first frame, and theme files are
    # checked by hand: pydantic alone cost the first frame ~45 ms.
    "pydantic",
    "pydantic_settings",
    "agentdeck.config",
    "pygit2",  # the repository is opened after it too (~50 ms)
    "json",  # only an AGENTDECK_UI variable needs it (cockpit_settings)
)

# A fresh process, as `agentdeck` starts: the cockpit runs headless on a link that never
# answers, and the first frame that goes out notes which of those modules were imported.
PROBE = f"""
import asyncio, sys
from pathlib import Path
from agentdeck.cockpit_settings import read_cockpit_settings
from agentdeck.commands.cockpit import working_tree_root
from agentdeck.tui.app import CockpitApp

class NeverAnswers:
    label = "probe"
    async def open(self, notice=None, *, start=True):
        await asyncio.Event().wait()
    async def release(self, api):
        pass

# What `agentdeck` does before its first frame (commands/cockpit.py); `demo` seeds tasks too.
seed = [("take notes", True)] if sys.argv[1:] == ["demo"] else None
app = CockpitApp(NeverAnswers(), read_cockpit_settings(working_tree_root(Path.cwd())), seed_tasks=seed)
imported = []
display = app._display
# Each is a parse of all the CSS, or a whole layout and paint, that the first frame waited for.
costs = {{"refresh_css": 0, "reparse": 0, "frames": 0}}

def counted(name, method):
    def call(*args, **kwargs):
        if not imported:
            costs[name] += 1
        return method(*args, **kwargs)
    return call

app.refresh_css = counted("refresh_css", app.refresh_css)
app.stylesheet.reparse = counted("reparse", app.stylesheet.reparse)

def first_frame(screen, update):
    if update is not None and not imported:
        costs["frames"] += 1  # a frame painted, and dropped while Textual starts the app (a batch)
        if not app._batch_count:
            imported.append(sorted(m for m in {AFTER_THE_FIRST_PAINT!r} if m in sys.modules))
            # Neither the queue's table nor the themes not chosen are needed for it.
            costs["tables"] = len(screen.query("DataTable"))
            costs["themes"] = sorted(name for name in app.available_themes if name.startswith("agentdeck"))
            print("first frame:", type(screen).__name__, costs)
    display(screen, update)

app._display = first_frame

async def main():
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()

asyncio.run(main())
print(imported)
"""


@pytest.mark.parametrize("command", ["attach", "demo"])
def test_the_first_frame_goes_out_before_what_the_cockpit_needs_only_later(
    tmp_path: Path, repo: Path, command: str
) -> None:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path),
    }  # no user config: [ui.keys] would import every screen
    result = subprocess.run(
        [sys.executable, "-c", PROBE, command], capture_output=True, text=True, check=True, env=env, cwd=repo
    )
    first_frame, imported = result.stdout.strip().splitlines()
    assert imported == "[[]]"
    assert first_frame == (
        "first frame: CockpitScreen {'refresh_css': 0, 'reparse': 0, 'frames': 1,"
        " 'tables': 0, 'themes': ['agentdeck-dark']}"
    )


async def test_the_cockpit_paints_before_it_opens_the_session(repo: Path) -> None:
    from agentdeck.tui.app import CockpitApp

    session = make_live_session(repo)
    await session.start()
    order: list[str] = []

    class RecordingLink(InProcessLink):
        async def open(self, notice=None, *, start: bool = True):
            order.append("open")
            return await super().open(notice, start=start)

    app = CockpitApp(RecordingLink(session, "repo"), CockpitSettings.from_settings(session.settings))
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
