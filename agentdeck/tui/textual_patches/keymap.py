"""The app's key remapping as it stands: Textual (8.2.8, pinned) has `set_keymap` but no getter."""

from __future__ import annotations

from typing import Any


def current_keymap(app: Any) -> dict[str, str]:
    """{binding id: keys} as last given to `App.set_keymap` (empty when nothing was remapped)."""
    return dict(app._keymap)
