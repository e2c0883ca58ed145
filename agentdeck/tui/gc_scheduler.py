"""When the cockpit's process runs Python's full garbage collection: between your keys, not during them.

Measured with `bench_cockpit` (4 panes and 50 background agents): the UI holds about
200,000 objects, most of them Textual's render caches (every `Strip` keeps seven small
caches of its own). Python's automatic full collection walks all of them, and the churn
of a streaming screen triggered it 46 times in 90 s, 210–380 ms each: 12 % of the UI's
time, and nearly all of the keystroke latency's tail.

So the two young generations stay automatic (they take a few milliseconds), and the full
collection runs from the app's timer, when no key came for a moment, at most every
`FULL_EVERY_S` and at least every `MAX_DELAY_S`. Memory stays bounded: cyclic garbage waits
at most that long. What exists when the app mounts (modules, classes, the app and its
screens, which live as long as the cockpit), and no pane yet, is frozen out of the
collector until the app ends, so no collection walks it again. Freezing is instant; a
collection first would walk the whole heap and delay the first paint.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

FULL_EVERY_S = 10.0
QUIET_S = 1.0  # no key for this long: a pause now goes unnoticed
MAX_DELAY_S = 30.0  # typing without a break: collect anyway
TICK_S = 1.0
# Python starts a full collection after this many young (generation 1) ones; high enough never to come.
NEVER = 1_000_000_000


class GcScheduler:
    """`start()` when the app starts, `key_pressed()` on every key, `tick()` every TICK_S, `stop()` at the end."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.full_collections = 0
        self._saved: tuple[int, int, int] | None = None
        self._froze = False
        self._last_full = self._last_key = float("-inf")

    @property
    def started(self) -> bool:
        return self._saved is not None

    def start(self) -> None:
        if self.started:
            return
        # A process that froze objects itself keeps its freeze: unfreezing at the end would undo it.
        self._froze = gc.get_freeze_count() == 0
        if self._froze:
            gc.freeze()
        self._saved = gc.get_threshold()
        young, middle, _ = self._saved
        gc.set_threshold(young, middle, NEVER)
        self._last_full = self.clock()

    def key_pressed(self) -> None:
        self._last_key = self.clock()

    def tick(self) -> bool:
        """Collect fully if it is time (and you are not typing); True if it did."""
        if not self.started:
            return False
        now = self.clock()
        since = now - self._last_full
        if since < FULL_EVERY_S:
            return False
        if now - self._last_key < QUIET_S and since < MAX_DELAY_S:
            return False
        gc.collect()
        self._last_full = self.clock()
        self.full_collections += 1
        return True

    def stop(self) -> None:
        """Python's own schedule again (tests run many apps in one process)."""
        if self._saved is None:
            return
        gc.set_threshold(*self._saved)
        self._saved = None
        if self._froze:
            gc.unfreeze()
