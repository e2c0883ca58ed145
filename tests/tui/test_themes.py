"""Themes: files validate with useful errors, user themes override, the app falls back, hot reload."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import Worker, WorkerCancelled, WorkerState

from agentdeck.tui.themes import (
    DEFAULT_THEME,
    ThemeError,
    ThemeManager,
    load_theme_dirs,
    load_theme_file,
    shipped_themes_dir,
    user_themes_dir,
)
from tests.tui.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]


def write_theme(directory: Path, stem: str, body: str, css: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.toml"
    path.write_text(body, encoding="utf-8")
    if css is not None:
        (directory / f"{stem}.tcss").write_text(css, encoding="utf-8")
    return path


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two colours."""

    def luminance(colour: str) -> float:
        channels = [value / 255 for value in Color.parse(colour).rgb]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted([luminance(one), luminance(other)], reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- loading ---------------------------------------------------------------------------


def test_shipped_themes_load_with_distinct_readable_state_colours() -> None:
    themes, errors = load_theme_dirs([shipped_themes_dir()])
    assert errors == []
    by_name = {loaded.theme.name: loaded for loaded in themes}
    assert {DEFAULT_THEME, "agentdeck-light"} <= by_name.keys()
    assert by_name["agentdeck-dark"].theme.dark and not by_name["agentdeck-light"].theme.dark
    assert by_name["agentdeck-dark"].css is not None  # the .tcss mechanism is exercised
    for loaded in by_name.values():
        theme = loaded.theme
        states = [theme.success, theme.warning, theme.error]
        assert all(states) and len({Color.parse(c).hsl.h for c in states}) == 3
        for colour in [*states, theme.primary, theme.foreground]:
            assert contrast(colour, theme.background) >= 4.5, (theme.name, colour)
            assert contrast(colour, theme.panel) >= 4.5, (theme.name, colour)


def test_bad_colour_names_file_key_and_what_is_valid(tmp_path: Path) -> None:
    path = write_theme(tmp_path, "bad", 'name = "bad"\nprimary = "bluish"\n')
    with pytest.raises(ThemeError) as caught:
        load_theme_file(path)
    message = str(caught.value)
    assert "bad.toml: primary: 'bluish' is not a colour (use #rrggbb or a colour name" in message
    assert "did you mean 'blue'" in message and "\n" not in message
    assert caught.value.path == path


def test_unknown_key_is_named_before_the_missing_one_it_caused(tmp_path: Path) -> None:
    path = write_theme(tmp_path, "typo", 'name = "typo"\nprimry = "#112233"\n')
    with pytest.raises(
        ThemeError, match=r"typo\.toml: primry: unknown key \(valid keys: name, dark, primary"
    ):
        load_theme_file(path)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write_theme(tmp_path, "syntax", 'name = "syntax"\nprimary = \n')
    with pytest.raises(ThemeError, match=r"syntax\.toml: line 2, column \d+: .*not valid TOML"):
        load_theme_file(path)


def test_missing_primary_and_bad_name_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ThemeError, match=r"a\.toml: primary: missing \(a colour such as"):
        load_theme_file(write_theme(tmp_path, "a", 'name = "a"\n'))
    with pytest.raises(ThemeError, match=r"b\.toml: name: 'my theme' is not a valid theme name"):
        load_theme_file(write_theme(tmp_path, "b", 'name = "my theme"\nprimary = "red"\n'))


def test_wrong_types_are_named_with_what_was_given_and_how_many_more(tmp_path: Path) -> None:
    body = 'name = "t"\ndark = "yes"\nprimary = 5\n[variables]\nfooter-bg = 3\n'
    with pytest.raises(ThemeError) as caught:
        load_theme_file(write_theme(tmp_path, "t", body))
    assert str(caught.value).endswith("t.toml: dark: should be true or false (got 'yes') (and 2 more)")


