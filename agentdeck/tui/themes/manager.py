"""`ThemeManager`: registers the theme files with the app, applies one, follows switches, reloads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from textual.app import App
from textual.theme import Theme

from agentdeck.tui.textual_patches.initial_theme import start_with_theme
from agentdeck.tui.textual_patches.stylesheet import CssProblem, check_css, replace_marked_sources
from agentdeck.tui.themes.locations import shipped_themes_dir, user_themes_dir
from agentdeck.tui.themes.theme_file import (
    LoadedTheme,
    ThemeError,
    declared_name,
    display_path,
    load_theme_file,
    theme_files,
)

DEFAULT_THEME = "agentdeck-dark"
"""The theme used when the configured one is missing or broken (shipped in themes/)."""

# Marks a theme's .tcss among the stylesheet's sources, so it can be found and dropped again.
CSS_MARK = "agentdeck-theme"


class ThemeManager:
    """Loads the theme dirs into an app, follows palette switches and hot-reloads files.

    Call `install(app)` before the app runs (its CSS is then parsed once, with the theme) or
    from `on_mount`; then `follow(app)` once it runs (subscribing to a signal needs a running
    app), and run `watch(app)` in a worker for hot reload. None of them raises: problems with
    theme files are shown with `app.notify` (found before the app runs: by `follow`).

    `install(app, first_frame=True)` fully reads only the file that gives the configured theme,
    when there is one and it is good: the first frame needs no other. `install_rest(app)` reads the
    others afterwards, for the palette (`watch` does it first).
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
        self._rest_installed = False  # install(first_frame=True) left the other files for later
        self._notices: list[str] = []  # found before the app ran: `follow` shows them

    @property
    def themes(self) -> dict[str, LoadedTheme]:
        """The themes registered with the app, by name."""
        return dict(self._active)

    @property
    def errors(self) -> list[ThemeError]:
        """The theme files that are broken right now."""
        return list(self._errors.values())

    def notify(self, app: App[Any], message: str) -> None:
        """An error toast; markup off, since messages quote file contents with brackets."""
        if not app.is_running:
            self._notices.append(message)
            return
        app.notify(message, title="Theme", severity="error", timeout=10, markup=False)

    def follow(self, app: App[Any]) -> None:
        """Once `app` runs: follow theme switches (the palette's) and show what `install` found."""
        if not self._subscribed:
            app.theme_changed_signal.subscribe(app, lambda theme: self._on_theme_changed(app, theme))
            self._subscribed = True
        notices, self._notices = self._notices, []
        for message in notices:
            self.notify(app, message)

    def install(self, app: App[Any], first_frame: bool = False) -> None:
        """Register the themes with `app` and apply the configured one (or the default).

        `first_frame`: only the file that gives the configured theme, if it loads; all of
        them otherwise (the fallback and the message need to know what there is)."""
        try:
            self._good.clear()
            self._errors.clear()
            self._rest_installed = not (first_frame and self._load_configured(app))
            if self._rest_installed:
                self._load_all(app)
            self._publish(app)
            lines = [str(error) for error in self._errors.values()]
            name = self.theme_name
            if name not in app.available_themes:
                if not any(path.stem == name for path in self._errors):
                    lines.append(f"theme {name!r} not found in {', '.join(map(display_path, self.dirs))}")
                name = DEFAULT_THEME if DEFAULT_THEME in app.available_themes else "textual-dark"
                lines.append(f"using {name} instead of {self.theme_name!r}")
            if app.is_running:
                self.follow(app)
            self._apply(app, name)
            if lines:
                self.notify(app, "\n".join(lines))
        except Exception as error:  # noqa: BLE001 - colours must never stop the cockpit
            app.log.error("themes: install failed", error)
            self.notify(app, f"themes could not be loaded: {error}")

    def install_rest(self, app: App[Any]) -> None:
        """After `install(app, first_frame=True)`: register the other themes too (the palette lists them)."""
        if self._rest_installed:
            return
        self._rest_installed = True
        try:
            self._load_all(app, skip=set(self._good))
            self._publish(app)
            if self._errors:
                self.notify(app, "\n".join(str(error) for error in self._errors.values()))
        except Exception as error:  # noqa: BLE001 - colours must never stop the cockpit
            app.log.error("themes: install failed", error)
            self.notify(app, f"themes could not be loaded: {error}")

    async def watch(self, app: App[Any]) -> None:
        """Register the themes not read yet, then reload theme files as they change, until cancelled; run it in a worker."""
        self.install_rest(app)
        from agentdeck.tui.themes.watcher import watch_theme_dirs

        await watch_theme_dirs(self, app)

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
            self.notify(app, "\n".join(notices))

    def _load_configured(self, app: App[Any]) -> bool:
        """Load only the file that gives the configured theme; True if it loaded.

        The one `_publish` would pick from all of them: the last one naming it, later dirs
        last (a user's copy of a shipped theme, under any file name, replaces it)."""
        errors: list[ThemeError] = []
        candidates = [path for directory in self.dirs for path in theme_files(directory, errors)]
        named = [path for path in candidates if declared_name(path) == self.theme_name]
        if errors or not named:
            return False
        return self._load(app, named[-1]) is None

    def _load_all(self, app: App[Any], skip: set[Path] | None = None) -> None:
        """Load every theme file in the dirs (but `skip`), recording the broken ones."""
        for directory in self.dirs:
            errors: list[ThemeError] = []
            for path in theme_files(directory, errors):
                if not skip or path not in skip:
                    self._load(app, path)
            for error in errors:
                self._errors[error.path] = error

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
        _set_css(app, self._active.get(name))
        if not app.is_running:
            start_with_theme(app, name)
        elif app.theme == name:
            # Same name, new colours: run the theme watcher again (refresh, classes, signal).
            app.mutate_reactive(App.theme)
        else:
            app.theme = name

    def _on_theme_changed(self, app: App[Any], theme: Theme) -> None:
        """The palette (or anyone) switched theme: swap in that theme's CSS, if it has any."""
        try:
            if _set_css(app, self._active.get(theme.name)):
                app.refresh_css(animate=False)
        except Exception as error:  # noqa: BLE001 - drop the CSS rather than the app
            _set_css(app, None)
            app.refresh_css(animate=False)
            self.notify(app, f"theme CSS for {theme.name} dropped: {error}")


