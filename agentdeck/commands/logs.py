"""`agentdeck logs`: the session's events as readable lines (one task's in full, or all, compact)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from agentdeck.commands.exit_status import EXIT_OK
from agentdeck.commands.session import attached, session_parser

if TYPE_CHECKING:
    from agentdeck.events import Event
    from agentdeck.server.client import SessionClient


def register(commands) -> None:
    logs = session_parser(
        commands,
        "logs",
        "print what agents did (replayed from the session's log)",
        "Print the session's events as readable lines: one task's, or all of them.",
        "  agentdeck logs\n  agentdeck logs add-type-hints-1a2b --follow",
    )
    logs.add_argument(
        "id", nargs="?", metavar="ID", help="only this task (default: every task, without streamed prose)"
    )
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new events until Ctrl-C")
    logs.add_argument("--from-seq", type=int, default=0, metavar="N", help="start after event seq N")
    logs.add_argument("--json", action="store_true", help="print one JSON event per line")

    logs.set_defaults(func=attached(print_logs))


def compact_line(event: Event) -> str | None:
    """One line for any event in the all-tasks view (prose and tool output left out)."""
    from agentdeck.event_text import describe

    line = describe(event)
    if line is None:
        return None
    return f"[{event.task_id}] {line}" if event.task_id else line


async def print_logs(args: argparse.Namespace, client: SessionClient) -> int:
    from agentdeck.events import TextDelta
    from agentdeck.progress import ProgressPrinter

    out = sys.stdout
    printer = ProgressPrinter(out) if args.id and not args.json else None
    async for event in client.subscribe(args.from_seq, args.id, follow=args.follow):
        if args.json:
            out.write(event.model_dump_json() + "\n")
        elif printer is not None:
            printer(event)
        elif not isinstance(event, TextDelta):
            line = compact_line(event)
            if line is not None:
                out.write(line + "\n")
        if args.follow:
            out.flush()
    out.flush()
    return EXIT_OK