def test_user_theme_overrides_shipped_theme_of_same_name() -> None:
    user_dir = user_themes_dir()
    # The autouse fixture points XDG_CONFIG_HOME at a temporary dir.
    assert not str(user_dir).startswith(str(Path.home() / ".config"))
    write_theme(user_dir, "mine", f'name = "{DEFAULT_THEME}"\nprimary = "#ff0000"\n')
    themes, errors = load_theme_dirs([shipped_themes_dir(), user_dir])
    assert errors == []
    by_name = {loaded.theme.name: loaded for loaded in themes}
    assert by_name[DEFAULT_THEME].theme.primary == "#ff0000"
    assert by_name[DEFAULT_THEME].path.parent == user_dir
    assert "agentdeck-light" in by_name
    assert ThemeManager().dirs == [shipped_themes_dir().resolve(), user_dir.resolve()]


# --- in the app --------------------------------------------------------------------------


class ThemedApp(App[None]):
    """The least app that uses ThemeManager the way the cockpit does."""

    def __init__(self, manager: ThemeManager, *, hot_reload: bool = False) -> None:
        super().__init__()
        self.manager = manager
        self.hot_reload = hot_reload
        self.watcher: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        yield Static("done / waiting / failed")

    def on_mount(self) -> None:
        self.manager.install(self)
        if self.hot_reload:
            self.watcher = self.run_worker(
                self.manager.watch(self), group="themes", exclusive=True, exit_on_error=False
            )


class Notes:
    """The notifications an app posted, via run_test's message hook."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def hook(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.messages.append(str(message.notification.message))

    def matching(self, text: str) -> list[str]:
        return [message for message in self.messages if text in message]


async def until(pilot: Pilot[None], condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait for `condition`, re-checked after each message the app handles; fail after `timeout` seconds."""
    try:
        await wait_until(pilot.app, condition, timeout)
    except TimeoutError:
        raise AssertionError(f"condition not met within {timeout}s") from None


def theme_css_keys(app: App[None]) -> list[str]:
    return [path for path, mark in app.stylesheet.source if mark == "agentdeck-theme"]


async def test_shipped_themes_install_cleanly_with_their_css() -> None:
    notes = Notes()
    app = ThemedApp(ThemeManager("agentdeck-light"))
    async with app.run_test(size=(60, 10), message_hook=notes.hook) as pilot:
        await until(pilot, lambda: app.theme == "agentdeck-light")
        assert {"agentdeck-dark", "agentdeck-light"} <= app.available_themes.keys()
        assert theme_css_keys(app) == []
        app.theme = DEFAULT_THEME
        await until(pilot, lambda: theme_css_keys(app) == [str(shipped_themes_dir() / "agentdeck-dark.tcss")])
        await pilot.pause()
    assert notes.messages == []


async def test_broken_configured_theme_falls_back_to_default_with_a_notification() -> None:
    write_theme(user_themes_dir(), "broken", 'name = "broken"\nprimary = "bluish"\n')
    notes = Notes()
    app = ThemedApp(ThemeManager("broken"))
    async with app.run_test(size=(60, 10), message_hook=notes.hook) as pilot:
        await until(pilot, lambda: notes.messages)
        assert app.is_running
        assert app.theme == DEFAULT_THEME
        assert app.current_theme.primary == app.available_themes[DEFAULT_THEME].primary
        assert "broken" not in app.available_themes
        [note] = notes.messages
        assert "broken.toml: primary: 'bluish' is not a colour" in note
        assert f"using {DEFAULT_THEME} instead of 'broken'" in note


async def test_unknown_configured_theme_falls_back_and_says_where_it_looked() -> None:
    notes = Notes()
    app = ThemedApp(ThemeManager("nonesuch"))
    async with app.run_test(size=(60, 10), message_hook=notes.hook) as pilot:
        await until(pilot, lambda: notes.messages)
        assert app.theme == DEFAULT_THEME
        assert "theme 'nonesuch' not found in" in notes.messages[0]


async def test_themes_with_unusable_variables_or_css_are_rejected_not_fatal(tmp_path: Path) -> None:
    write_theme(tmp_path, "vars", 'name = "vars"\nprimary = "red"\n[variables]\nprimary = "none"\n')
    write_theme(
        tmp_path, "styled", 'name = "styled"\nprimary = "red"\n', css="Screen {\n  color: $nope;\n}\n"
    )
    notes = Notes()
    app = ThemedApp(ThemeManager("styled", dirs=[shipped_themes_dir(), tmp_path]))
    async with app.run_test(size=(60, 10), message_hook=notes.hook) as pilot:
        await until(pilot, lambda: notes.messages)
        assert app.is_running and app.theme == DEFAULT_THEME
        assert not {"vars", "styled"} & app.available_themes.keys()
        [note] = notes.messages
        assert "vars.toml: variables.primary: 'none' is not a valid background/color value" in note
        assert "styled.tcss: line 2: reference to undefined variable '$nope'" in note
        assert f"using {DEFAULT_THEME} instead of 'styled'" in note