def _set_css(app: App[Any], loaded: LoadedTheme | None) -> bool:
    """Leave exactly `loaded`'s CSS in the stylesheet; True if the sources changed."""
    wanted = {str(loaded.css_path): loaded.css} if loaded is not None and loaded.css else {}
    return replace_marked_sources(app, CSS_MARK, wanted)


def _check_css(app: App[Any], loaded: LoadedTheme) -> None:
    """Parse the app's CSS with this theme's variables and CSS; raise ThemeError if it breaks.

    A bad variable or .tcss would otherwise fail later, inside Textual's refresh, and take
    the app down; so it is tried on a scratch stylesheet first.
    """
    theme = loaded.theme
    if not theme.variables and not loaded.css:
        return  # validated colours cannot break CSS
    # Before the app runs its stylesheet is still empty: a theme's variables are then checked
    # one by one (theme_file), and against the app's CSS when a theme is next applied.
    variables = {
        **app.get_theme_variable_defaults(),
        **theme.to_color_system().generate(),
        **theme.variables,
    }
    try:
        check_css(
            app, variables, loaded.css, str(loaded.css_path), CSS_MARK, with_app_css=bool(theme.variables)
        )
    except CssProblem as problem:
        if problem.where == "css" or (problem.where == "unknown" and loaded.css and not theme.variables):
            raise ThemeError(loaded.css_path, problem.message) from None
        raise ThemeError(loaded.path, f"variables: {problem.message}") from None
