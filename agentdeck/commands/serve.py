"""`agentdeck serve`: the same cockpit in a browser, served on 127.0.0.1 by textual-serve.

Each browser tab runs `agentdeck attach` for the repository in a subprocess with Textual's
web driver, so a tab is one more client of the session daemon: closing it detaches.
Loopback only. textual-serve has no authentication or origin check, so loopback does not
keep out other local users or a web page in your browser (docs/cockpit.md says so).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from agentdeck.cli import EXIT_OK, EXIT_USAGE, error


def serve_command(args: argparse.Namespace) -> int:
    from agentdeck.workspace import WorkspaceError, open_repository, repository_root

    try:
        root = repository_root(open_repository(Path(args.repo)))
    except WorkspaceError as exc:
        error(str(exc))
        return EXIT_USAGE
    try:
        from textual_serve.server import Server
    except ImportError:
        error("agentdeck serve needs the textual-serve package: pip install textual-serve")
        return EXIT_USAGE
    command = shlex.join([sys.executable, "-m", "agentdeck", "attach", "-C", str(root)])
    print(f"agentdeck: serving the cockpit of {root} at http://127.0.0.1:{args.port}/ (Ctrl-C stops serving; the agents keep working). No password: serve only on a single-user machine.", file=sys.stderr)
    Server(command, host="127.0.0.1", port=args.port, title=f"agentdeck · {root.name}").serve()
    return EXIT_OK
