"""The in-process event bus: stamps each event with the session's next `seq`, then fans it out."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from agentdeck.events import Event

Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self, stamp: Callable[[Event], int | None] | None = None) -> None:
        """`stamp` assigns the seq instead of a counter, e.g. the store appending the event first (None: not written)."""
        self._seq = itertools.count(1)
        self._stamp = stamp
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` with every event from now on; returns a function that unsubscribes."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: Event) -> None:
        if self._stamp is not None:
            # Written (and numbered) before any subscriber sees it; an event the stamp could
            # not write (None: the disk is full) is seen by nobody, so no one sees a gap.
            if self._stamp(event) is None:
                return
        else:
            event.seq = next(self._seq)
        for subscriber in list(self._subscribers):
            subscriber(event)
