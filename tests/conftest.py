from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.git_repos import make_repo


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own config or is steered by their AGENTDECK_* variables."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    for name in list(os.environ):
        if name.startswith("AGENTDECK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with one commit: README.md and a small source file."""
    return make_repo(tmp_path / "repo")


@pytest.fixture
def agentdeck_cmd() -> list[str]:
    """How to start the CLI in a subprocess, from this interpreter."""
    return [sys.executable, "-m", "agentdeck"]
