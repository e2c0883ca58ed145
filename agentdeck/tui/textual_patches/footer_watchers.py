"""Watchers that Textual's Footer leaves behind on itself (Textual issue #6666).

Each footer key binds the footer's `compact` reactive (`data_bind`), which registers a
watcher on the footer that Textual (8.2.8, pinned) drops only when `compact` changes, which
it never does in the cockpit: every key ever shown stayed in memory, megabytes an hour in
a cockpit that runs all day. `drop_stale_watchers` drops the watchers of removed keys.
tests/tui/test_frame_costs.py fails if an upgrade changes where Reactive keeps them.
"""

from __future__ import annotations

from typing import Any

# Where textual.reactive keeps a node's watchers: {reactive name: [(watching node, callback)]}.
WATCHERS_ATTRIBUTE = "__watchers"


def drop_stale_watchers(node: Any) -> None:
    """Forget the watchers on `node` whose watching node is closing or closed."""
    for watchers in getattr(node, WATCHERS_ATTRIBUTE, {}).values():
        watchers[:] = [
            (other, callback) for other, callback in watchers if not (other._closing or other._closed)
        ]
