"""One theme file: `name.toml` (+ an optional `name.tcss`), read and checked into a Textual `Theme`.

Checked by hand rather than through a pydantic model: the cockpit reads its theme before
the first frame, and pydantic's import alone cost that frame ~45 ms. Every problem names
the file, the key and what is valid; `ThemeError` carries it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from agentdeck.tui.textual_patches.stylesheet import valid_properties

COLOUR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
THEME_KEYS = ("name", "dark", *COLOUR_KEYS, "variables")
"""Every key a theme file may have, in the order the docs (themes/README.md) list them."""

# Textual turns the theme name into the CSS class `-theme-<name>`, so it must be an identifier.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TOML_POSITION = re.compile(r"^(?P<what>.*?) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")


class ThemeError(Exception):
    """A theme file that cannot be used; `str()` is one line naming the file and the key."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{display_path(path)}: {message}")


@dataclass
class LoadedTheme:
    """A validated theme, the file it came from and the CSS of its `.tcss` companion."""

    theme: Theme
    path: Path
    css: str | None = None

    @property
    def css_path(self) -> Path:
        """Where this theme's optional CSS lives: the toml's stem with `.tcss`."""
        return self.path.with_suffix(".tcss")


def display_path(path: Path) -> str:
    """A path as a user would type it: relative to the working dir, else with `~`."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        pass
    home = str(Path.home())
    text = str(path)
    if home not in ("", "/") and text.startswith(home + os.sep):
        return "~" + text[len(home) :]
    return text


def theme_from_table(data: dict[str, Any]) -> Theme:
    """The Textual `Theme` a theme file's table describes; raises ValueError('key: problem')."""
    # A misspelt key shows up as unknown and as missing: the unknown one is the cause, so first.
    problems = [
        f"{key}: unknown key (valid keys: {', '.join(THEME_KEYS)})" for key in data if key not in THEME_KEYS
    ]
    if "name" not in data:
        problems.append("name: missing (a name such as 'my-dark')")
    elif not isinstance(data["name"], str):
        problems.append(f"name: should be text (got {data['name']!r})")
    elif not _NAME.fullmatch(data["name"]):
        problems.append(
            f"name: {data['name']!r} is not a valid theme name (use letters, digits, '-' and '_', e.g. 'my-dark')"
        )
    if not isinstance(data.get("dark", True), bool):
        problems.append(f"dark: should be true or false (got {data['dark']!r})")
    if "primary" not in data:
        problems.append("primary: missing (a colour such as '#5e9fe0')")
    problems += [
        f"{key}: {problem}" for key in COLOUR_KEYS if key in data and (problem := _colour_problem(data[key]))
    ]
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        problems.append(f"variables: should be a table of names and values (got {variables!r})")
    else:
        for name, value in variables.items():
            if not _NAME.fullmatch(name):
                problems.append(
                    f"variables: {name!r} is not a CSS variable name (use letters, digits, '-' and '_', no '$')"
                )
            elif not isinstance(value, str):
                problems.append(f"variables.{name}: should be text (got {value!r})")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValueError(problems[0] + more)
    return Theme(**{key: data[key] for key in THEME_KEYS if key in data})


def _colour_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return f"should be a colour such as '#5e9fe0' (got {value!r})"
    try:
        Color.parse(value)
    except ColorParseError as error:
        hint = f"; did you mean {error.suggested_color!r}?" if error.suggested_color else ""
        return f"{value!r} is not a colour (use #rrggbb or a colour name{hint})"
    return None


def declared_name(path: Path) -> str | None:
    """The `name` a theme file gives, read without checking the rest; None if it cannot be read."""
    try:
        name = tomllib.loads(path.read_text(encoding="utf-8")).get("name")
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
        return None
    return name if isinstance(name, str) else None


def load_theme_file(path: Path | str) -> LoadedTheme:
    """Read and validate one theme file and its optional `.tcss`; raises `ThemeError`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ThemeError(path, _toml_message(error)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ThemeError(path, f"cannot read: {error}") from None
    try:
        theme = theme_from_table(data)
    except ValueError as error:
        raise ThemeError(path, str(error)) from None
    try:
        # Colours that parse one by one can still fail together (e.g. a derived shade).
        theme.to_color_system().generate()
    except Exception as error:  # noqa: BLE001 - any failure here means "unusable colours"
        raise ThemeError(path, f"colours: {error}") from None
    _check_variables(path, theme)
    loaded = LoadedTheme(theme=theme, path=path)
    if loaded.css_path.is_file():
        try:
            loaded.css = loaded.css_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ThemeError(loaded.css_path, f"cannot read: {error}") from None
    return loaded


def load_theme_dirs(dirs: Iterable[Path | str]) -> tuple[list[LoadedTheme], list[ThemeError]]:
    """Load every `*.toml` in `dirs`; a later dir's theme replaces an earlier one of the same name."""
    by_name: dict[str, LoadedTheme] = {}
    errors: list[ThemeError] = []
    for directory in dirs:
        for path in theme_files(Path(directory), errors):
            try:
                loaded = load_theme_file(path)
            except ThemeError as error:
                errors.append(error)
            else:
                by_name[loaded.theme.name] = loaded
    return list(by_name.values()), errors


def theme_files(directory: Path, errors: list[ThemeError]) -> list[Path]:
    """The `*.toml` files directly in `directory` (none if it does not exist), sorted."""
    if not directory.is_dir():
        return []
    try:
        # Keyed by dir/name, not the resolved file: a symlinked theme still belongs to its dir.
        return sorted(path for path in directory.glob("*.toml") if path.is_file())
    except OSError as error:
        errors.append(ThemeError(directory, f"cannot list: {error}"))
        return []


def _check_variables(path: Path, theme: Theme) -> None:
    """A variable that replaces one of Textual's must be valid wherever the original is.

    Widgets add their CSS when first mounted, so a bad `$primary` would only fail then,
    deep in Textual; each replacement is tried in a few properties up front instead.
    """
    # generate() folds the theme's own variables in: leave them out to see Textual's.
    standard = dataclasses.replace(theme, variables={}).to_color_system().generate()
    for name, value in theme.variables.items():
        if name not in standard:
            continue  # a new variable: only the theme's .tcss uses it, and that is checked
        # Colour-like defaults ('#0178d4', 'auto 87%', 'initial') are used as colours and
        # backgrounds; the rest ('bold', 'none') as text styles.
        default = valid_properties(standard[name])
        missing = ((default & {"color", "background"}) or default) - valid_properties(value)
        if missing:
            raise ThemeError(
                path,
                f"variables.{name}: {value!r} is not a valid {'/'.join(sorted(missing))} value, "
                f"which ${name} must be (Textual's default: {standard[name]!r})",
            )


def _toml_message(error: tomllib.TOMLDecodeError) -> str:
    """'line 3, column 5: Invalid value' from tomllib's 'Invalid value (at line 3, column 5)'."""
    text = str(error)
    match = _TOML_POSITION.match(text)
    if match is None:
        return f"not valid TOML: {text}"
    return f"line {match['line']}, column {match['column']}: {match['what']} (not valid TOML)"
