"""Run the `agentdeck` CLI in a subprocess, as a user would, with a predictable environment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# The demo model streams as fast as it can in tests.
FAST_DEMO = {"AGENTDECK_DEMO__TOKENS_PER_SECOND": "0"}


def run_cli(cmd: list[str], *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120):
    """`cmd ARGS` in `cwd`; the developer's provider keys are left out, so no test reaches a real provider."""
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.run(
        [*cmd, *args],
        cwd=cwd,
        env={**clean, **FAST_DEMO, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
