"""`agentdeck serve`: the same cockpit in a browser, served by textual-serve behind a token.

Each browser tab runs `agentdeck attach` for the repository in a subprocess with Textual's
web driver, so a tab is one more client of the session daemon: closing it detaches.
Loopback by default; the page, its files and the WebSocket need the printed token (see
agentdeck/server/web_access.py for what is checked and why).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from urllib.parse import urlsplit

from agentdeck.commands.arg_types import positive_int
from agentdeck.commands.exit_status import EXIT_OK, EXIT_USAGE, error


def register(commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the cockpit in a browser, behind a token, on 127.0.0.1",
        description="Serve the cockpit in a web browser (textual-serve). Each browser tab attaches to the\n"
        "repository's session like `agentdeck` does. The printed address carries a random token:\n"
        "without it (or the cookie it sets) the page and its WebSocket answer 403, and a WebSocket\n"
        "opened by another site's page is refused (its Origin). AGENTDECK_SERVE_TOKEN sets a fixed token.",
        epilog="examples:\n  agentdeck serve --port 8080    # then open the printed http://127.0.0.1:8080/?token=...\n"
        "  ssh -L 8080:127.0.0.1:8080 devbox agentdeck serve --port 8080 -C ~/src/project",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "--port", type=positive_int, default=8000, metavar="N", help="the port to listen on (default: 8000)"
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="ADDR",
        help="the address to listen on (default: 127.0.0.1); any other than loopback needs --i-know",
    )
    serve.add_argument(
        "--i-know",
        action="store_true",
        help="serve on a --host other than loopback (anyone who reaches it with the token can run commands as you)",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when it differs from --host/--port (a TLS proxy, e.g. https://deck.example.org)",
    )
    serve.add_argument(
        "-C", "--repo", default=".", metavar="PATH", help="the repository (default: the current directory)"
    )
    serve.set_defaults(func=serve_command)


def _public_url(args: argparse.Namespace) -> str:
    if args.public_url:
        return args.public_url.rstrip("/")
    host = f"[{args.host}]" if ":" in args.host else args.host
    return f"http://{host}:{args.port}"


def serve_command(args: argparse.Namespace) -> int:
    from agentdeck.server.web_access import (
        TOKEN_PARAMETER,
        WebAccess,
        WebAccessError,
        is_loopback,
        serve_token,
    )
    from agentdeck.workspace import WorkspaceError, open_repository, repository_root

    try:
        root = repository_root(open_repository(Path(args.repo)))
    except WorkspaceError as exc:
        error(str(exc))
        return EXIT_USAGE
    if not is_loopback(args.host) and not args.i_know:
        error(
            f"refusing to serve on {args.host}: anyone who can reach it and learns the token can run "
            "commands as you, and plain http sends the token in clear text. Serve on 127.0.0.1 and use "
            "an SSH tunnel (ssh -L 8000:127.0.0.1:8000 HOST), or pass --i-know to serve there anyway"
        )
        return EXIT_USAGE
    public_url = _public_url(args)
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        error(f"--public-url {args.public_url!r} is not an http(s) address, e.g. https://deck.example.org")
        return EXIT_USAGE
    try:
        access = WebAccess(
            token=serve_token(), port=args.port, public_host=parts.hostname, public_port=parts.port
        )
    except WebAccessError as exc:
        error(str(exc))
        return EXIT_USAGE
    try:
        from agentdeck.tui.web_server import GuardedServer
    except ImportError:
        error("agentdeck serve needs the textual-serve package: pip install textual-serve")
        return EXIT_USAGE
    command = shlex.join([sys.executable, "-m", "agentdeck", "attach", "-C", str(root)])
    print(
        f"agentdeck: serving the cockpit of {root} at {public_url}/?{TOKEN_PARAMETER}={access.token} "
        "(Ctrl-C stops serving; the agents keep working). Open that address: the token is the password, "
        "and without it the page is refused.",
        file=sys.stderr,
        flush=True,
    )
    if not access.loopback:
        print(
            f"agentdeck: warning: serving beyond this machine on {args.host} (--i-know); "
            "anyone with the token can run commands as you",
            file=sys.stderr,
            flush=True,
        )
    GuardedServer(
        command,
        access,
        host=args.host,
        port=args.port,
        title=f"agentdeck · {root.name}",
        public_url=public_url,
    ).serve()
    return EXIT_OK
