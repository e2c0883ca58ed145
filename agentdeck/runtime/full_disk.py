"""The session on a full disk: say so, stop the agents cleanly, write nothing new, go on once space is back.

The store gives up its reserve file at the first write that fails for a full disk (see
store_space), so there is room for what happens here: a `StoreFullChanged` event, every
agent stopped at once (each checkpoints; its task becomes interrupted with the reason),
no new starts, and commands that would write work refused with the same reason. The
session's tick tries to write the reserve again; when it can, space is back: the event
says so and the tasks the full disk stopped are queued to resume. An event the store
cannot write even then is dropped before anyone sees it (logged), so the log never shows
an event that is not stored, and the daemon never crashes over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from agentdeck.events import Event, StoreFullChanged
from agentdeck.runtime.store import StoreFull
from agentdeck.task_state import TaskState

if TYPE_CHECKING:
    from agentdeck.runtime.session import Session

SPACE_BACK = "space is back on the disk: the agents the full disk stopped resume"


class FullDisk:
    """Watches the session's store for a full disk; `active` while writing is stopped."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.active = False
        self._stopped: set[str] = set()

    @property
    def reason(self) -> str | None:
        return self.session.store.full if self.active else None

    def stamp(self, event: Event) -> int | None:
        """The bus's stamp: append to the store; None (the event is dropped) when even that is impossible."""
        try:
            seq = self.session.store.append(event)
        except StoreFull as exc:
            _log(f"agentdeck: event {event.type} not written: {exc}")
            self._soon(self.enter)
            return None
        if self.session.store.full is not None and not self.active:
            # Not from inside this publish: the event being stamped must reach subscribers first.
            self._soon(self.enter)
        return seq

    def guard(self, subscriber: Callable[[Event], None]) -> Callable[[Event], None]:
        """`subscriber` that writes to the store, made harmless when the disk is full."""

        def guarded(event: Event) -> None:
            try:
                subscriber(event)
            except StoreFull as exc:
                _log(f"agentdeck: the state after {event.type} not written: {exc}")
                self._soon(self.enter)

        return guarded

    def enter(self) -> None:
        """Announce the full disk and stop every agent (idempotent)."""
        if self.active:
            return
        self.active = True
        session = self.session
        session.publish(StoreFullChanged(full=True, reason=session.store.full or "the disk is full"))
        for task_id, agent in list(session.agents.items()):
            self._stopped.add(task_id)
            agent.stop()

    def unrecorded(self, task_id: str) -> None:
        """The task's agent ended but its state could not be written: resume it when space is back."""
        self._stopped.add(task_id)
        self._soon(self.enter)

    def interrupted_reason(self, task_id: str) -> str | None:
        """Why the task's agent ended, when the full disk stopped it."""
        return (
            f"stopped because the disk is full; it resumes once space is back ({self.session.store.full or 'see the log'})"
            if task_id in self._stopped
            else None
        )

    def tick(self) -> bool:
        """On the session's tick: True when space just came back (the stopped tasks are queued again)."""
        session = self.session
        if not self.active or not session.store.space_back():
            return False
        self.active = False
        session.publish(StoreFullChanged(full=False, reason=SPACE_BACK))
        for task_id in sorted(self._stopped):
            row = session.store.task(task_id)
            if row is not None and row.state == TaskState.RUNNING and task_id not in session.agents:
                # Its end could not be written (see `unrecorded`): its work is on its branch.
                session.store.update_task(task_id, state=TaskState.INTERRUPTED)
                row = session.store.task(task_id)
            if row is not None and row.state == TaskState.INTERRUPTED:
                session.requeue_for_resume(row, "resumed: space is back on the disk")
        self._stopped.clear()
        return True

    @staticmethod
    def _soon(callback: Callable[[], None]) -> None:
        try:
            asyncio.get_running_loop().call_soon(callback)
        except RuntimeError:  # no loop (tests of the store alone): at once
            callback()


def _log(line: str) -> None:
    """A line for daemon.log, which lies on the disk that is full: losing the line beats raising."""
    with contextlib.suppress(OSError):
        print(line, file=sys.stderr, flush=True)
