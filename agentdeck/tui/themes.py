"""Colour themes: `themes/*.toml` (shipped) and the user's config dir, as Textual `Theme`s.

A theme file is validated by `ThemeFile`; a `.tcss` file with the same stem beside it adds
CSS while that theme is active. `ThemeManager` registers the themes with the app, applies
the configured one, follows switches made from the command palette, and hot-reloads files
with watchfiles. A broken file never takes the cockpit down: it is reported with `notify`
and the last good version (or the default theme) stays in use.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from textual.app import App
from textual.color import Color, ColorParseError
from textual.css.stylesheet import Stylesheet
from textual.theme import Theme

from agentdeck.config_files import user_config_path

DEFAULT_THEME = "agentdeck-dark"
"""The theme used when the configured one is missing or broken (shipped in themes/)."""

# Where a wheel puts themes/ (pyproject [tool.setuptools.data-files]), relative to the
# install prefix. setuptools cannot add a package mapped to themes/ beside packages.find.
WHEEL_DATA_DIR = "share/agentdeck/themes"

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

# The second half of the stylesheet source key of a theme's .tcss: it lets us find and
# drop that source again, since Stylesheet has add_source but no remove.
_CSS_MARK = "agentdeck-theme"

# Textual turns the theme name into the CSS class `-theme-<name>`, so it must be an identifier.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TOML_POSITION = re.compile(r"^(?P<what>.*?) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")
_MARKUP = re.compile(r"\[/?[a-z][a-z ]*\]|\[/\]")


class ThemeFile(BaseModel):
    """The contents of one `themes/*.toml` file; see themes/README.md for the keys."""

    model_config = ConfigDict(extra="forbid")

    name: str
    dark: bool = True
    primary: str
    secondary: str | None = None
    accent: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    variables: dict[str, str] = {}

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise _problem("theme_name", f"{value!r} is not a valid theme name (use letters, digits, '-' and '_', e.g. 'my-dark')")
        return value

    @field_validator(*COLOUR_KEYS)
    @classmethod
    def _is_colour(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Color.parse(value)
            except ColorParseError as error:
                hint = f"; did you mean {error.suggested_color!r}?" if error.suggested_color else ""
                raise _problem("colour", f"{value!r} is not a colour (use #rrggbb or a colour name{hint})") from None
        return value

    @field_validator("variables")
    @classmethod
    def _variable_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _NAME.fullmatch(name):
                raise _problem("variable_name", f"{name!r} is not a CSS variable name (use letters, digits, '-' and '_', no '$')")
        return value

    def to_theme(self) -> Theme:
        """The Textual `Theme` this file describes."""
        return Theme(**self.model_dump())


def _problem(kind: str, text: str) -> PydanticCustomError:
    """A validation error whose message is `text` verbatim (braces in user values included)."""
    return PydanticCustomError(kind, "{text}", {"text": text})


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
        theme = ThemeFile.model_validate(data).to_theme()
    except ValidationError as error:
        raise ThemeError(path, _validation_message(error)) from None
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
        for path in _theme_files(Path(directory), errors):
            try:
                loaded = load_theme_file(path)
            except ThemeError as error:
                errors.append(error)
            else:
                by_name[loaded.theme.name] = loaded
    return list(by_name.values()), errors


def shipped_themes_dir() -> Path:
    """The themes that come with agentdeck: themes/ in a checkout, else the wheel's data dir."""
    # A checkout (plain or editable install) wins, so edits to themes/ show at once.
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "themes").is_dir():
        return root / "themes"
    # An installed wheel: RECORD knows where the data files went, whatever the scheme
    # (venv, --user, --prefix), which sysconfig alone does not. (Imported here: a checkout's
    # first paint need not wait ~13 ms for them.)
    import importlib.metadata
    import sysconfig

    try:
        files = importlib.metadata.distribution("agentdeck").files or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    suffix = tuple(WHEEL_DATA_DIR.split("/"))
    for file in files:
        if file.suffix == ".toml" and tuple(file.parts[-4:-1]) == suffix:
            return Path(str(file.locate())).resolve().parent
    return Path(sysconfig.get_path("data")) / WHEEL_DATA_DIR


