"""Text made to fit a line: for tables, titles and notifications."""

from __future__ import annotations


def one_line(text: str, width: int = 100) -> str:
    """`text` on one line (whitespace runs become one space), cut to `width` with "…"."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def format_bytes(count: int) -> str:
    """1.2 GB, 340 MB, 12 KB: what a person reads at a glance."""
    value = float(count)
    if value < 1024:
        return f"{int(value)} B"
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")
