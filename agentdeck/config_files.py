"""Where agentdeck's configuration lives and how its files are read: TOML layers, no validation.

Kept apart from config.py (pydantic, ~150 ms to import) so that the cockpit can read what
its first frame needs (cockpit_settings.py) before anything heavy is loaded.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

CONFIG_FILE_NAME = "agentdeck.toml"
ENV_PREFIX = "AGENTDECK_"
ENV_NESTED_DELIMITER = "__"


class ConfigError(Exception):
    """A configuration problem; `str()` is one line that says where and how to fix it."""


def user_config_path() -> Path:
    """The user's config file: $XDG_CONFIG_HOME/agentdeck/agentdeck.toml (~/.config by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "agentdeck" / CONFIG_FILE_NAME


def config_paths(repo_root: Path | None) -> list[Path]:
    """The config files that apply, lowest precedence first."""
    paths = [user_config_path()]
    if repo_root is not None:
        paths.append(repo_root / CONFIG_FILE_NAME)
    return paths


def read_layers(repo_root: Path | None) -> list[tuple[str, dict[str, Any]]]:
    """(file name, its table) of each config file that exists, lowest precedence first."""
    return [(str(path), read_toml(path)) for path in config_paths(repo_root) if path.is_file()]


def merged(layers: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The layers' tables merged key by key, later ones winning."""
    into: dict[str, Any] = {}
    for _, data in layers:
        deep_merge(into, data)
    return into


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None


def deep_merge(into: dict[str, Any], data: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            deep_merge(into[key], value)
        else:
            into[key] = value.copy() if isinstance(value, dict) else value