async def test_palette_switch_swaps_the_theme_css_in_and_out(tmp_path: Path) -> None:
    write_theme(
        tmp_path, "tinted", 'name = "tinted"\nprimary = "#336699"\n', css="Screen { background: #102030; }\n"
    )
    write_theme(tmp_path, "plain", 'name = "plain"\nprimary = "#336699"\n')
    notes = Notes()
    app = ThemedApp(ThemeManager("tinted", dirs=[tmp_path]))
    tinted = Color.parse("#102030")
    async with app.run_test(size=(80, 24), message_hook=notes.hook) as pilot:
        await until(pilot, lambda: app.screen.styles.background == tinted)
        # The palette's "Theme" command, then pick "plain" from the theme list.
        await pilot.press("ctrl+p")
        await pilot.press(*"theme")
        await until(
            pilot,
            lambda: "Theme" in str(app.screen.query("CommandList").first().get_option_at_index(0).prompt),
        )
        await pilot.press("enter")
        await until(
            pilot,
            lambda: app.screen.query("CommandInput").first().placeholder.startswith("Search for themes"),
        )
        await pilot.press(*"plain")
        await until(
            pilot,
            lambda: "plain" in str(app.screen.query("CommandList").first().get_option_at_index(0).prompt),
        )
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == "plain")
        await until(pilot, lambda: theme_css_keys(app) == [] and app.screen.styles.background != tinted)
        app.theme = "tinted"
        await until(pilot, lambda: app.screen.styles.background == tinted)
    assert notes.messages == []


async def test_hot_reload_applies_good_changes_and_keeps_last_good_on_broken_ones() -> None:
    user_dir = user_themes_dir()
    path = write_theme(user_dir, "live", 'name = "live"\nprimary = "#112233"\n')
    notes = Notes()
    app = ThemedApp(ThemeManager("live"), hot_reload=True)
    async with app.run_test(size=(60, 10), message_hook=notes.hook) as pilot:
        await until(pilot, lambda: app.theme == "live")

        def primary_in_css() -> Color:
            return Color.parse(app.theme_variables["primary"])

        # The watcher may not be watching yet: write again until the change shows.
        deadline = time.monotonic() + 15
        while primary_in_css() != Color.parse("#445566"):
            assert time.monotonic() < deadline, "hot reload did not apply the new colour"
            path.write_text('name = "live"\nprimary = "#445566"\n', encoding="utf-8")
            try:
                await until(pilot, lambda: primary_in_css() == Color.parse("#445566"), timeout=1.0)
            except AssertionError:
                continue
        assert app.get_theme("live").primary == "#445566"

        # A .tcss beside it is picked up live too.
        css_path = user_dir / "live.tcss"
        css_path.write_text("Screen { background: #203040; }\n", encoding="utf-8")
        await until(pilot, lambda: app.screen.styles.background == Color.parse("#203040"))

        # Broken versions: notified, the app goes on with the last good CSS and colours.
        css_path.write_text("Screen { background: $nope; }\n", encoding="utf-8")
        await until(pilot, lambda: notes.matching("live.tcss: line 1: reference to undefined variable"))
        path.write_text('name = "live"\nprimary = "bluish"\n', encoding="utf-8")
        await until(pilot, lambda: notes.matching("live.toml: primary: 'bluish' is not a colour"))
        assert "keeping the last good version" in notes.matching("live.toml")[0]
        await pilot.pause()
        assert app.is_running and app.theme == "live"
        assert app.get_theme("live").primary == "#445566" and primary_in_css() == Color.parse("#445566")
        assert app.screen.styles.background == Color.parse("#203040")
        assert [error.path.name for error in app.manager.errors] == ["live.toml"]
    # The app cancels the watcher at exit (without waiting for it): it must end promptly.
    assert app.watcher is not None
    with pytest.raises(WorkerCancelled):
        async with asyncio.timeout(2.0):  # "the theme watcher did not stop when cancelled"
            await app.watcher.wait()
    assert app.watcher.state == WorkerState.CANCELLED


