"""Text made to fit a line: for tables, titles and notifications."""

from __future__ import annotations


def one_line(text: str, width: int = 100) -> str:
    """`text` on one line (whitespace runs become one space), cut to `width` with "…"."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
