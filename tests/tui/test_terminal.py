"""End to end in a real terminal: tmux runs `agentdeck demo`, keys are typed, the screen is read.

A terminal has no events to wait on, so this test reads the screen until what it expects
shows up, with a deadline; it is the one place where that is the honest way to wait.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.git_repos import git
from tests.support.session import kill_daemon

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux for a real terminal")


class Terminal:
    def __init__(self, name: str, command: list[str], size: tuple[int, int] = (160, 45)) -> None:
        # A server of our own (-L), so the agents see this test's environment, not an old server's.
        self.tmux = ["tmux", "-L", name, "-f", "/dev/null"]
        self.name = name
        width, height = size
        # remain-on-exit: what a command printed as it ended stays on screen to be read.
        new_session = ["new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), *command]
        subprocess.run(
            [*self.tmux, "start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";", *new_session],
            check=True,
        )

    def screen(self) -> str:
        # With the lines scrolled above it (-S): a dead pane's last lines can scroll up as it
        # closes. The cockpit runs on the alternate screen, which keeps no such lines.
        result = subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-S", "-100", "-t", self.name], capture_output=True, text=True
        )
        return result.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, *texts: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {texts!r}; the screen:\n{screen}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)


def test_demo_in_a_real_terminal_shows_panes_meters_and_queue_and_takes_keys(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
    # A slow demo pace (the daemon inherits it), so the agents are still at work when the keys come.
    # -u COLUMNS/LINES: tmux's environment can carry 80x24 ones, and Textual would believe them.
    shell = f"cd {tmp_path} && exec env -u COLUMNS -u LINES {' '.join(f'{k}={v!r}' for k, v in env.items() if k in ('XDG_CONFIG_HOME', 'PATH', 'HOME'))} TERM=xterm-256color AGENTDECK_DEMO__TOKENS_PER_SECOND=3 {sys.executable} -m agentdeck demo --path {demo}; sleep 30"
    terminal = Terminal(f"agentdeck-test-{os.getpid()}", ["sh", "-c", shell])
    try:
        # Three foreground panes with meters, and the background queue with its summary line.
        screen = terminal.wait_for(
            "Read the project and write notes",
            "Find the TODOs",
            "Review how amounts",
            "ctx ",
            "running ·",
            "queued",
        )
        assert screen.count("ctx ") >= 3
        # The first pane's steer input has the focus: type to the agent, then interrupt it.
        terminal.wait_for("● running")
        terminal.keys("-l", "keep the notes short")
        terminal.keys("Enter")
        terminal.wait_for("you: keep the notes short")
        terminal.keys("Escape")
        terminal.wait_for("waiting for you")
        # Detach: the cockpit exits and says the agents keep working.
        terminal.keys("C-d")
        terminal.wait_for("detached; the agents keep working")
    finally:
        terminal.close()
        subprocess.run(
            [sys.executable, "-m", "agentdeck", "stop", "-C", str(demo)], capture_output=True, timeout=60
        )


def test_morning_review_in_a_real_terminal_one_key_per_decision(repo: Path, agentdeck_cmd) -> None:
    head_before = git(repo, "rev-parse", "main").strip()
    queued = [
        run_cli(agentdeck_cmd, "queue", "add", text, cwd=repo)
        for text in ("write notes on the project", "write a changelog")
    ]
    assert all(result.returncode == 0 for result in queued), [result.stderr for result in queued]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
    shell = f"cd {repo} && exec env -u COLUMNS -u LINES {' '.join(f'{k}={v!r}' for k, v in env.items() if k in ('XDG_CONFIG_HOME', 'PATH', 'HOME'))} TERM=xterm-256color {sys.executable} -m agentdeck review; sleep 30"
    terminal = Terminal(f"agentdeck-review-{os.getpid()}", ["sh", "-c", shell], size=(150, 42))
    try:
        # The screen follows the session: both results arrive as their verification ends.
        terminal.wait_for("2 done", "2 to review", "judge: approve", "diff", timeout=90)
        terminal.keys("m")
        terminal.wait_for("1 merged")
        terminal.keys("x")
        terminal.wait_for("1 rejected", "Nothing to decide")
        terminal.keys("q")
    finally:
        terminal.close()
        kill_daemon(repo)
    # One result landed on main, the other did not, and the checkout is as clean as before.
    branches = git(repo, "branch", "--list", "agentdeck/*", "--format=%(refname:short)").split()
    landed = [
        b
        for b in branches
        if subprocess.run(["git", "-C", str(repo), "merge-base", "--is-ancestor", b, "main"]).returncode == 0
    ]
    assert len(branches) == 2 and len(landed) == 1
    assert git(repo, "rev-parse", "main").strip() != head_before
    assert git(repo, "status", "--porcelain").strip() == ""


def test_a_bad_config_file_ends_the_cockpit_with_the_one_line_error(repo: Path) -> None:
    # The whole configuration is validated just after the first frame: the cockpit leaves
    # the screen and prints what `agentdeck status` would, with the usage exit status.
    (repo / "agentdeck.toml").write_text("[budgets]\nmax_steps = 0\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
    shell = f"cd {repo} && env -u COLUMNS -u LINES {' '.join(f'{k}={v!r}' for k, v in env.items() if k in ('XDG_CONFIG_HOME', 'PATH', 'HOME'))} TERM=xterm-256color {sys.executable} -m agentdeck attach; echo exit=$?; sleep 30"
    terminal = Terminal(f"agentdeck-badconfig-{os.getpid()}", ["sh", "-c", shell])
    try:
        screen = terminal.wait_for("exit=2")
        assert f"agentdeck: error: {repo / 'agentdeck.toml'}: budgets.max_steps:" in " ".join(screen.split())
    finally:
        terminal.close()
        kill_daemon(repo)
