"""`agentdeck logs`: the session's events as readable lines (one task's in full, or all, compact)."""

from __future__ import annotations

import argparse
import sys

from agentdeck.cli import EXIT_OK
from agentdeck.event_text import describe
from agentdeck.events import Event, TextDelta
from agentdeck.progress import ProgressPrinter


def compact_line(event: Event) -> str | None:
    """One line for any event in the all-tasks view (prose and tool output left out)."""
    line = describe(event)
    if line is None:
        return None
    return f"[{event.task_id}] {line}" if event.task_id else line


async def print_logs(client, args: argparse.Namespace) -> int:
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