def user_themes_dir() -> Path:
    """The user's own themes: $XDG_CONFIG_HOME/agentdeck/themes (~/.config by default)."""
    return user_config_path().parent / "themes"


class ThemeManager:
    """Loads the theme dirs into an app, follows palette switches and hot-reloads files.

    Call `install(app)` from `on_mount` (it subscribes to a signal, which needs a running
    app) and run `watch(app)` in a worker for hot reload. Neither raises: problems with
    theme files are shown with `app.notify`.
    """

    def __init__(self, theme: str = DEFAULT_THEME, dirs: Sequence[Path | str] | None = None) -> None:
        self.theme_name = theme
        if dirs is None:
            dirs = [shipped_themes_dir(), user_themes_dir()]
        # Resolved, because watchfiles reports real paths and files are keyed by path.
        self.dirs = [Path(directory).expanduser().resolve() for directory in dirs]
        self._good: dict[Path, LoadedTheme] = {}  # last good version of each file
        self._errors: dict[Path, ThemeError] = {}  # files that are broken now
        self._active: dict[str, LoadedTheme] = {}  # what is registered, by theme name
        self._shadowed: dict[str, Theme] = {}  # themes ours replaced (e.g. a built-in)
        self._subscribed = False

    @property
    def themes(self) -> dict[str, LoadedTheme]:
        """The themes registered with the app, by name."""
        return dict(self._active)

    @property
    def errors(self) -> list[ThemeError]:
        """The theme files that are broken right now."""
        return list(self._errors.values())

    def install(self, app: App[Any]) -> None:
        """Register all themes with `app` and apply the configured one (or the default)."""
        try:
            self._good.clear()
            self._errors.clear()
            for directory in self.dirs:
                errors: list[ThemeError] = []
                for path in _theme_files(directory, errors):
                    self._load(app, path)
                for error in errors:
                    self._errors[error.path] = error
            self._publish(app)
            lines = [str(error) for error in self._errors.values()]
            name = self.theme_name
            if name not in app.available_themes:
                if not any(path.stem == name for path in self._errors):
                    lines.append(f"theme {name!r} not found in {', '.join(map(display_path, self.dirs))}")
                name = DEFAULT_THEME if DEFAULT_THEME in app.available_themes else "textual-dark"
                lines.append(f"using {name} instead of {self.theme_name!r}")
            if app.is_running and not self._subscribed:
                app.theme_changed_signal.subscribe(app, lambda theme: self._on_theme_changed(app, theme))
                self._subscribed = True
            self._apply(app, name)
            if lines:
                _notify(app, "\n".join(lines))
        except Exception as error:  # noqa: BLE001 - colours must never stop the cockpit
            app.log.error("themes: install failed", error)
            _notify(app, f"themes could not be loaded: {error}")

    async def watch(self, app: App[Any]) -> None:
        """Reload theme files as they change, until cancelled; run it in a worker."""
        directories = [directory for directory in self.dirs if directory.is_dir()]
        if not directories:
            return

        def is_theme_file(_change: object, path: str) -> bool:
            return path.endswith((".toml", ".tcss"))

        try:
            import watchfiles  # here, not at the top: the first paint does not wait for it

            # A short debounce: an editor's save should show within a fraction of a second.
            async for changes in watchfiles.awatch(
                *directories, watch_filter=is_theme_file, debounce=200, recursive=False
            ):
                try:
                    self.reload(app, {Path(path) for _change, path in changes})
                except Exception as error:  # noqa: BLE001 - keep watching whatever happens
                    app.log.error("themes: reload failed", error)
                    _notify(app, f"theme reload failed: {error}")
        except Exception as error:  # noqa: BLE001 - e.g. a watched dir was deleted
            app.log.error("themes: watching stopped", error)
            _notify(app, f"theme hot reload stopped: {error}")

    def reload(self, app: App[Any], paths: Iterable[Path]) -> None:
        """Reload the theme files among `paths` (a `.tcss` reloads its toml) and re-apply."""
        tomls = {Path(path).parent.resolve() / Path(path).with_suffix(".toml").name for path in paths}
        notices: list[str] = []
        for path in sorted(tomls):
            if path.parent not in self.dirs:
                continue
            self._errors.pop(path, None)
            if not path.exists():
                self._good.pop(path, None)
                continue
            error = self._load(app, path)
            if error is not None:
                kept = "keeping the last good version" if path in self._good else f"{path.stem} not loaded"
                notices.append(f"{error} ({kept})")
        self._publish(app)
        if notices:
            _notify(app, "\n".join(notices))

    def _load(self, app: App[Any], path: Path) -> ThemeError | None:
        """Load one file into `_good`, or record why it is broken (keeping the last good)."""
        try:
            loaded = load_theme_file(path)
            _check_css(app, loaded)
        except ThemeError as error:
            self._errors[path] = error
            return error
        self._good[path] = loaded
        return None

    def _publish(self, app: App[Any]) -> None:
        """Register the winners by name (later dirs win) and re-apply the active theme if it changed."""
        wanted: dict[str, LoadedTheme] = {}
        for directory in self.dirs:
            for path in sorted(path for path in self._good if path.parent == directory):
                wanted[self._good[path].theme.name] = self._good[path]
        current = app.theme
        if current in self._active and current not in wanted:
            # A theme in use is never pulled from under the app (its file was deleted).
            wanted[current] = self._active[current]
        for name, loaded in wanted.items():
            if self._active.get(name) is not loaded:
                existing = app.available_themes.get(name)
                if name not in self._active and existing is not None:
                    self._shadowed[name] = existing
                app.register_theme(loaded.theme)
        for name in self._active.keys() - wanted.keys():
            if name in self._shadowed:
                app.register_theme(self._shadowed.pop(name))
            else:
                app.unregister_theme(name)
        previous, self._active = self._active, wanted
        if current in wanted and previous.get(current) is not wanted[current]:
            self._apply(app, current)

    def _apply(self, app: App[Any], name: str) -> None:
        """Make `name` the app's theme, with its CSS, refreshing the screen once."""
        self._set_css(app, self._active.get(name))
        if app.theme == name:
            # Same name, new colours: run the theme watcher again (refresh, classes, signal).
            app.mutate_reactive(App.theme)
        else:
            app.theme = name

    def _on_theme_changed(self, app: App[Any], theme: Theme) -> None:
        """The palette (or anyone) switched theme: swap in that theme's CSS, if it has any."""
        try:
            if self._set_css(app, self._active.get(theme.name)):
                app.refresh_css(animate=False)
        except Exception as error:  # noqa: BLE001 - drop the CSS rather than the app
            self._set_css(app, None)
            app.refresh_css(animate=False)
            _notify(app, f"theme CSS for {theme.name} dropped: {error}")

    def _set_css(self, app: App[Any], loaded: LoadedTheme | None) -> bool:
        """Leave exactly `loaded`'s CSS in the stylesheet; True if the sources changed."""
        source = app.stylesheet.source
        ours = {key: value.content for key, value in source.items() if key[1] == _CSS_MARK}
        want = {(str(loaded.css_path), _CSS_MARK): loaded.css} if loaded is not None and loaded.css else {}
        if ours == want:
            return False
        for key in ours:
            del source[key]
        for (path, _mark), css in want.items():
            app.stylesheet.add_source(css, read_from=(path, _CSS_MARK))
        # Every caller refreshes next (refresh_css reparses from `source`), so the rules of
        # a removed source do not outlive this call by more than a message.
        return True


