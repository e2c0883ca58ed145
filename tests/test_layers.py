"""The layer rule (docs/architecture.md): only agentdeck/tui/ may import textual (or rich)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import agentdeck

PACKAGE = Path(agentdeck.__file__).parent


def engine_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "tui" in parts or parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_nothing_outside_tui_imports_textual_or_rich() -> None:
    modules = engine_modules()
    assert "agentdeck.agent.loop" in modules and "agentdeck.cli" in modules
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_vocabulary_imports_no_runtime_server_or_ui() -> None:
    # events, commands and replies are what every layer speaks: they sit below all of them.
    probe = (
        "import sys\n"
        "import agentdeck.events, agentdeck.api, agentdeck.replies\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('agentdeck.')}"
        " & {'runtime', 'server', 'tui', 'commands', 'agent', 'workspace', 'llm'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
