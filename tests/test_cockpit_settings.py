"""The cockpit's first-frame settings agree with the validated configuration they stand in for."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdeck.cockpit_settings import CockpitSettings, read_cockpit_settings
from agentdeck.config import Settings, load_settings, user_config_path


def test_the_defaults_are_the_configurations_defaults() -> None:
    assert CockpitSettings() == CockpitSettings.from_settings(Settings())


def test_files_and_environment_give_what_the_validated_configuration_gives(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = user_config_path()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('split_threshold = 0.5\n[ui]\ntheme = "agentdeck-light"\nbell = false\n')
    (repo / "agentdeck.toml").write_text('[ui]\ntranscript_blocks = 200\nkeys = { new_task = "ctrl+t" }\n')
    monkeypatch.setenv("AGENTDECK_UI__OS_NOTIFICATIONS", "false")
    monkeypatch.setenv("AGENTDECK_SPLIT_THRESHOLD", "0.7")
    quick = read_cockpit_settings(repo)
    assert quick == CockpitSettings.from_settings(load_settings(repo))
    assert quick == CockpitSettings(
        theme="agentdeck-light",
        bell=False,
        os_notifications=False,
        keys={"new_task": "ctrl+t"},
        transcript_blocks=200,
        split_threshold=0.7,
    )


def test_a_wrong_value_falls_back_to_its_default_for_the_first_frame(repo: Path) -> None:
    # The validation right after the first frame reports it (test_terminal checks that).
    (repo / "agentdeck.toml").write_text('[ui]\ntranscript_blocks = "many"\nbell = "loud"\n')
    assert read_cockpit_settings(repo) == CockpitSettings()
