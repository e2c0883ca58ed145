"""Where theme files live: the shipped ones (a checkout's themes/ or a wheel's data dir) and the user's."""

from __future__ import annotations

from pathlib import Path

from agentdeck.config_files import user_config_path

# Where a wheel puts themes/ (pyproject [tool.setuptools.data-files]), relative to the
# install prefix. setuptools cannot add a package mapped to themes/ beside packages.find.
WHEEL_DATA_DIR = "share/agentdeck/themes"

# The checkout's top level: agentdeck/tui/themes/locations.py is four levels below it.
_CHECKOUT = Path(__file__).resolve().parents[3]


def shipped_themes_dir() -> Path:
    """The themes that come with agentdeck: themes/ in a checkout, else the wheel's data dir."""
    # A checkout (plain or editable install) wins, so edits to themes/ show at once.
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "themes").is_dir():
        return _CHECKOUT / "themes"
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
