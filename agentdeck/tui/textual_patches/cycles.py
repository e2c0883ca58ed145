"""Textual's caches that turned every frame into cyclic garbage, mended where they are made.

Measured with `bench_cockpit` (4 panes and 50 background agents): the cockpit made about
15,000 objects a second that reference counting could not free, so only Python's full
garbage collection could, and the churn forced one every two seconds at 200–380 ms each:
the tail of the keystroke latency. In textual 8.2.8 (pinned) there were two sources:

- `Strip.divide(cuts)` with one cut at the strip's end returns `[self]` and keeps that list
  in the strip's own `_divide_cache`; `Strip.crop_extend` over the whole strip keeps the
  strip in its own `_crop_extend_cache`. The compositor divides nearly every line of every
  frame that way, so each painted line, its seven caches and its segments, referred to
  itself. Those calls now answer the strip itself without caching it (the same answer).
- `LRUCache.clear()` drops its doubly linked ring of entries whole, and a ring is a cycle
  holding every cached value. The queue's `DataTable` clears its render caches on every
  update, and every widget its box-model cache on each restyle. `clear()` now unlinks the
  entries first, so reference counting frees them at once.

Everything else goes to Textual unchanged. `install()` is idempotent, and
tests/tui/test_frame_costs.py fails if an upgrade changes what these methods do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip


@cache  # once per process: a second install would patch the patch
def install() -> None:
    divide, crop_extend, lru_clear = Strip.divide, Strip.crop_extend, LRUCache.clear

    def divide_without_self_cycle(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
        cuts = [cut for cut in cuts if cut <= self.cell_length]
        if cuts == [self.cell_length]:
            return [self]
        return divide(self, cuts)

    def crop_extend_without_self_cycle(self: Strip, start: int, end: int, style: Style | None) -> Strip:
        if start == 0 and end == self.cell_length:
            return self
        return crop_extend(self, start, end, style)

    def clear_without_cycles(self: LRUCache) -> None:
        links = list(self._cache.values())
        lru_clear(self)
        for link in links:
            link.clear()  # [prev, next, key, value]: no link refers to another any more

    for patched, original in (
        (divide_without_self_cycle, divide),
        (crop_extend_without_self_cycle, crop_extend),
        (clear_without_cycles, lru_clear),
    ):
        patched.__doc__ = original.__doc__
    Strip.divide = divide_without_self_cycle  # type: ignore[method-assign]
    Strip.crop_extend = crop_extend_without_self_cycle  # type: ignore[method-assign]
    LRUCache.clear = clear_without_cycles  # type: ignore[method-assign]
