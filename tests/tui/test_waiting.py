"""The tests' waiter: it sees a change made in a handler, and it gives up when nothing comes."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import Static

from tests.tui.waiting import wait_until


class Counter(App[None]):
    class Bump(Message):
        pass

    count = 0

    def compose(self) -> ComposeResult:
        yield Static("0", id="count")

    def on_counter_bump(self, _: Bump) -> None:
        self.count += 1
        self.query_one("#count", Static).update(str(self.count))


async def test_it_returns_once_a_handler_has_made_the_change() -> None:
    app = Counter()
    async with app.run_test():
        for _ in range(3):
            app.post_message(Counter.Bump())
        await wait_until(app, lambda: app.count == 3, timeout=5)
        assert str(app.query_one("#count", Static).render()) == "3"


async def test_it_sees_a_screen_pushed_while_it_waits() -> None:
    app = Counter()
    async with app.run_test():
        from textual.screen import Screen

        pushed = Screen(name="pushed")
        app.call_later(app.push_screen, pushed)
        await wait_until(app, lambda: app.screen is pushed and pushed.is_running, timeout=5)


async def test_it_fails_when_the_change_never_comes() -> None:
    app = Counter()
    async with app.run_test():
        with pytest.raises(asyncio.TimeoutError):
            await wait_until(app, lambda: app.count == 1, timeout=0.2)


async def test_a_lookup_of_what_has_not_arrived_is_not_yet_an_error() -> None:
    app = Counter()
    seen: dict[str, int] = {}
    async with app.run_test():
        app.call_later(seen.__setitem__, "bumped", 1)
        app.post_message(Counter.Bump())
        await wait_until(app, lambda: seen["bumped"] == 1 and app.count == 1, timeout=5)
