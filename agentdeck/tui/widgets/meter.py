"""The context meter: how full the agent's context window is, against the split threshold."""

from __future__ import annotations

from rich.text import Text

from agentdeck.tui.widgets.line import Line

BAR_CELLS = 20
# Below `threshold - NEAR` the meter is calm; from there to the threshold it warns.
NEAR = 0.1


class ContextMeter(Line):
    """`ctx ███████░░░░│░░░ 45%  1,800/4,000 tok  ◆×1` — colour by zone, ◆ per split."""

    DEFAULT_CSS = """
    ContextMeter { width: 1fr; height: 1; color: $success; }
    ContextMeter.-near { color: $warning; }
    ContextMeter.-over { color: $error; text-style: bold; }
    ContextMeter.-none { color: $foreground-muted; }
    """

    def __init__(self, threshold: float = 0.6, **kwargs) -> None:
        super().__init__("ctx —", **kwargs)
        self.threshold = threshold

    def show(
        self, fraction: float | None, used: int = 0, limit: int = 0, splits: int = 0, counters: str = ""
    ) -> None:
        """Redraw for a new reading; `splits` is how many times the task split; `counters` follow, dimmed."""
        zone = _zone(fraction, self.threshold)
        for name in ("-none", "-ok", "-near", "-over"):
            self.set_class(name == f"-{zone}", name)
        text = render_meter(fraction, used, limit, splits, self.threshold)
        if counters:
            text.append(f"   {counters}", style="dim")
        self.show_text(text)


def _zone(fraction: float | None, threshold: float) -> str:
    if fraction is None:
        return "none"
    if fraction >= threshold:
        return "over"
    if fraction >= threshold - NEAR:
        return "near"
    return "ok"


def render_meter(fraction: float | None, used: int, limit: int, splits: int, threshold: float) -> Text:
    if fraction is None:
        return Text("ctx —  no reading yet")
    filled = min(BAR_CELLS, round(fraction * BAR_CELLS))
    tick = min(BAR_CELLS - 1, round(threshold * BAR_CELLS))
    cells = ["█" if i < filled else "░" for i in range(BAR_CELLS)]
    if tick >= filled:
        cells[tick] = "│"
    text = Text("ctx ")
    text.append("".join(cells))
    text.append(f" {fraction:>4.0%}")
    if limit:
        text.append(f"  {used:,}/{limit:,} tok")
    if splits:
        text.append(f"  ◆×{splits}" if splits > 1 else "  ◆ split")
    return text
