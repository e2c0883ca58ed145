"""The command line. Parsing only imports argparse: heavy modules load inside each command.

Exit status: 0 finished, 1 failed, 2 usage or configuration error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

DESCRIPTION = """\
agentdeck runs coding agents, each in its own git worktree and branch, and reports
every step. `agentdeck` alone opens the cockpit on this repository's session: 2-4
agents you watch and steer, and a background queue. With no model configured it runs
the offline demo model, so it works without an API key: try `agentdeck demo`."""

RUN_EPILOG = """\
examples:
  agentdeck run "add a CONTRIBUTING.md with how to run the tests"
  agentdeck run --model anthropic/claude-sonnet-4-5 "fix the failing test in tests/test_io.py"
  agentdeck run --model openai/qwen2.5-coder --api-base http://127.0.0.1:8080/v1 --json "..."
  agentdeck run --skill test-first-bug-fix "fix the crash on an empty config file"

The agent works on a new branch agentdeck/<task-id> in a worktree outside your working
tree; your files, index and uncommitted changes are never touched. Ctrl-C interrupts
the agent and keeps its worktree. Exit status: 0 finished, 1 failed, 2 usage or
configuration error, 130 interrupted."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentdeck",
        description=DESCRIPTION,
        epilog="Run `agentdeck COMMAND --help` for a command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"agentdeck {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run one agent on a task in a new worktree, to the end",
        description="Run one agent on TASK in a new git worktree and branch, printing its progress.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "task", nargs="+", metavar="TASK", help="what the agent should do (quote it, or give several words)"
    )
    run.add_argument(
        "--model", metavar="M", help="litellm model string, or `demo` (default: executor.model from config)"
    )
    run.add_argument(
        "--api-base",
        metavar="URL",
        help="base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1",
    )
    run.add_argument(
        "--json", action="store_true", help="print one JSON event per line on stdout, and nothing else there"
    )
    run.add_argument(
        "--max-steps",
        type=_positive_int,
        metavar="N",
        help="stop after N LLM turns (default: budgets.max_steps)",
    )
    run.add_argument(
        "--context-window",
        type=_positive_int,
        metavar="N",
        help="the model's context window in tokens, for the meter and the split (default: from litellm, or the role's context_window)",
    )
    run.add_argument(
        "--split-threshold",
        type=_fraction,
        metavar="F",
        help="split into sub-agents when the context is this full, 0 < F <= 1 (default: split_threshold, 0.6)",
    )
    run.add_argument(
        "--plan",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start with a plan written by the planner model (default: plan.foreground, off)",
    )
    run.add_argument(
        "--skill",
        action="append",
        default=[],
        metavar="NAME",
        help="a skill the agent loads and follows (repeatable; `agentdeck skills` lists them)",
    )
    run.add_argument(
        "-C",
        "--repo",
        default=".",
        metavar="PATH",
        help="the repository to work in (default: the current directory)",
    )
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
        "--port", type=_positive_int, default=8000, metavar="N", help="the port to listen on (default: 8000)"
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
    skills = commands.add_parser(
        "skills",
        help="list the skills a task can name (--skill), and the skill files that are broken",
        description="List the skills of this repository (.agentdeck/skills/), yours (the config dir) and the\n"
        "built-in ones: name, description, where each comes from. A repository's skill overrides\n"
        "yours and the built-in one of the same name. With NAME: that skill in full.\n"
        "Exit status 1 when a skill file could not be read (each is listed with its path and line).",
        epilog="examples:\n  agentdeck skills\n  agentdeck skills test-first-bug-fix\n  agentdeck skills --json\n\n"
        "See docs/skills.md for the file format.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    skills.add_argument("name", nargs="?", metavar="NAME", help="show this skill in full")
    skills.add_argument("--json", action="store_true", help="print one JSON document")
    skills.add_argument(
        "-C", "--repo", default=".", metavar="PATH", help="the repository (default: the current directory)"
    )
    from agentdeck.commands.session_args import add_session_parsers

    add_session_parsers(commands)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 1, e.g. 0.6")
    return value


def _version() -> str:
    from agentdeck import __version__

    return __version__


def error(message: str) -> None:
    print(f"agentdeck: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            parser.print_help()
            return EXIT_USAGE
        args = parser.parse_args(["attach"])
    try:
        if args.command == "run":
            from agentdeck.commands.run import run_command

            return run_command(args)
        if args.command == "demo":
            if args.json or args.plain or not (sys.stdin.isatty() and sys.stdout.isatty()):
                from agentdeck.commands.demo import demo_command

                return demo_command(args)
            from agentdeck.commands.cockpit import demo_cockpit

            return demo_cockpit(args)
        if args.command == "serve":
            from agentdeck.commands.serve import serve_command

            return serve_command(args)
        if args.command == "skills":
            from agentdeck.commands.skills import skills_command

            return skills_command(args)
        if args.command == "attach":
            from agentdeck.commands.cockpit import cockpit_command

            return cockpit_command(args)
        from agentdeck.commands.session_args import SESSION_COMMANDS

        if args.command in SESSION_COMMANDS:
            from agentdeck.commands.session import session_command

            return session_command(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if os.environ.get("AGENTDECK_DEBUG"):
            raise
        error(f"internal error: {type(exc).__name__}: {exc} (set AGENTDECK_DEBUG=1 for the traceback)")
        return EXIT_FAILED
    parser.error(f"unknown command {args.command!r}")
    return EXIT_USAGE
