"""Where theme files live: the shipped ones (package data) and the user's."""

from __future__ import annotations

from pathlib import Path

from agentdeck.config_files import user_config_path

# The shipped themes stay in the checkout's top-level themes/; `shipped` beside this file is a
# symlink to it, which a wheel build follows, so a checkout, an editable install and a wheel
# all find them as this package's data (pyproject [tool.setuptools.package-data]).
SHIPPED = "shipped"


def shipped_themes_dir() -> Path:
    """The themes that come with agentdeck."""
    # importlib.resources would say the same for a package on disk, at the cost of its import
    # before the first frame; a zipped install is not supported (textual needs files anyway).
    return (Path(__file__).parent / SHIPPED).resolve()


def user_themes_dir() -> Path:
    """The user's own themes: $XDG_CONFIG_HOME/agentdeck/themes (~/.config by default)."""
    return user_config_path().parent / "themes"
