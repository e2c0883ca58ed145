"""The session commands on the client side: attach to the daemon (starting it), ask, print."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from agentdeck.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error
from agentdeck.task_state import TaskState
from agentdeck.text import one_line


def notice(message: str) -> None:
    print(f"agentdeck: {message}", file=sys.stderr)


def session_command(args: argparse.Namespace) -> int:
    from agentdeck.config import ConfigError, load_settings
    from agentdeck.server.paths import session_paths
    from agentdeck.workspace import WorkspaceError, open_repository, repository_root

    try:
        repo = open_repository(Path(args.repo))
        root = repository_root(repo)
        settings = load_settings(root)
    except (WorkspaceError, ConfigError) as exc:
        error(str(exc))
        return EXIT_USAGE
    paths = session_paths(repo)
    if _wants_review_screen(args):
        from agentdeck.cockpit_settings import CockpitSettings
        from agentdeck.commands.cockpit import run_app

        return run_app(root, CockpitSettings.from_settings(settings), start_on="review")[0]
    if args.command == "daemon":
        from agentdeck.server.daemon import run_daemon

        return run_daemon(root, settings, paths)
    if args.command == "queue" and args.queue_command is None:
        error(
            "say what to do with the queue: agentdeck queue add TASK, agentdeck queue list, agentdeck queue edit ID"
        )
        return EXIT_USAGE
    if args.command == "queue" and args.queue_command == "add" and args.models and args.attempts < 2:
        error("--models spreads attempts over models: give --attempts N (2 or more) too")
        return EXIT_USAGE  # said before a daemon is started for nothing
    try:
        return asyncio.run(_attached(args, root, paths))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _wants_review_screen(args: argparse.Namespace) -> bool:
    """`agentdeck review` in a terminal opens the review screen; scripts and --plain get the list."""
    if args.command != "review" or args.id or args.json or args.plain:
        return False
    return sys.stdin.isatty() and sys.stdout.isatty()


async def _attached(args: argparse.Namespace, root: Path, paths) -> int:
    from agentdeck.runtime.command_error import CommandError
    from agentdeck.server.client import SessionClient
    from agentdeck.server.launcher import DaemonError

    try:
        client = await SessionClient.connect(root, paths, start=args.command != "stop", notice=notice)
    except DaemonError as exc:
        error(str(exc))
        return EXIT_FAILED
    if client is None:
        notice("no session daemon is running for this repository")
        return EXIT_OK
    try:
        return await _run(args, client)
    except CommandError as exc:
        error(str(exc))
        return EXIT_USAGE if exc.code == "usage" else EXIT_FAILED
    finally:
        await client.close()


async def _run(args: argparse.Namespace, client) -> int:
    command = args.command
    from agentdeck.commands.review import REVIEW_COMMANDS, run_review_command

    if command in REVIEW_COMMANDS:
        return await run_review_command(args, client)
    if command == "queue":
        if args.queue_command == "add":
            text = " ".join(args.task).strip()
            if not text:
                error("the task is empty: say what the agent should do")
                return EXIT_USAGE
            reply = await client.enqueue(
                text,
                priority=args.priority,
                after=args.after,
                foreground=args.foreground,
                model=args.model,
                skills=args.skill,
                attempts=args.attempts,
                models=args.models,
            )
            if args.json:
                print(json.dumps(reply))
            elif "attempt_group" in reply:
                print(f"queued {len(reply['attempts'])} attempts as group {reply['attempt_group']}:")
                for attempt in reply["attempts"]:
                    print(f"  {attempt['task_id']} ({attempt['model'] or 'executor.model'})")
                print("when all have ended, the judge ranks them: `agentdeck review` shows them as one entry")
            else:
                print(f"queued {reply['task_id']} ({reply['state']})")
            return EXIT_OK
        if args.queue_command == "edit":
            if args.after is None and args.priority is None:
                error("nothing to change: give --after ID and/or --priority N")
                return EXIT_USAGE
            reply = await client.edit(args.id, priority=args.priority, after=args.after)
            print(f"edited {reply['task_id']}")
            return EXIT_OK
        status = await client.status()
        tasks = [t for t in status["tasks"] if TaskState(t["state"]).in_queue]
        tasks.sort(key=lambda t: (t["state"] == TaskState.QUEUED, -t["priority"], t["created"]))
        if args.json:
            print(json.dumps({"tasks": tasks}))
        else:
            print(render_table(tasks) if tasks else "the queue is empty")
        return EXIT_OK
    if command == "status":
        status = await client.status()
        if args.json:
            print(json.dumps(status))
        else:
            print(render_status(status))
        return EXIT_OK
    if command == "gc":
        from agentdeck.commands.gc import run_gc

        return await run_gc(args, client)
    if command == "logs":
        from agentdeck.commands.logs import print_logs

        return await print_logs(client, args)
    if command == "steer":
        await client.steer(args.id, " ".join(args.text))
        print(f"steered {args.id}")
        return EXIT_OK
    if command in ("interrupt", "cancel", "resume", "promote", "demote"):
        reply = await getattr(client, command)(args.id)
        done = {
            "interrupt": "interrupted",
            "cancel": "cancelling",
            "resume": "resuming",
            "promote": "promoted",
            "demote": "demoted",
        }
        extra = f" ({reply['state']})" if "state" in reply else ""
        print(f"{done[command]} {args.id}{extra}")
        return EXIT_OK
    if command == "stop":
        pid = client.welcome.get("pid")
        await client.stop()
        await client.wait_closed(timeout=60)
        print(f"stopped the session daemon (pid {pid}); agents checkpointed their work")
        return EXIT_OK
    error(f"unknown command {command!r}")
    return EXIT_USAGE


def _age(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def render_table(tasks: list[dict[str, Any]]) -> str:
    from agentdeck.commands.gc import disk_cell

    header = ("ID", "TASK", "FG/BG", "STATE", "STEPS", "CTX", "COST", "DISK", "AGE", "NOTE")
    rows: list[tuple[str, ...]] = [header]
    for t in tasks:
        note = t.get("waiting_reason") or (t.get("reason") if t["state"] != TaskState.RUNNING else "") or ""
        if t.get("after_id") and t["state"] == TaskState.QUEUED and not note:
            note = f"after {t['after_id']}"
        ctx = f"{t['context_fraction']:.0%}" if t.get("context_fraction") is not None else "-"
        rows.append(
            (
                t["id"],
                one_line(t["task"], 32),
                "fg" if t["foreground"] else "bg",
                t["state"],
                str(t["steps"]),
                ctx,
                f"${t['cost_usd']:.2f}",
                disk_cell(t),
                _age(t.get("age_s", time.time() - t["created"])),
                one_line(note, 70),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1] for row in rows
    ).rstrip()


def render_status(status: dict[str, Any]) -> str:
    tasks = status["tasks"]
    fg = sum(1 for t in tasks if t["foreground"] and TaskState(t["state"]).is_active)
    bg = sum(1 for t in tasks if not t["foreground"] and TaskState(t["state"]).is_active)
    lines = [
        f"session daemon pid {status['pid']} · foreground {fg}/{status['foreground_slots']} · "
        f"background {bg}/{status['background_concurrency']} · {len(tasks)} task{'s' if len(tasks) != 1 else ''}"
    ]
    if status.get("budget_reached"):
        lines.append(f"no new background task starts: {status['budget_reached']}")
    if status.get("store_full"):
        lines.append(f"nothing new is written: {status['store_full']}")
    from agentdeck.commands.gc import disk_line

    disk = disk_line(status)
    if disk:
        lines.append(disk)
    lines.append(render_table(tasks) if tasks else "no tasks yet: agentdeck queue add TASK")
    if status.get("sandbox"):
        # Last, where the eye lands when the command returns.
        lines.append(sandbox_line(status["sandbox"]))
    return "\n".join(lines)


def sandbox_line(label: str) -> str:
    """'commands: sandbox: bwrap, network off', or a warning that agents' commands run as you."""
    if label.startswith("unconfined"):
        return f"warning: agents' commands run UNCONFINED, as you, with your files and network ({label}); see docs/sandbox.md"
    return f"commands: {label}"
