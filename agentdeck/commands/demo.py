"""`agentdeck demo`: a throwaway sample repository and the offline demo agent at work in it."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from agentdeck.commands.exit_status import EXIT_OK, EXIT_USAGE, error, notice

DEMO_TASK = "Read the project and write notes on what it does and what is left to do"
# Small on purpose: reading the sample project fills it past the split threshold, so the
# demo shows the meter climb, the handoff to sub-agents, and the compacted parent.
DEMO_CONTEXT_WINDOW = 4000


def register(commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="open the cockpit on a sample repository with demo agents at work (no API key needed)",
        description="Create a throwaway sample repository, queue a few tasks on the offline demo model, and open the cockpit on it.",
        epilog="example:\n  agentdeck demo\n  agentdeck demo --path /tmp/my-demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--path",
        metavar="DIR",
        help="where to create the sample repository (default: a new temporary directory)",
    )
    demo.add_argument(
        "--json", action="store_true", help="print one JSON event per line on stdout, and nothing else there"
    )
    demo.add_argument(
        "--plain",
        action="store_true",
        help="run one demo agent and print its progress instead of opening the cockpit (the default without a terminal)",
    )
    demo.set_defaults(func=demo_main)


def demo_main(args: argparse.Namespace) -> int:
    """The cockpit on a sample repository in a terminal; one agent's progress otherwise (or asked)."""
    if args.json or args.plain or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return demo_command(args)
    from agentdeck.commands.cockpit import demo_cockpit

    return demo_cockpit(args)


def demo_command(args: argparse.Namespace) -> int:
    from agentdeck.commands.run import RunOptions, run_task
    from agentdeck.workspace import WorkspaceError
    from agentdeck.workspace.sample_repo import create_sample_repository

    path = (
        Path(args.path) if args.path else Path(tempfile.mkdtemp(prefix="agentdeck-demo-")) / "invoice-tools"
    )
    try:
        create_sample_repository(path)
    except (WorkspaceError, OSError) as exc:
        error(str(exc))
        return EXIT_USAGE
    notice(f"created a sample repository at {path}")
    notice(
        f"the demo model gets a {DEMO_CONTEXT_WINDOW:,}-token context window, so you can watch it fill and split"
    )
    options = RunOptions(
        repo=path, task=DEMO_TASK, model="demo", json=args.json, context_window=DEMO_CONTEXT_WINDOW, plan=True
    )
    status = run_task(options)
    if status == EXIT_OK and not args.json:
        print(f"\nThe sample repository is {path}. Look around it, or run a task of your own there:")
        print(f"  cd {path}")
        print('  agentdeck run "..."')
    return status
