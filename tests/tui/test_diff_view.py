"""The review screen's diff: findings at their lines, and hunks read by their header counts."""

from __future__ import annotations

from agentdeck.events import Finding
from agentdeck.tui.widgets.diff_view import render_diff

DIFF = "\n".join(
    [
        "diff --git a/a.py b/a.py",
        "--- a/a.py",
        "+++ b/a.py",
        "@@ -1,4 +1,5 @@",
        " x = 1",
        "",  # a blank context line, as git writes it with diff.suppressBlankEmpty
        "-y = 2",
        "+y = 3",
        '+z = "a\x0cb"',  # a form feed inside a line must not end the hunk
        " w = 4",
        "diff --git a/b.py b/b.py",
        "--- a/b.py",
        "+++ b/b.py",
        "@@ -1 +1 @@",
        "-q",
        "+r",
        "",
    ]
)


def test_findings_sit_under_their_lines_and_none_is_lost() -> None:
    at_line = Finding(file="a.py", line=5, severity="major", message="w is never read")
    outside = Finding(file="a.py", line=40, message="far below")
    unknown_file = Finding(file="./c.py", line=1, message="a path the diff does not show")
    rendered = render_diff(DIFF, [at_line, outside, unknown_file])
    assert [path for path, _ in rendered.sections] == ["a.py", "b.py"]
    a_lines = rendered.sections[0][1].plain.splitlines()
    # New-side numbering counts the blank context line; the finding follows line 5.
    assert "judge, major: w is never read" in a_lines[a_lines.index("    5  w = 4") + 1]
    assert any("line 40, not in the diff" in line for line in a_lines)
    # The hunk went on past the form feed: every line of both files is there.
    assert any(line.startswith("    4 +z = ") for line in a_lines)
    assert "    1 +r" in rendered.sections[1][1].plain
    assert rendered.leftover == [unknown_file]
