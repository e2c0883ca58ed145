"""Waiting on what a running app shows, without sleeps and without hooks in the app.

Textual publishes every message a pump has handled on that pump's public `message_signal`.
Whatever the cockpit shows moves on in a message handler: a session event, a timer that
flushes a frame, a worker's result. When that change repaints a widget, the widget posts
an `Update` to its screen. So the app's and its screens' signals tick after every change
a test can see, and the waiter re-checks its predicate on each tick instead of polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump


async def wait_until(app: App, predicate: Callable[[], object], timeout: float = 30.0) -> None:
    """Return once `predicate()` holds in the running `app`, re-checking after each handled message.

    A predicate that looks up what has not arrived yet (`tasks[task_id]` before the task's
    first event) is not there yet, not an error."""
    moved = asyncio.Event()
    watched: list[MessagePump] = []

    def tick(_: Message) -> None:
        moved.set()

    def watch_new_screens() -> None:
        # A screen pushed while waiting (a review, a dialog) handles its own messages.
        for pump in (app, *app.screen_stack):
            if pump not in watched:
                pump.message_signal.subscribe(app, tick, immediate=True)
                watched.append(pump)

    try:
        async with asyncio.timeout(timeout):
            watch_new_screens()
            while not _holds(predicate):
                moved.clear()
                await moved.wait()
                watch_new_screens()
    finally:
        for pump in watched:
            pump.message_signal.unsubscribe(app)


def _holds(predicate: Callable[[], object]) -> bool:
    try:
        return bool(predicate())
    except LookupError:
        return False
