"""The command line. Parsing only imports argparse: heavy modules load inside each command.

Each module in agentdeck/commands/ registers its own parsers with the handler that runs them
(`set_defaults(func=...)`); this module only puts them together. Exit status: 0 finished,
1 failed, 2 usage or configuration error, 130 interrupted (commands/exit_status.py).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from agentdeck.commands.exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, error

DESCRIPTION = """\
agentdeck runs coding agents, each in its own git worktree and branch, and reports
every step. `agentdeck` alone opens the cockpit on this repository's session: 2-4
agents you watch and steer, and a background queue. With no model configured it runs
the offline demo model, so it works without an API key: try `agentdeck demo`."""

# The modules in agentdeck/commands/, in the order `agentdeck --help` lists their commands.
COMMAND_MODULES = (
    "run",
    "demo",
    "cockpit",
    "serve",
    "skills",
    "queue",
    "sprint",
    "session",
    "logs",
    "review",
    "gc",
)
# The commands that open the cockpit, and the module that registers each. Their command
# line is parsed with that module's parsers alone: importing and registering every module
# would cost the cockpit's first frame ~25 ms. Only the sub-command's own parser sees its
# arguments, and the top level's usage names no command, so the parse, the help and the
# errors are the same as with the whole parser (tests/test_cli.py checks it).
COCKPIT_COMMANDS = {"attach": "cockpit", "demo": "demo"}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The command line of `modules` (all of them by default)."""
    parser = argparse.ArgumentParser(
        prog="agentdeck",
        description=DESCRIPTION,
        epilog="Run `agentdeck COMMAND --help` for a command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"agentdeck {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(f"agentdeck.commands.{name}").register(commands)
    return parser


def _version() -> str:
    from agentdeck import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv and sys.stdin.isatty() and sys.stdout.isatty():
        argv = ["attach"]
    if argv and argv[0] in COCKPIT_COMMANDS:
        parser = build_parser([COCKPIT_COMMANDS[argv[0]]])
    else:
        parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if os.environ.get("AGENTDECK_DEBUG"):
            raise
        error(f"internal error: {type(exc).__name__}: {exc} (set AGENTDECK_DEBUG=1 for the traceback)")
        return EXIT_FAILED
