"""`agentdeck` (the cockpit on this repository's session) and `agentdeck demo` (the cockpit on a sample).

The terminal paints first and attaches second: the app starts at once, and the daemon
(with litellm, which takes seconds to import) starts behind it in the bridge's worker.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from agentdeck.commands.exit_status import EXIT_FAILED, EXIT_OK, EXIT_USAGE, error

DEMO_TOML = """\
# Settings for `agentdeck demo`: the offline demo model with a small context window, so
# you can watch each meter fill and the work split into fresh sub-agents at 60%.
[executor]
model = "demo"
context_window = 4000

[session]
foreground_slots = 3
background_concurrency = 3

# Slow enough to read along, steer and interrupt.
[demo]
tokens_per_second = 8
"""

# (task, foreground): three agents to watch, and a queue that keeps going behind them.
DEMO_TASKS = [
    ("Read the project and write notes on what it does and what is left to do", True),
    ("Find the TODOs in invoice_tools and propose a fix for each", True),
    ("Review how amounts are rounded against docs/invoicing-rules.md", True),
    ("Write a short CONTRIBUTING note on how to run the tests", False),
    ("Check that the tests cover credit notes", False),
    ("List the currency rules the code does not follow yet", False),
    ("Suggest clearer names for the helpers in invoice_tools", False),
    ("Write a changelog entry for the next release", False),
]
# One sprint among the tasks: planned, contracts first, four roles, one integrated result to review.
DEMO_SPRINT = "Add an export of invoices to CSV with tests and docs"


def register(commands) -> None:
    attach = commands.add_parser(
        "attach",
        help="open the cockpit on this repository's session (what `agentdeck` alone does)",
        description="Open the cockpit, attached to the repository's session daemon (started if none runs). "
        "Detach with Ctrl+D: the agents keep working; run `agentdeck` again to come back.",
        epilog="examples:\n  agentdeck\n  agentdeck attach -C ~/src/project",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    attach.add_argument(
        "-C", "--repo", default=".", metavar="PATH", help="the repository (default: the current directory)"
    )
    attach.set_defaults(func=cockpit_command)


def working_tree_root(path: Path) -> Path | None:
    """The directory holding `.git` at or above `path`, found without importing pygit2 (~50 ms)."""
    try:
        start = path.expanduser().resolve(strict=True)
    except OSError:
        return None
    if not start.is_dir():
        start = start.parent
    return next((folder for folder in (start, *start.parents) if (folder / ".git").exists()), None)


def cockpit_command(args: argparse.Namespace) -> int:
    """Open the cockpit on the repository at `args.repo` (the current directory by default).

    Only what the first frame needs happens before it: finding the working tree and reading
    the cockpit's few settings. Opening the repository and validating the configuration
    follow the first frame (`DaemonLink`), and end the cockpit with the same error."""
    from agentdeck.cockpit_settings import read_cockpit_settings
    from agentdeck.config_files import ConfigError

    root = working_tree_root(Path(args.repo))
    if root is None:
        from agentdeck.workspace import WorkspaceError, open_repository, repository_root

        try:  # not a repository, most likely: pygit2 says exactly what is wrong
            root = repository_root(open_repository(Path(args.repo)))
        except WorkspaceError as exc:
            error(f"{exc}; or try `agentdeck demo`")
            return EXIT_USAGE
    try:
        settings = read_cockpit_settings(root)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    # Under `agentdeck serve` a browser is the terminal: textual-serve sets TEXTUAL_DRIVER.
    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdout.isatty() and sys.stdin.isatty()):
        error(
            "the cockpit needs a terminal; for scripts use `agentdeck status`, `agentdeck logs -f` or `agentdeck queue add`"
        )
        return EXIT_USAGE
    return run_app(root, settings, seed=None)[0]


def demo_cockpit(args: argparse.Namespace) -> int:
    """A throwaway sample repository, its session with demo tasks queued, and the cockpit on it.

    The sample repository is made after the first frame, in the link's set-up (pygit2 and
    a dozen files: ~80 ms that the first paint need not wait for)."""
    from agentdeck.cockpit_settings import read_cockpit_settings
    from agentdeck.config_files import ConfigError

    path = (
        Path(args.path) if args.path else Path(tempfile.mkdtemp(prefix="agentdeck-demo-")) / "invoice-tools"
    )

    def create_sample() -> None:
        from agentdeck.workspace.sample_repo import create_sample_repository

        create_sample_repository(path, extra_files={"agentdeck.toml": DEMO_TOML})

    try:
        settings = read_cockpit_settings(None)  # the sample's own file has no [ui] table
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    status, ended = run_app(path, settings, seed=DEMO_TASKS, prepare=create_sample, sprint=DEMO_SPRINT)
    if ended == "detached":
        print(f"The demo repository is {path}; its session keeps running until `agentdeck stop` there.")
        print(f"  cd {path} && agentdeck    # the cockpit again")
    return status


def run_app(
    root: Path, settings, seed=None, start_on: str | None = None, prepare=None, sprint: str | None = None
) -> tuple[int, str | None]:
    """Run the cockpit; the exit status and how it ended ("detached", "stopped", "lost", "reviewed", None on a crash).

    `settings`: the cockpit's `CockpitSettings`; `prepare`: run before the session is first reached."""
    from agentdeck.tui.app import CockpitApp
    from agentdeck.tui.link import DaemonLink

    app = CockpitApp(
        DaemonLink(root, prepare), settings, seed_tasks=seed, seed_sprint=sprint, start_on=start_on
    )
    ended = app.run()
    if ended == "reviewed":
        return EXIT_OK, ended
    if ended == "setup failed":
        error(app.setup_error or "the session could not be reached")
        return EXIT_USAGE, ended
    if ended == "stopped":
        print(
            "agentdeck: stopped the session; each agent checkpointed its work (`agentdeck resume ID` continues one)"
        )
    elif ended == "lost":
        reason = app.cockpit.lost_reason or "the connection ended"
        error(
            f"lost the session daemon ({reason}); `agentdeck` starts it again, and `agentdeck status` shows what was saved"
        )
        return EXIT_FAILED, ended
    elif ended == "detached":
        print(f"agentdeck: detached; the agents keep working. `agentdeck attach -C {root}` comes back.")
    else:
        return (app.return_code or EXIT_FAILED), ended
    return EXIT_OK, ended
