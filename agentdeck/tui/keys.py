"""Key names for hints in the text: as [ui.keys] remapped them."""

from __future__ import annotations


def key_hint(app, binding_id: str, fallback: str | None = None) -> str:
    """How the key of `binding_id` shows now ("Ctrl+N", "Esc"); `fallback` outside the cockpit app."""
    key_for = getattr(app, "key_for", None)
    return key_for(binding_id) if key_for is not None else (fallback or binding_id)
