"""The screen's frame timer, paced from the last frame instead of a fixed grid.

Textual paints a screen from one paused interval timer (60 a second): a change resumes it,
the tick paints and pauses it again. Its `Timer` (textual 8.2.8, pinned) keeps ticks on a
fixed grid, and after a tick that ran late it skips one grid point too many:
`count = int((now - start) / interval + 1)`, then waits for `start + (count + 1) * interval`.
Under load a frame with a layout takes 15–40 ms, longer than the 16.7 ms interval, so
the next frame could not begin for 17–33 ms after it, whatever changed meanwhile. A key
typed during a slow frame waited for it, then for that gap, then for its own frame: about
half of the keystrokes over 50 ms in `bench_cockpit` were mostly that gap.

`FramePacer` keeps the limit (at most one frame an interval, measured from when the last
one began) and nothing else: a change after a slow frame paints at once, and so does a
screen's first frame (Textual's waited one interval for it). `install()`
gives every screen one; it is idempotent, and tests/tui/test_frame_costs.py fails if an
upgrade changes how Textual creates the screen's timer (`TEXTUAL_UPDATE_TIMER`).
"""

from __future__ import annotations

import asyncio
from functools import cache

from textual import _time
from textual.screen import UPDATE_PERIOD, Screen
from textual.timer import EventTargetGone, Timer

# Textual's own property, kept so a test can tell when an upgrade changes what it builds.
TEXTUAL_UPDATE_TIMER = Screen._update_timer


class FramePacer(Timer):
    """A repeating timer whose next tick is due one interval after the last one began."""

    async def _run(self) -> None:
        interval = self._interval
        count = 0
        await self._active.wait()
        due = _time.get_time()  # the first frame has none before it to wait for
        while self._repeat is None or count <= self._repeat:
            # Always yield once: a tick that is due at once still lets the loop run first.
            await asyncio.sleep(max(0.0, due - _time.get_time()))
            await self._active.wait()  # paused until something changed
            if self._reset:
                self._reset, count = False, 0
                due = _time.get_time() + interval
                continue
            count += 1
            began = _time.get_time()
            try:
                await self._tick(next_timer=max(due, began), count=count)
            except EventTargetGone:
                break
            due = began + interval


def _paced_update_timer(screen: Screen) -> Timer:
    timer = screen._Screen__update_timer  # type: ignore[attr-defined]
    if timer is None:
        # What `Screen._update_timer` does through `set_interval`, with the pacer instead.
        timer = FramePacer(
            screen, UPDATE_PERIOD, name="screen_update", callback=screen._on_timer_update, pause=True
        )
        timer._start()
        screen._timers.add(timer)
        screen._Screen__update_timer = timer  # type: ignore[attr-defined]
    return timer


@cache  # once per process: a second install would patch the patch
def install() -> None:
    Screen._update_timer = property(_paced_update_timer)  # type: ignore[assignment,method-assign]
