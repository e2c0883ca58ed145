"""Every surface says how agents' commands run: `agentdeck status` (text, --json) and `agentdeck review`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdeck.agent.tools.sandbox import check_bwrap
from tests.test_review_cli import cli, queue, wait_settled  # noqa: F401  (the real-daemon fixture)

MISSING = {"AGENTDECK_SANDBOX__BWRAP": "/nonexistent/bin/bwrap"}


def test_missing_bwrap_is_unconfined_with_the_install_hint_in_status_and_review(
    repo: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in MISSING.items():
        monkeypatch.setenv(name, value)  # the daemon this starts inherits it
    status = json.loads(cli("status", "--json").stdout)
    assert status["sandbox_confined"] is False
    assert status["sandbox"].startswith("unconfined: bwrap not found (/nonexistent/bin/bwrap)")
    assert "apt-get install bubblewrap" in status["sandbox"] and "dnf install bubblewrap" in status["sandbox"]
    text = cli("status").stdout
    assert "warning: agents' commands run UNCONFINED" in text and "apt-get install bubblewrap" in text

    task_id = queue(cli, "take notes on the readme")
    wait_settled(cli, [task_id])
    shown = cli("review", task_id, "--no-diff")
    assert shown.returncode == 0, shown.stderr
    assert "agents' commands run UNCONFINED" in shown.stdout and "bwrap not found" in shown.stdout
    assert json.loads(cli("review", task_id, "--json").stdout)["sandbox"].startswith(
        "unconfined: bwrap not found"
    )


def test_mode_off_says_unconfined_in_status(repo: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDECK_SANDBOX__MODE", "off")
    status = json.loads(cli("status", "--json").stdout)
    assert status["sandbox"] == "unconfined: sandbox.mode = off" and status["sandbox_confined"] is False
    assert "UNCONFINED" in cli("status").stdout


@pytest.mark.skipif(
    not check_bwrap("bwrap").ok,
    reason=f"bubblewrap cannot confine commands here: {check_bwrap('bwrap').problem}",
)
def test_confined_session_says_bwrap_network_off_in_status_and_review(repo: Path, cli) -> None:
    assert "commands: sandbox: bwrap, network off" in cli("status").stdout
    task_id = queue(cli, "take notes on the readme")
    wait_settled(cli, [task_id])
    shown = cli("review", task_id, "--no-diff")
    assert "commands: sandbox: bwrap, network off" in shown.stdout and "UNCONFINED" not in shown.stdout


def test_agentdeck_run_says_when_commands_are_unconfined(repo: Path, agentdeck_cmd) -> None:
    from tests.support.cli import run_cli

    result = run_cli(agentdeck_cmd, "run", "take notes", cwd=repo, env={"AGENTDECK_SANDBOX__MODE": "off"})
    assert result.returncode == 0, result.stderr
    assert "⚠ commands run UNCONFINED, as you (unconfined: sandbox.mode = off)" in result.stdout
