"""The tests' waiter: it sees a change made in a handler, on any screen, for any number of
waiters at once, and it gives up when nothing comes."""

from __future__ import annotations

import asyncio
import warnings

import pytest
from textual.app import App, ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from tests.tui.waiting import MissedTick, wait_until


class Counter(App[None]):
    class Bump(Message):
        pass

    count = 0

    def compose(self) -> ComposeResult:
        yield Static("0", id="count")

    def on_counter_bump(self, _: Bump) -> None:
        self.count += 1
        self.query_one("#count", Static).update(str(self.count))


class Quiet(Screen[None]):
    """Pokes itself a while after it is shown, and counts it without drawing anything: only its
    own signal says it moved (the app is quiet by then)."""

    class Poke(Message, bubble=False):
        pass

    pokes = 0

    def on_mount(self) -> None:
        self.set_timer(0.2, lambda: self.post_message(self.Poke()))

    def on_quiet_poke(self, _: Poke) -> None:
        self.pokes += 1


async def test_it_returns_once_a_handler_has_made_the_change() -> None:
    app = Counter()
    async with app.run_test():
        for _ in range(3):
            app.post_message(Counter.Bump())
        await wait_until(app, lambda: app.count == 3, timeout=5)
        assert str(app.query_one("#count", Static).render()) == "3"


async def test_it_hears_a_screen_pushed_while_it_waits() -> None:
    app = Counter()
    quiet = Quiet()
    async with app.run_test():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            asyncio.get_running_loop().call_soon(app.push_screen, quiet)
            await wait_until(app, lambda: quiet.pokes == 1, timeout=5, fallback=1)
        assert [w for w in caught if issubclass(w.category, MissedTick)] == []


async def test_a_waiter_that_ends_leaves_the_others_hearing() -> None:
    app = Counter()
    async with app.run_test():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first = asyncio.ensure_future(wait_until(app, lambda: app.count >= 1, timeout=5))
            second = asyncio.ensure_future(wait_until(app, lambda: app.count >= 2, timeout=5, fallback=1))
            app.post_message(Counter.Bump())
            await first
            app.call_later(app.post_message, Counter.Bump())
            await second
        assert [w for w in caught if issubclass(w.category, MissedTick)] == []


async def test_a_change_no_message_follows_is_still_seen_and_named() -> None:
    app = Counter()
    async with app.run_test():
        asyncio.get_running_loop().call_soon(setattr, app, "count", 7)  # behind Textual's back
        with pytest.warns(MissedTick, match="test_waiting.py"):
            await wait_until(app, lambda: app.count == 7, timeout=5, fallback=0.3)


async def test_it_fails_when_the_change_never_comes() -> None:
    app = Counter()
    async with app.run_test():
        with pytest.raises(TimeoutError):
            await wait_until(app, lambda: app.count == 1, timeout=0.2)


async def test_it_fails_in_time_on_a_busy_app_past_its_fallbacks() -> None:
    """Messages keep coming (each re-arms the fallback wait) and the predicate never holds."""
    app = Counter()
    async with app.run_test():
        app.set_interval(0.01, lambda: app.post_message(Counter.Bump()))
        with pytest.raises(TimeoutError):
            await wait_until(app, lambda: app.count < 0, timeout=1.0, fallback=0.05)


async def test_a_lookup_of_what_has_not_arrived_is_not_yet_an_error() -> None:
    app = Counter()
    seen: dict[str, int] = {}
    async with app.run_test():
        app.call_later(seen.__setitem__, "bumped", 1)
        app.post_message(Counter.Bump())
        await wait_until(app, lambda: seen["bumped"] == 1 and app.count == 1, timeout=5)
