"""Hot reload: theme files that change on disk are reloaded while the cockpit runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

    from agentdeck.tui.themes.manager import ThemeManager

DEBOUNCE_MS = 200  # an editor's save should show within a fraction of a second


async def watch_theme_dirs(manager: ThemeManager, app: App[Any]) -> None:
    """Reload `manager`'s theme files as they change, until cancelled; run it in a worker."""
    directories = [directory for directory in manager.dirs if directory.is_dir()]
    if not directories:
        return

    def is_theme_file(_change: object, path: str) -> bool:
        return path.endswith((".toml", ".tcss"))

    try:
        import watchfiles  # here, not at the top: the first paint does not wait for it

        async for changes in watchfiles.awatch(
            *directories, watch_filter=is_theme_file, debounce=DEBOUNCE_MS, recursive=False
        ):
            try:
                manager.reload(app, {Path(path) for _change, path in changes})
            except Exception as error:  # noqa: BLE001 - keep watching whatever happens
                app.log.error("themes: reload failed", error)
                manager.notify(app, f"theme reload failed: {error}")
    except Exception as error:  # noqa: BLE001 - e.g. a watched dir was deleted
        app.log.error("themes: watching stopped", error)
        manager.notify(app, f"theme hot reload stopped: {error}")
