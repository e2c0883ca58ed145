"""One-row texts that change often (a title, a state, a meter, a summary)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.visual import VisualType
from textual.widget import Widget
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


@dataclass(frozen=True)
class Part:
    """One piece of a `PartsLine`: its text, the joint that sets it off from the piece before
    (shown only with it, in the same style), its style, and whether it must stay however
    narrow the line."""

    text: str
    joint: str = " · "
    style: str = ""
    pinned: bool = False


# Fewer cells than this of a cut part, ellipsis included, say nothing: the part is left out.
MIN_CUT = 4


def fit_parts(parts: Sequence[Part], width: int, style: str = "") -> Text:
    """The parts in order, in at most `width` cells, cut only between parts: the first part that
    does not fit is ellipsised (or left out, when only a stub of it would show) and the parts
    after it are left out. Pinned parts stay, whatever their place: the parts before them make
    room. So the parts go in order of importance, and a cut line never ends in a bare joint.
    `style` lies under every part's own."""
    if width <= 0:
        return Text()
    parts = [part for part in parts if part.text]  # an empty part would leave its joint bare
    shown: list[tuple[str, str]] = []  # (text, style): the parts that show, with their joints
    used = 0
    reserved = sum(cell_len(part.joint) + cell_len(part.text) for part in parts if part.pinned)
    cut = False
    for part in parts:
        joint = part.joint if used else ""
        text = part.text
        if part.pinned:
            reserved -= cell_len(part.joint) + cell_len(part.text)
        elif cut:
            continue
        else:
            room = width - used - reserved - cell_len(joint)
            if cell_len(text) > room:
                cut = True
                # The first part shows however little fits: a line must not start blank.
                if room < (MIN_CUT if used else 1):
                    continue
                text = set_cell_size(text, room - 1).rstrip() + "…"
        piece = joint + text
        used += cell_len(piece)
        if shown and shown[-1][1] == part.style:
            # One span per run of a style, as a single append of the same text would give.
            shown[-1] = (shown[-1][0] + piece, part.style)
        else:
            shown.append((piece, part.style))
    line = Text.assemble(*shown, style=style, no_wrap=True, overflow="ellipsis")
    line.truncate(width, overflow="ellipsis")  # pinned parts wider than the whole line
    return line


class PartsLine(Widget):
    """A one-row line of parts, fitted to its width at every render (see `fit_parts`), so
    that a narrow or resized container cuts it between parts, not mid-way through words.
    Like `Line`, it redraws only when its parts changed, and never asks for a layout."""

    DEFAULT_CSS = "PartsLine { height: 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._parts: tuple[Part, ...] = ()
        self._style = ""

    def show_parts(self, parts: Sequence[Part], style: str = "") -> None:
        """Show `parts`, in order of importance, over `style` (the whole line's)."""
        parts = tuple(parts)
        if parts == self._parts and style == self._style:
            return
        self._parts, self._style = parts, style
        self.refresh()

    def render(self) -> Text:
        return fit_parts(self._parts, self.size.width, self._style)
