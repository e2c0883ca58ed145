"""Choosing the app's theme before it runs, so its CSS is parsed once, with that theme.

In Textual (8.2.8, pinned) setting `App.theme` runs `_watch_theme`, which queues
`refresh_css`: a fresh parse of every CSS source and a restyle of every widget. Set in
`on_mount`, as the docs suggest, that comes on top of the first parse (made with
textual-dark's colours), and its reset of the parse cache makes the footer's keys parse
everything a third time: ~30 ms before the first frame. Before the app runs
nothing is parsed or styled yet, so this does what `_watch_theme` does to the app itself
(the theme's classes, the ANSI colour filter, the stylesheet's variables) without the
refresh. Nobody can be subscribed to `theme_changed_signal` yet, so there is no one to tell.

tests/tui/test_themes.py::test_a_theme_chosen_before_the_app_runs_is_the_theme_set_on_mount
fails if an upgrade makes the two ways differ.
"""

from __future__ import annotations

from typing import Any

from textual.app import App


def start_with_theme(app: App[Any], name: str) -> None:
    """Make the registered theme `name` the theme of `app`, which is not running yet."""
    if app.is_running:
        raise RuntimeError("start_with_theme is for an app that is not running yet; set app.theme")
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    classes = {class_name: False for class_name in app.classes if class_name.startswith("-theme-")}
    classes[f"-theme-{theme.name}"] = True
    classes["-dark-mode"] = theme.dark
    classes["-light-mode"] = not theme.dark
    app.update_classes(classes, update=False)
    app._refresh_truecolor_filter(app.ansi_theme)  # pyright: ignore[reportPrivateUsage]
    app.stylesheet.set_variables(app.get_css_variables())
