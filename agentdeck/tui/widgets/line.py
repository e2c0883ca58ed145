"""A one-row text that changes often (a title, a state, a meter, a summary)."""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


class Line(Static):
    """Redraws only when its content changed, and never asks for a layout.

    `Static.update` lays out the whole screen by default, in case the new content changed
    the widget's size. A line is one row high and as wide as its container, so new text can
    move nothing: a repaint of its own row is enough. The cockpit updates these lines with
    every redraw of a pane (up to FRAME_HZ a second), and a layout is the costliest frame."""

    DEFAULT_CSS = "Line { height: 1; }"

    def __init__(self, content: VisualType = "", **kwargs) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(content, **kwargs)
        self._shown: VisualType = content

    def show_text(self, content: VisualType) -> None:
        # A Text's equality leaves out its base style, which carries a theme's colour.
        if content == self._shown and getattr(content, "style", None) == getattr(self._shown, "style", None):
            return
        self._shown = content
        self.update(content, layout=False)