async def test_deleting_a_user_override_brings_back_the_shipped_theme() -> None:
    path = write_theme(user_themes_dir(), "override", f'name = "{DEFAULT_THEME}"\nprimary = "#ff0000"\n')
    app = ThemedApp(ThemeManager())
    async with app.run_test(size=(60, 10)) as pilot:
        await until(pilot, lambda: app.current_theme.primary == "#ff0000")
        path.unlink()
        app.manager.reload(app, [path])  # what watch() does on the deletion event
        shipped = load_theme_file(shipped_themes_dir() / f"{DEFAULT_THEME}.toml").theme.primary
        await until(pilot, lambda: Color.parse(app.theme_variables["primary"]) == Color.parse(shipped))
        assert app.theme == DEFAULT_THEME


class ThemedBeforeRunApp(App[None]):
    """The cockpit's way: themes installed before the app runs, followed once it runs.

    Not a ThemedApp: Textual runs the `on_mount` of every class in the MRO."""

    def __init__(self, manager: ThemeManager, first_frame: bool = False) -> None:
        super().__init__()
        self.manager = manager
        manager.install(self, first_frame=first_frame)

    def compose(self) -> ComposeResult:
        yield Static("done / waiting / failed")

    def on_mount(self) -> None:
        self.manager.follow(self)


def looks(app: App[None]) -> tuple[object, ...]:
    """What a theme changes in an app: its name, classes, CSS variables, colours, the ANSI filter."""
    screen, label = app.screen, app.query_one(Static)
    # The ANSI colours' filter holds one of Rich's terminal themes (module constants).
    filters = [(type(f).__name__, getattr(f, "_terminal_theme", None), f.enabled) for f in app._filters]
    return (
        app.theme,
        sorted(app.classes),
        app.stylesheet._variables,
        app.theme_variables,
        screen.styles.background,
        screen.styles.scrollbar_color,
        label.styles.color,
        filters,
    )


@pytest.mark.parametrize("name", ["agentdeck-dark", "agentdeck-light"])
async def test_a_theme_chosen_before_the_app_runs_is_the_theme_set_on_mount(name: str) -> None:
    """Guards textual_patches/initial_theme.py: fails if Textual's theme watcher starts doing more."""
    on_mount, before = ThemedApp(ThemeManager(name)), ThemedBeforeRunApp(ThemeManager(name))
    async with on_mount.run_test(size=(60, 10)) as pilot:
        await until(pilot, lambda: on_mount.theme == name)
        await pilot.pause()
        expected = looks(on_mount)
    async with before.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        assert looks(before) == expected


async def test_theme_problems_found_before_the_app_runs_are_shown_once_it_runs() -> None:
    notes = Notes()
    app = ThemedBeforeRunApp(ThemeManager("nonesuch"))
    async with app.run_test(size=(60, 10), message_hook=notes.hook) as pilot:
        await until(pilot, lambda: notes.messages)
        assert app.theme == DEFAULT_THEME
        [note] = notes.messages
        assert "theme 'nonesuch' not found in" in note


async def test_before_the_first_frame_only_the_configured_themes_file_is_read() -> None:
    write_theme(user_themes_dir(), "mine", 'name = "mine"\nprimary = "#123456"\n')
    write_theme(user_themes_dir(), "other", 'name = "other"\nprimary = "bluish"\n')
    notes = Notes()
    app = ThemedBeforeRunApp(ThemeManager("mine"), first_frame=True)
    assert app.theme == "mine"
    assert not {"agentdeck-light", "other"} & app.available_themes.keys()
    async with app.run_test(size=(60, 10), message_hook=notes.hook) as pilot:
        app.manager.install_rest(app)  # the cockpit's theme watcher does this after the first frame
        await until(pilot, lambda: notes.messages)
        assert {"agentdeck-dark", "agentdeck-light", "mine"} <= app.available_themes.keys()
        assert app.theme == "mine" and app.current_theme.primary == "#123456"
        [note] = notes.messages
        assert "other.toml: primary: 'bluish' is not a colour" in note


