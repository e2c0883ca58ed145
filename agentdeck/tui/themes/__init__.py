"""Colour themes: `themes/*.toml` (shipped) and the user's config dir, as Textual `Theme`s.

A theme file is checked by `theme_file`; a `.tcss` file with the same stem beside it adds
CSS while that theme is active. `ThemeManager` registers the themes with the app, applies
the configured one, follows switches made from the command palette, and hot-reloads files
(`watcher`). A broken file never takes the cockpit down: it is reported with `notify` and
the last good version (or the default theme) stays in use.
"""

from __future__ import annotations

from agentdeck.tui.themes.locations import shipped_themes_dir, user_themes_dir
from agentdeck.tui.themes.manager import DEFAULT_THEME, ThemeManager
from agentdeck.tui.themes.theme_file import (
    COLOUR_KEYS,
    THEME_KEYS,
    LoadedTheme,
    ThemeError,
    display_path,
    load_theme_dirs,
    load_theme_file,
)

__all__ = [
    "COLOUR_KEYS",
    "DEFAULT_THEME",
    "THEME_KEYS",
    "LoadedTheme",
    "ThemeError",
    "ThemeManager",
    "display_path",
    "load_theme_dirs",
    "load_theme_file",
    "shipped_themes_dir",
    "user_themes_dir",
]
