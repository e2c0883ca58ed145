"""Waiting on what a running app shows, without sleeps and without hooks in the app.

Textual publishes every message a pump has handled on that pump's public `message_signal`.
What the cockpit shows moves on in a message handler, a timer's callback or a worker (the
session bridge's), and a change that shows repaints a widget: the widget then posts an
`Update` to its screen. So the app's and its screens' signals tick after every change a
test can see, and the waiter re-checks its predicate on each tick instead of polling.

A predicate may come true with no message after it: on something not drawn (a hidden
widget, the session's store), or on a widget that changed without asking to be redrawn (a
bug the test should catch). Rather than sit until its timeout, the waiter looks again after
`FALLBACK_S` without a message and, if the predicate holds then, issues `MissedTick` naming
it; pyproject.toml makes that an error, so the test fails at once, saying why.
"""

from __future__ import annotations

import asyncio
import warnings
import weakref
from collections.abc import Callable

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump

# Long enough that a busy loop's late repaint is not taken for a missed one.
FALLBACK_S = 5.0


class MissedTick(UserWarning):
    """A wait came true without a message the waiter could see."""


class _Ticks:
    """One subscription per app, shared by its waiters (unsubscribing is per subscriber node)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.waiters: set[asyncio.Event] = set()
        self.watched: list[MessagePump] = []

    def tick(self, _: Message) -> None:
        for waiter in self.waiters:
            waiter.set()

    def watch_new_screens(self) -> None:
        # A screen pushed while waiting (a review, a dialog) handles its own messages.
        for pump in (self.app, *self.app.screen_stack):
            if pump not in self.watched:
                pump.message_signal.subscribe(self.app, self.tick, immediate=True)
                self.watched.append(pump)

    def close(self) -> None:
        for pump in self.watched:
            pump.message_signal.unsubscribe(self.app)
        self.watched.clear()


_ticks: weakref.WeakKeyDictionary[App, _Ticks] = weakref.WeakKeyDictionary()


async def wait_until(
    app: App, predicate: Callable[[], object], timeout: float = 30.0, fallback: float = FALLBACK_S
) -> None:
    """Return once `predicate()` holds in the running `app`, re-checking after each handled message.

    A predicate that looks up what has not arrived yet (`tasks[task_id]` before the task's
    first event) is not there yet, not an error."""
    ticks = _ticks.get(app)
    if ticks is None:
        ticks = _ticks[app] = _Ticks(app)
    moved = asyncio.Event()
    ticks.waiters.add(moved)
    try:
        async with asyncio.timeout(timeout):
            ticks.watch_new_screens()
            while not _holds(predicate):
                moved.clear()
                try:
                    # Nested timeouts, not wait_for: on 3.11 wait_for can swallow the outer
                    # timeout's cancellation when the event is set just before it.
                    async with asyncio.timeout(fallback):
                        await moved.wait()
                except TimeoutError:
                    if _holds(predicate):
                        warnings.warn(f"came true without a message: {_name(predicate)}", MissedTick, 2)
                        return
                ticks.watch_new_screens()
    finally:
        ticks.waiters.discard(moved)
        if not ticks.waiters:
            ticks.close()
            del _ticks[app]


def _holds(predicate: Callable[[], object]) -> bool:
    try:
        return bool(predicate())
    except LookupError:
        return False


def _name(predicate: Callable[[], object]) -> str:
    code = getattr(predicate, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else repr(predicate)