def _theme_files(directory: Path, errors: list[ThemeError]) -> list[Path]:
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
        default = _valid_properties(standard[name])
        missing = ((default & {"color", "background"}) or default) - _valid_properties(value)
        if missing:
            raise ThemeError(
                path,
                f"variables.{name}: {value!r} is not a valid {'/'.join(sorted(missing))} value, "
                f"which ${name} must be (Textual's default: {standard[name]!r})",
            )


_PROBE_PROPERTIES = ("color", "background", "text-style")


def _valid_properties(value: str) -> frozenset[str]:
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


def _check_css(app: App[Any], loaded: LoadedTheme) -> None:
    """Parse the app's CSS with this theme's variables and CSS; raise ThemeError if it breaks.

    A bad variable or .tcss would otherwise fail later, inside Textual's refresh, and take
    the app down; so it is tried on a scratch stylesheet first.
    """
    theme = loaded.theme
    if not theme.variables and not loaded.css:
        return  # validated colours cannot break CSS
    variables = {
        **app.get_theme_variable_defaults(),
        **theme.to_color_system().generate(),
        **theme.variables,
    }
    trial = Stylesheet(variables=variables)
    for key, source in app.stylesheet.source.items():
        if key[1] != _CSS_MARK:
            trial.add_source(
                source.content,
                read_from=key,
                is_default_css=source.is_defaults,
                tie_breaker=source.tie_breaker,
                scope=source.scope,
            )
    if loaded.css:
        trial.add_source(loaded.css, read_from=(str(loaded.css_path), _CSS_MARK))
    try:
        trial.parse()
    except Exception as error:  # noqa: BLE001 - Textual raises several unrelated types
        path, message = _css_error(error, loaded)
        raise ThemeError(path, message) from None


