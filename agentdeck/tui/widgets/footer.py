"""Textual's Footer, without its leak and without needless rebuilds.

The footer rebuilds its keys whenever the bindings may have changed: every focus change.
In the cockpit most focus changes (pane to pane, a pane closing) leave the same keys, and
a rebuild costs a dozen widgets styled afresh, so an unchanged set of keys is left alone.

Each key also leaves a watcher on the footer that Textual never drops (Textual issue
#6666): this footer drops them after each rebuild (textual_patches.footer_watchers).
"""

from __future__ import annotations

from textual.widgets import Footer

from agentdeck.tui.textual_patches.footer_watchers import drop_stale_watchers
from agentdeck.tui.textual_patches.keymap import current_keymap


class CockpitFooter(Footer):
    _shown_keys: tuple | None = None

    def _keys_now(self) -> tuple:
        bindings = self.screen.active_bindings.values()
        return tuple(
            (binding.key, binding.action, binding.description, binding.show, enabled, tooltip)
            for _, binding, enabled, tooltip in bindings
        ) + (self.compact, self.show_command_palette, tuple(sorted(current_keymap(self.app).items())))

    async def recompose(self) -> None:
        if not self._bindings_ready:
            await super().recompose()
            return
        keys = self._keys_now()
        if keys == self._shown_keys and self.children:
            return
        self._shown_keys = keys
        await super().recompose()
        drop_stale_watchers(self)
