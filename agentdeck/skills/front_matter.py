"""The front matter of a skill file: `key: value` lines between `---` lines, the small part of YAML
that skill files use (no YAML library: a broken file must be reported by line, and PyYAML is not ours).

Read: plain, quoted and `[a, b]` values; `>` and `|` blocks; `- item` lists under a key; indented
continuation lines of a plain value. Nested mappings (e.g. another agent's `metadata:`) are kept as
their raw text, not interpreted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:(?:\s+(.*)|\s*)$")


class FrontMatterError(Exception):
    """The front matter cannot be read; `line` is 1-based in the file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class FrontMatter:
    """Each key's value (a string or a list of strings) and the line it is on; the body after it."""

    values: dict[str, str | list[str]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    body: str = ""


def parse_front_matter(text: str) -> FrontMatter:
    """Split `text` into front matter and body; FrontMatterError says which line is wrong and why."""
    lines = text.removeprefix("\ufeff").splitlines()  # an editor's byte-order mark is not content
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError(
            1, "no front matter: a skill file starts with a `---` line, then `name:` and `description:`"
        )
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
    if end is None:
        raise FrontMatterError(1, "the front matter opened with `---` on line 1 is never closed with `---`")
    found = FrontMatter(body="\n".join(lines[end + 1 :]).strip())
    index = 1
    while index < end:
        line = lines[index]
        number = index + 1
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            raise FrontMatterError(number, f"an indented line with no key above it: {line.strip()!r}")
        match = _KEY.match(line.rstrip())
        if match is None:
            raise FrontMatterError(number, f"expected `key: value`, got {line.strip()!r}")
        key, raw = match.group(1).lower(), (match.group(2) or "").strip()
        if key in found.values:
            raise FrontMatterError(number, f"{key!r} is given twice (first on line {found.lines[key]})")
        # The indented lines that belong to this key.
        block: list[str] = []
        while index < end and (not lines[index].strip() or lines[index][0].isspace()):
            block.append(lines[index])
            index += 1
        while block and not block[-1].strip():
            block.pop()
        found.values[key] = _value(raw, block, number)
        found.lines[key] = number
    return found


def _value(raw: str, block: list[str], number: int) -> str | list[str]:
    items = [line.strip() for line in block if line.strip()]
    if raw in (">", ">-", "|", "|-"):
        if not items:
            raise FrontMatterError(number, f"`{raw}` starts a block, but no indented lines follow it")
        if raw.startswith(">"):
            return " ".join(items)
        indent = min(len(line) - len(line.lstrip()) for line in block if line.strip())
        return "\n".join(line[indent:] for line in block).strip()
    if not raw and items and all(item.startswith("- ") or item == "-" for item in items):
        return [_unquote(item[1:].strip()) for item in items]
    if not raw and items:
        return "\n".join(block)  # a nested mapping: kept, not interpreted
    if raw.startswith("[") and not items:
        if not raw.endswith("]"):
            raise FrontMatterError(number, f"the list {raw!r} is not closed with ]")
        return [_unquote(part.strip()) for part in raw[1:-1].split(",") if part.strip()]
    if items and raw[:1] not in ("'", '"'):
        return " ".join([raw, *items])  # a plain value continued on the next lines
    if items:
        raise FrontMatterError(number, "a quoted value must end on its own line")
    if raw[:1] in ("'", '"') and (len(raw) < 2 or raw[-1] != raw[0]):
        raise FrontMatterError(number, f"the quote that opens {raw!r} is never closed")
    return _unquote(raw)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in ("'", '"'):
        return text[1:-1]
    return text
