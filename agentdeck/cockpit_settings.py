"""What the cockpit needs for its first frame, read from the config files without validating them.

Validating the whole configuration means importing pydantic and pydantic-settings
(~150 ms, a third of the first paint). The cockpit needs six values to paint: these are
read here from the same files and AGENTDECK_* variables, a value of the wrong type
falling back to its default, and the full validation (config.py) runs right after the
first frame, before the cockpit attaches: a bad file still ends the cockpit with the
same one-line error, a moment later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentdeck.config_files import ENV_NESTED_DELIMITER, ENV_PREFIX, merged, read_layers

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


@dataclass(frozen=True)
class CockpitSettings:
    """The cockpit's share of the settings; the defaults are `[ui]`'s and `split_threshold`'s."""

    theme: str = "agentdeck-dark"
    bell: bool = True
    os_notifications: bool = True
    keys: dict[str, str] = field(default_factory=dict)
    transcript_blocks: int = 80
    split_threshold: float = 0.6

    @classmethod
    def from_settings(cls, settings: Any) -> CockpitSettings:
        """The cockpit's share of validated `config.Settings`."""
        ui = settings.ui
        return cls(
            theme=ui.theme,
            bell=ui.bell,
            os_notifications=ui.os_notifications,
            keys=dict(ui.keys),
            transcript_blocks=ui.transcript_blocks,
            split_threshold=settings.split_threshold,
        )


def _from_env(name: str) -> str | None:
    return os.environ.get(ENV_PREFIX + name.upper())


def _as_bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    return default


def _as_number(value: Any, kind: type, default: Any, low: float, high: float) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high and not isinstance(value, bool) else default


def _json(text: str) -> Any:
    """JSON from an AGENTDECK_UI* variable; json is imported only then (not on every first frame)."""
    import json

    return json.loads(text)


def read_cockpit_settings(repo_root: Path | None) -> CockpitSettings:
    """The cockpit's values from the config files and the environment; ConfigError only for unreadable TOML."""
    data = merged(read_layers(repo_root))
    found = data.get("ui")
    ui: dict[str, Any] = found if isinstance(found, dict) else {}
    whole_ui = _from_env("ui")
    if whole_ui:
        try:
            ui = {**ui, **_json(whole_ui)}
        except (ValueError, TypeError):
            pass  # the full validation after the first frame says what is wrong
    for key in ("theme", "bell", "os_notifications", "keys", "transcript_blocks"):
        value = _from_env(f"ui{ENV_NESTED_DELIMITER}{key}")
        if value is None:
            continue
        if key == "keys":
            try:
                ui[key] = _json(value)
            except ValueError:
                continue  # the full validation after the first frame says what is wrong
        else:
            ui[key] = value
    defaults = CockpitSettings()
    threshold = _from_env("split_threshold") or data.get("split_threshold", defaults.split_threshold)
    keys = ui.get("keys")
    return CockpitSettings(
        theme=ui["theme"] if isinstance(ui.get("theme"), str) and ui["theme"] else defaults.theme,
        bell=_as_bool(ui.get("bell", defaults.bell), defaults.bell),
        os_notifications=_as_bool(
            ui.get("os_notifications", defaults.os_notifications), defaults.os_notifications
        ),
        keys={str(k): str(v) for k, v in keys.items()} if isinstance(keys, dict) else {},
        transcript_blocks=_as_number(
            ui.get("transcript_blocks", defaults.transcript_blocks), int, defaults.transcript_blocks, 10, 2000
        ),
        split_threshold=_as_number(threshold, float, defaults.split_threshold, 1e-9, 1.0),
    )
