"""Textual's Footer, without its leak: every key it ever showed stayed in memory.

The footer rebuilds its keys whenever the bindings change (every focus change). Each key
binds the footer's `compact` reactive (`data_bind`), which registers a watcher on the
footer, and Textual drops watchers of removed widgets only when that reactive changes,
which it never does here (Textual issue #6666). In a cockpit that runs all day, pane
after pane closing, that was megabytes an hour: this footer drops them after each rebuild.
"""

from __future__ import annotations

from textual.widgets import Footer


class CockpitFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        self.drop_stale_watchers()

    def drop_stale_watchers(self) -> None:
        # Reactive keeps them in the "__watchers" attribute: {name: [(watching node, callback)]}.
        for watchers in getattr(self, "__watchers", {}).values():
            watchers[:] = [(node, callback) for node, callback in watchers if not (node._closing or node._closed)]
