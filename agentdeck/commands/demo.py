"""`agentdeck demo`: a throwaway sample repository and the offline demo agent at work in it."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from agentdeck.cli import EXIT_OK, EXIT_USAGE, error
from agentdeck.commands.run import RunOptions, notice, run_task
from agentdeck.workspace import WorkspaceError
from agentdeck.workspace.sample_repo import create_sample_repository

DEMO_TASK = "Read the project and write notes on what it does and what is left to do"
# Small on purpose: reading the sample project fills it past the split threshold, so the
# demo shows the meter climb, the handoff to sub-agents, and the compacted parent.
DEMO_CONTEXT_WINDOW = 4000


def demo_command(args: argparse.Namespace) -> int:
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
