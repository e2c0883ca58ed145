"""What keeps the cockpit's frames cheap and prompt: no cyclic garbage per painted line, full
garbage collections between keys, a steer input that does not lay out the screen on every
key, and a frame that follows a slow one as soon as something changed."""

from __future__ import annotations

import asyncio
import gc
import inspect
import time

from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.cache import LRUCache
from textual.strip import Strip

from agentdeck.tui import gc_scheduler
from agentdeck.tui.gc_scheduler import GcScheduler
from agentdeck.tui.textual_patches import cycles, frame_pacing, toast_holders
from agentdeck.tui.widgets.agent_pane import SteerInput


class Cached:
    """A value to find among the garbage: other tests' leftovers may be there too."""


def test_painted_lines_and_cleared_caches_leave_no_cyclic_garbage() -> None:
    cycles.install()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds stays in gc.garbage to be looked at
    try:
        strip = Strip([Segment("hello")], 5)
        # The same answers as before; what changed is what they keep.
        assert strip.divide([5]) == [strip]
        assert [part.text for part in strip.divide([2, 5])] == ["he", "llo"]
        assert strip.crop_extend(0, 5, None) is strip
        assert strip.crop_extend(1, 7, None).text == "ello  "
        del strip
        cache: LRUCache[str, Cached] = LRUCache(4)
        for key in "abc":
            cache.set(key, Cached())
        cache.clear()
        # Reference counting freed the strip and the cleared entries: the cyclic collector finds none.
        gc.collect()
        assert [type(found).__name__ for found in gc.garbage if isinstance(found, (Strip, Cached))] == []
        kept = Cached()
        cache.set("d", kept)
        assert cache.get("d") is kept and "a" not in cache
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_full_collections_wait_for_a_pause_in_typing_but_not_forever() -> None:
    clock = Clock()
    saved = gc.get_threshold()
    pacer = GcScheduler(clock)
    pacer.start()
    try:
        assert gc.get_threshold()[2] == gc_scheduler.NEVER  # Python no longer starts full collections
        assert gc.get_threshold()[:2] == saved[:2]  # the young generations stay automatic
        clock.now += gc_scheduler.FULL_EVERY_S - 1
        assert not pacer.tick()  # not yet due
        clock.now += 2
        pacer.key_pressed()
        assert not pacer.tick()  # due, but you are typing
        clock.now += gc_scheduler.QUIET_S
        assert pacer.tick()  # a pause in typing: now
        assert not pacer.tick()
        # Typing without a break: it still comes, after MAX_DELAY_S.
        collected_at = clock.now
        while clock.now < collected_at + gc_scheduler.MAX_DELAY_S + 1:
            clock.now += 0.2
            pacer.key_pressed()
            if pacer.tick():
                break
        assert pacer.full_collections == 2
        assert clock.now - collected_at >= gc_scheduler.MAX_DELAY_S
    finally:
        pacer.stop()
    assert gc.get_threshold() == saved
    assert gc.get_freeze_count() == 0


class Blank(App):
    """An app with nothing in it: Textual's own screen, timer and toasts."""


class OneInput(App):
    CSS = "SteerInput { width: 30; height: 1; }"

    def compose(self) -> ComposeResult:
        yield SteerInput(compact=True)


async def test_typing_in_a_steer_input_repaints_it_without_laying_out_the_screen() -> None:
    app = OneInput()
    async with app.run_test(size=(60, 4)) as pilot:
        await pilot.pause()
        layouts = 0
        refresh_layout = app.screen._refresh_layout

        def counted(*args, **kwargs):
            nonlocal layouts
            layouts += 1
            return refresh_layout(*args, **kwargs)

        app.screen._refresh_layout = counted  # type: ignore[method-assign]
        text = "".join(chr(97 + i % 26) for i in range(70))
        for char in text:
            await pilot.press(char)
        await pilot.pause()
        field = app.query_one(SteerInput)
        assert field.value == text
        assert layouts == 0
        # Longer than the field: it scrolled to show the end, as Textual's Input does.
        assert field.scroll_x == field.max_scroll_x > 0
        row = "".join(segment.text for segment in app.screen._compositor.render_update(full=True).strips[0])
        assert text[-20:] in row