async def test_a_theme_whose_file_has_another_name_is_the_one_read_first() -> None:
    write_theme(user_themes_dir(), "my-colours", 'name = "fancy"\nprimary = "#654321"\n')
    app = ThemedBeforeRunApp(ThemeManager("fancy"), first_frame=True)
    assert app.theme == "fancy" and app.current_theme.primary == "#654321"


async def test_a_users_copy_of_a_shipped_theme_is_in_the_first_frame() -> None:
    """themes/README.md: copy a shipped file, keep its name: yours replaces it, from the first frame."""
    write_theme(user_themes_dir(), "override", f'name = "{DEFAULT_THEME}"\nprimary = "#ff0000"\n')
    app = ThemedBeforeRunApp(ThemeManager(DEFAULT_THEME), first_frame=True)
    assert app.current_theme.primary == "#ff0000"
    assert "agentdeck-light" not in app.available_themes


# --- packaging ---------------------------------------------------------------------------


def test_a_wheel_ships_every_data_file_and_finds_its_themes(tmp_path: Path) -> None:
    """Build a wheel of this checkout, install it under a prefix, ask it for its themes (~5 s)."""
    # Build from a copy: an in-place build writes build/ and *.egg-info into the checkout.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    # symlinks=True: as a clone has it, agentdeck/tui/themes/shipped -> ../../../themes.
    shutil.copytree(REPO / "agentdeck", source / "agentdeck", ignore=ignore, symlinks=True)
    shutil.copytree(REPO / "themes", source / "themes", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    site_packages = Path(sysconfig.get_paths()["purelib"])
    installed_here = sorted(site_packages.glob("*agentdeck*"))
    # Absolute paths only: pip takes a bare word for a package name on the index.
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(tmp_path / "dist"), str(source)], check=True, timeout=120
    )
    [wheel] = (tmp_path / "dist").glob("agentdeck-*.whl")
    names = set(
        subprocess.run(
            [sys.executable, "-m", "zipfile", "-l", str(wheel)], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    for stem in ("agentdeck-dark.toml", "agentdeck-light.toml", "agentdeck-dark.tcss"):
        assert f"agentdeck/tui/themes/shipped/{stem}" in names
    # Every file the package reads beside its modules (the cockpit's CSS, the skills, the
    # themes): a wheel without one fails only when it is read, e.g. the cockpit's first frame.
    # The tracked files only (a stray local file is not the package's); themes/ is the
    # package's themes/shipped (a symlink, in git a single entry).
    tracked = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "agentdeck", "themes"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    data_files = {
        name.replace("themes/", "agentdeck/tui/themes/shipped/", 1) if name.startswith("themes/") else name
        for name in tracked
        if not name.endswith((".py", "/shipped", "README.md"))
    }
    assert "agentdeck/tui/screens/cockpit.tcss" in data_files
    assert sorted(data_files - names) == []

    prefix = tmp_path / "prefix"
    # --ignore-installed: without it pip first uninstalls the agentdeck this venv runs
    # (the editable install), since --prefix does not stop it looking at the environment.
    install = [
        "install",
        "--no-deps",
        "--no-index",
        "--ignore-installed",
        "--prefix",
        str(prefix),
        str(wheel),
    ]
    subprocess.run([*pip, *install], check=True, timeout=60)
    assert sorted(site_packages.glob("*agentdeck*")) == installed_here, "pip touched the running venv"
    [site] = prefix.glob("lib/python*/site-packages")
    probe = (
        "import agentdeck; from agentdeck.tui.themes import shipped_themes_dir, load_theme_dirs\n"
        "themes, errors = load_theme_dirs([shipped_themes_dir()])\n"
        "print(agentdeck.__file__); print(shipped_themes_dir()); print(sorted(t.theme.name for t in themes), errors)\n"
    )
    # Run outside the checkout, so `import agentdeck` cannot find the source tree instead.
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    module, themes_dir, loaded = result.stdout.splitlines()
    assert Path(module).is_relative_to(site)
    assert Path(themes_dir) == (site / "agentdeck/tui/themes/shipped").resolve()
    assert loaded == "['agentdeck-dark', 'agentdeck-light'] []"
