"""docs/configuration.md's example is a file a user may copy: it must load as it is."""

import tomllib
from pathlib import Path

from agentdeck.config import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_the_documented_example_config_validates() -> None:
    text = DOC.read_text()
    block = text[text.index("```toml\n") + len("```toml\n") :]
    data = tomllib.loads(block[: block.index("```")])
    settings = Settings.model_validate(data)
    assert settings.test_command == "pytest -q" and settings.split_threshold == 0.6