async def test_a_frame_after_a_slow_one_comes_at_once_and_a_fast_one_still_waits_its_interval() -> None:
    frame_pacing.install()
    # What the pacer stands in for: Textual's paused interval timer (textual 8.2.8).
    source = inspect.getsource(frame_pacing.TEXTUAL_UPDATE_TIMER.fget)
    assert (
        'self.set_interval(\n                UPDATE_PERIOD, self._on_timer_update, name="screen_update", pause=True'
        in source
    )

    async with Blank().run_test() as pilot:
        app = pilot.app
        assert isinstance(app.screen._update_timer, frame_pacing.FramePacer)
        frames: list[tuple[float, float]] = []  # (began, ended)
        third = asyncio.Event()

        def frame() -> None:
            timer.pause()  # as the screen's frame does: the next one waits for a change
            began = time.perf_counter()
            if not frames:
                while time.perf_counter() - began < 0.25:
                    pass  # a slow frame: longer than the interval
            frames.append((began, time.perf_counter()))
            if len(frames) < 3:
                timer.resume()  # something changed while it painted
            else:
                third.set()

        timer = frame_pacing.FramePacer(app, 0.2, callback=frame, pause=True)
        timer._start()
        try:
            timer.resume()
            await asyncio.wait_for(third.wait(), 10)
        finally:
            timer.stop()
        (_, slow_ended), (fast_began, _), (next_began, _) = frames
        # Textual's own timer waited for a later point of its grid: 0.35 s here.
        assert fast_began - slow_ended < 0.1
        assert next_began - fast_began >= 0.19


async def test_a_toast_dropped_as_stale_leaves_no_empty_holder() -> None:
    from textual.widgets._toast import ToastHolder

    toast_holders.install()

    async with Blank().run_test(notifications=True) as pilot:
        app = pilot.app
        app.notify("first", timeout=60)
        await pilot.pause()
        (first,) = list(app._notifications)
        # Its time ran out by the clock before its toast's own timer fired (the toast is
        # mounted after the notification is raised): the next notification finds it stale.
        first.raised_at -= 120
        app.notify("second", timeout=60)
        await pilot.pause()
        holders = app.screen.query(ToastHolder)
        assert len(holders) == 1
        assert [str(toast._notification.message) for toast in app.screen.query("Toast")] == ["second"]


def test_a_new_pane_takes_the_place_of_the_one_that_closed_and_the_others_stay() -> None:
    from agentdeck.tui.screens.cockpit import pane_slots

    assert pane_slots(["a", "b", "c", "d"], gone=["b"], new=["e"]) == ["a", "e", "c", "d"]
    assert pane_slots(["a", "b", "c", "d"], gone=["a", "c"], new=["e"]) == ["e", "b", "d"]
    assert pane_slots(["a", "b"], gone=[], new=["c", "d"]) == ["a", "b", "c", "d"]
    assert pane_slots([], gone=[], new=["a", "b"]) == ["a", "b"]


async def test_a_line_repaints_when_only_its_colour_changed() -> None:
    """A theme switch recolours a waiting pane's state line: same words, another colour."""
    from rich.text import Text

    from agentdeck.tui.widgets.line import Line

    class OneLine(App):
        def compose(self) -> ComposeResult:
            yield Line()

    async with OneLine().run_test() as pilot:
        line = pilot.app.query_one(Line)
        line.show_text(Text("⏸ waiting for you", style="bold yellow"))
        line.show_text(Text("⏸ waiting for you", style="bold #ffaa00"))
        assert str(line.content.style) == "bold #ffaa00"


async def test_redraws_wait_a_moment_after_a_key_but_not_longer_than_the_cap(repo, monkeypatch) -> None:
    import time

    from agentdeck.tui.screens import cockpit as cockpit_module
    from tests.tui.conftest import cockpit_for, make_live_session

    # A long moment, so that a slow machine cannot let it pass before the checks below.
    monkeypatch.setattr(cockpit_module, "KEYS_FIRST_S", 5.0)
    monkeypatch.setattr(cockpit_module, "KEYS_FIRST_MAX_S", 10.0)
    app = cockpit_for(make_live_session(repo))
    async with app.run_test() as pilot:
        await app.cockpit.wait_attached()
        screen = app.cockpit
        waits: list[float] = []
        monkeypatch.setattr(screen, "set_timer", lambda delay, callback: waits.append(delay))

        def redraw() -> None: ...

        assert not screen._waits_for_keys(time.monotonic(), redraw)  # nobody typed: draw when due
        await pilot.press("x")
        assert screen._waits_for_keys(time.monotonic(), redraw)
        assert 0 < waits[-1] <= cockpit_module.KEYS_FIRST_S
        # Due longer ago than the cap: it draws now, typing or not.
        assert not screen._waits_for_keys(time.monotonic() - cockpit_module.KEYS_FIRST_MAX_S, redraw)
        assert len(waits) == 1