def _css_error(error: Exception, loaded: LoadedTheme) -> tuple[Path, str]:
    """The file to blame and a one-line message for a stylesheet error."""
    css_file = str(loaded.css_path)
    rules = getattr(getattr(error, "errors", None), "rules", None)
    if rules:
        for rule in rules:
            for token, message in rule.errors:
                text = _MARKUP.sub("", getattr(message, "summary", str(message)))
                if token.read_from[0] == css_file:
                    return loaded.css_path, f"line {token.location[0] + 1}: {text}"
                return loaded.path, f"variables: {text}"
    start = getattr(error, "start", None)
    read_from = getattr(error, "read_from", None)
    if read_from and read_from[0] == css_file and start:
        return loaded.css_path, f"line {start[0]}: {error}"
    if loaded.css and not loaded.theme.variables:
        return loaded.css_path, str(error)
    return loaded.path, f"variables: {error}"


def _toml_message(error: tomllib.TOMLDecodeError) -> str:
    """'line 3, column 5: Invalid value' from tomllib's 'Invalid value (at line 3, column 5)'."""
    text = str(error)
    match = _TOML_POSITION.match(text)
    if match is None:
        return f"not valid TOML: {text}"
    return f"line {match['line']}, column {match['column']}: {match['what']} (not valid TOML)"


def _validation_message(error: ValidationError) -> str:
    """The first problem as 'key: what is wrong (what is valid)', and how many more."""
    # A misspelt key shows up as "unknown" and as "missing": the unknown one is the cause.
    problems = sorted(error.errors(), key=lambda problem: problem["type"] != "extra_forbidden")
    first = problems[0]
    key = ".".join(str(part) for part in first["loc"]) or "(file)"
    kind = first["type"]
    if kind == "extra_forbidden":
        text = f"unknown key (valid keys: {', '.join(ThemeFile.model_fields)})"
    elif kind == "missing":
        example = "a name such as 'my-dark'" if key == "name" else "a colour such as '#5e9fe0'"
        text = f"missing ({example})"
    elif kind in ("theme_name", "colour", "variable_name"):
        text = first["msg"]
    else:
        text = f"{first['msg']} (got {first['input']!r})"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{key}: {text}{more}"


def _notify(app: App[Any], message: str) -> None:
    """An error toast; markup off, since messages quote file contents with brackets."""
    app.notify(message, title="Theme", severity="error", timeout=10, markup=False)
