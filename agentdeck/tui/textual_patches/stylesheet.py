"""Trying CSS before the app sees it, and taking a source back out of the app's stylesheet.

Textual (8.2.8, pinned) has `Stylesheet.add_source` but no way to remove a source, and a bad
variable or rule only fails inside its refresh, taking the app down. Themes need both: a
theme's `.tcss` must leave when another theme is chosen, and a broken theme file must be
refused with a message instead. So this module edits `Stylesheet.source` (a dict keyed by
`(path, mark)`) directly, parses trial copies of the app's CSS, and reads Textual's parse
errors for the line they blame. tests/tui/test_themes.py fails if an upgrade changes these.
"""

from __future__ import annotations

import re
from typing import Any

from textual.app import App
from textual.css.stylesheet import Stylesheet

_PROBE_PROPERTIES = ("color", "background", "text-style")
_MARKUP = re.compile(r"\[/?[a-z][a-z ]*\]|\[/\]")


class CssProblem(Exception):
    """Why trial CSS did not parse: `where` is "css" (the added file), "elsewhere" (a variable) or "unknown"."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(message)


def valid_properties(value: str) -> frozenset[str]:
    """The CSS properties, of a few kinds, that accept `value`."""
    valid = set()
    for name in _PROBE_PROPERTIES:
        probe = Stylesheet()
        probe.add_source(f"Screen {{ {name}: {value}; }}", read_from=("<theme variable>", name))
        try:
            probe.parse()
        except Exception:  # noqa: BLE001 - any error means "not valid here"
            continue
        valid.add(name)
    return frozenset(valid)


def marked_sources(app: App[Any], mark: str) -> dict[tuple[str, str], str]:
    """The app's CSS sources added under `mark`, keyed by (path, mark)."""
    return {key: value.content for key, value in app.stylesheet.source.items() if key[1] == mark}


def replace_marked_sources(app: App[Any], mark: str, wanted: dict[str, str]) -> bool:
    """Leave exactly `wanted` ({path: css}) under `mark` in the app's stylesheet; True if that changed.

    The caller refreshes the CSS next (refresh_css reparses from `source`), so the rules of
    a removed source do not outlive the call by more than a message."""
    source = app.stylesheet.source
    ours = marked_sources(app, mark)
    if ours == {(path, mark): css for path, css in wanted.items()}:
        return False
    for key in ours:
        del source[key]
    for path, css in wanted.items():
        app.stylesheet.add_source(css, read_from=(path, mark))
    return True


def check_css(
    app: App[Any],
    variables: dict[str, str],
    css: str | None,
    css_path: str,
    mark: str,
    *,
    with_app_css: bool = True,
) -> None:
    """Parse the app's CSS (less what is under `mark`) with `variables` and `css` added; raise CssProblem.

    `with_app_css=False` parses `css` alone: enough when `variables` hold only validated colours,
    which cannot break the app's own CSS (and the whole of it is ~10 ms to parse)."""
    trial = Stylesheet(variables=variables)
    for key, source in app.stylesheet.source.items():
        if with_app_css and key[1] != mark:
            trial.add_source(
                source.content,
                read_from=key,
                is_default_css=source.is_defaults,
                tie_breaker=source.tie_breaker,
                scope=source.scope,
            )
    if css:
        trial.add_source(css, read_from=(css_path, mark))
    try:
        trial.parse()
    except Exception as error:  # noqa: BLE001 - Textual raises several unrelated types
        raise _problem(error, css_path) from None


def _problem(error: Exception, css_path: str) -> CssProblem:
    """Where Textual's parse error points, and a one-line message."""
    rules = getattr(getattr(error, "errors", None), "rules", None)
    if rules:
        for rule in rules:
            for token, message in rule.errors:
                text = _MARKUP.sub("", getattr(message, "summary", str(message)))
                if token.read_from[0] == css_path:
                    return CssProblem("css", f"line {token.location[0] + 1}: {text}")
                return CssProblem("elsewhere", text)
    start = getattr(error, "start", None)
    read_from = getattr(error, "read_from", None)
    if read_from and read_from[0] == css_path and start:
        return CssProblem("css", f"line {start[0]}: {error}")
    return CssProblem("unknown", str(error))
