"""A unified diff as rich Text: code highlighted per file, added/removed lines tinted, and
the judge's findings printed right under the line they are about.

Findings are matched on the new side of the diff (the judge reads the result, not the base):
a finding at `file:line` goes under the added or context line that has that number. One
whose line is not in the diff closes its file's section; one without a file is left to the
caller (it belongs to the whole result, not to a line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text

HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
SEVERITY_MARK = {"blocker": "■", "major": "▲", "minor": "●", "info": "·"}


@dataclass
class DiffColours:
    """Theme colours, as rich colour strings (from the app's theme variables)."""

    added: str = "green"
    removed: str = "red"
    hunk: str = "cyan"
    finding: str = "yellow"
    blocker: str = "red"
    muted: str = "bright_black"
    dark: bool = True


@dataclass
class RenderedDiff:
    # One (path, text) per file, in diff order: a viewer can jump between them.
    sections: list[tuple[str, Text]] = field(default_factory=list)
    # Findings on a file the diff does not show (cut, or the judge spelled the path its own way).
    leftover: list = field(default_factory=list)


def render_diff(diff: str, findings: list, colours: DiffColours | None = None) -> RenderedDiff:
    from rich.syntax import Syntax  # pygments: loaded when a diff is first shown, not at start

    colours = colours or DiffColours()
    by_place: dict[tuple[str, int], list] = {}
    by_file: dict[str, list] = {}
    for finding in findings:
        if finding.file:
            by_file.setdefault(finding.file, []).append(finding)
            if finding.line:
                by_place.setdefault((finding.file, finding.line), []).append(finding)
    result = RenderedDiff()
    out = Text()  # the section being written
    shown: set[int] = set()  # id() of findings already printed
    # Only "\n" ends a diff line: splitlines() would also split at form feeds and the like
    # inside source lines, and end a hunk early.
    lines = diff.split("\n")
    theme = "ansi_dark" if colours.dark else "ansi_light"
    path: str | None = None
    new_line = 0
    index = 0

    def close_file() -> None:
        for finding in by_file.get(path or "", []):
            if id(finding) not in shown:
                where = f"line {finding.line}, not in the diff" if finding.line else "the whole file"
                emit_finding(finding, where)

    def emit_finding(finding, where: str = "") -> None:
        shown.add(id(finding))
        colour = colours.blocker if finding.severity in ("blocker", "major") else colours.finding
        mark = SEVERITY_MARK.get(finding.severity, "●")
        line = Text()
        line.append(f"      {mark} judge, {finding.severity}", style=Style.parse(f"bold {colour}"))
        if where:
            line.append(f" ({where})", style=colours.muted)
        line.append(f": {finding.message}", style=colour)
        out.append_text(line)
        out.append("\n")

    while index < len(lines):
        line = lines[index]
        if line.startswith("diff --git "):
            close_file()
            path = _new_path(line)
            out = Text()
            result.sections.append((path, out))
            out.append(f"━━ {path} ", style="bold")
            out.append("━" * max(0, 60 - len(path)) + "\n", style=colours.muted)
            index += 1
            continue
        if line.startswith("+++ "):
            target = line[4:]
            if target != "/dev/null":
                path = target[2:] if target.startswith("b/") else target
            index += 1
            continue
        if line.startswith(
            (
                "--- ",
                "index ",
                "new file",
                "deleted file",
                "similarity",
                "rename ",
                "old mode",
                "new mode",
                "Binary files",
            )
        ):
            if line.startswith("Binary files"):
                out.append("  (binary file)\n", style=colours.muted)
            index += 1
            continue
        match = HUNK.match(line)
        if match:
            old_left = int(match.group(1) or 1)
            new_line, new_left = int(match.group(2)), int(match.group(3) or 1)
            out.append(line + "\n", style=colours.hunk)
            index += 1
            # The hunk's body, by the header's counts (a blank context line may come as ""),
            # highlighted as one piece so multi-line constructs keep their colours.
            end = index
            while end < len(lines) and (old_left > 0 or new_left > 0 or lines[end].startswith("\\")):
                sign = lines[end][:1]
                if sign in ("", " "):
                    old_left, new_left = old_left - 1, new_left - 1
                elif sign == "-":
                    old_left -= 1
                elif sign == "+":
                    new_left -= 1
                elif sign != "\\":
                    break  # not a hunk line: the counts were wrong, stop here rather than eat the next file
                end += 1
            body = [entry if entry else " " for entry in lines[index:end]]
            source = "\n".join(entry[1:] for entry in body)
            code = (
                Syntax(source, Syntax.guess_lexer(path or "", source), theme=theme)
                .highlight(source)
                .split("\n", allow_blank=True)
            )
            for entry, highlighted in zip(body, code):
                sign = entry[:1]
                if sign == "\\":  # "\ No newline at end of file"
                    out.append(f"      {entry}\n", style=colours.muted)
                    continue
                number = "" if sign == "-" else str(new_line)
                gutter = Text(
                    f"{number:>5} {sign if sign != ' ' else ' '}", style=colours.muted if sign == " " else ""
                )
                if sign == "+":
                    gutter.stylize(Style.parse(f"bold {colours.added}"))
                elif sign == "-":
                    gutter.stylize(Style.parse(f"bold {colours.removed}"))
                highlighted.rstrip()
                if sign == "-":
                    highlighted.stylize(Style.parse(f"dim strike {colours.removed}"))
                out.append_text(gutter)
                out.append_text(highlighted)
                out.append("\n")
                if sign != "-":
                    for finding in by_place.get((path or "", new_line), []):
                        if id(finding) not in shown:
                            emit_finding(finding)
                    new_line += 1
            index = end
            continue
        index += 1
    close_file()
    sections = {section_path for section_path, _ in result.sections}
    result.leftover = [f for f in findings if f.file and f.file not in sections]
    if not result.sections and out:  # a bare unified diff, without `diff --git` headers
        result.sections.append((path or "", out))
    for _, text in result.sections:
        text.rstrip()
    return result


def _new_path(header: str) -> str:
    """`diff --git a/x b/y` -> y (the path the result has)."""
    rest = header[len("diff --git ") :]
    if " b/" in rest:
        return rest.rsplit(" b/", 1)[1]
    return rest.split(" ", 1)[-1]
