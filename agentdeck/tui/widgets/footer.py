"""Textual's Footer, without its leak and without needless rebuilds.

The footer rebuilds its keys whenever the bindings may have changed: every focus change.
In the cockpit most focus changes (pane to pane, a pane closing) leave the same keys, and
a rebuild costs a dozen widgets styled afresh, so an unchanged set of keys is left alone.

Each key also binds the footer's `compact` reactive (`data_bind`), which registers a
watcher on the footer that Textual drops only when `compact` changes, which it never
does here (Textual issue #6666): every key ever shown stayed in memory, megabytes an hour
in a cockpit that runs all day. This footer drops those watchers after each rebuild.
"""

from __future__ import annotations

from textual.widgets import Footer


class CockpitFooter(Footer):
    _shown_keys: tuple | None = None

    def _keys_now(self) -> tuple:
        bindings = self.screen.active_bindings.values()
        return tuple(
            (binding.key, binding.action, binding.description, binding.show, enabled, tooltip)
            for _, binding, enabled, tooltip in bindings
        ) + (self.compact, self.show_command_palette, tuple(sorted(self.app._keymap.items())))

    async def recompose(self) -> None:
        if not self._bindings_ready:
            await super().recompose()
            return
        keys = self._keys_now()
        if keys == self._shown_keys and self.children:
            return
        self._shown_keys = keys
        await super().recompose()
        self.drop_stale_watchers()

    def drop_stale_watchers(self) -> None:
        # Reactive keeps them in the "__watchers" attribute: {name: [(watching node, callback)]}.
        for watchers in getattr(self, "__watchers", {}).values():
            watchers[:] = [(node, callback) for node, callback in watchers if not (node._closing or node._closed)]
