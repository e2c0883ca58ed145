"""`agentdeck queue add | list | edit`: tasks for the session's agents, and the queue as it stands."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from agentdeck.commands.arg_types import attempts, model_list, priority
from agentdeck.commands.exit_status import EXIT_OK, EXIT_USAGE, error
from agentdeck.commands.session import SESSION_NOTE, attached, render_table, session_command, session_parser
from agentdeck.task_state import TaskState

if TYPE_CHECKING:
    from agentdeck.server.client import SessionClient


def register(commands) -> None:
    queue = commands.add_parser(
        "queue",
        help="queue tasks for background agents, list the queue",
        description="Queue tasks for the session's agents, and list the queue.",
        epilog='examples:\n  agentdeck queue add "write a CONTRIBUTING.md"\n  agentdeck queue list\n'
        + SESSION_NOTE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    queue.set_defaults(func=_no_action)
    actions = queue.add_subparsers(dest="queue_command", metavar="ACTION")
    add = session_parser(
        actions,
        "add",
        "queue a task (background unless --foreground)",
        "Queue TASK. It starts when a slot is free, in priority order, after its dependency.",
        '  agentdeck queue add "add type hints to src/io.py"\n'
        '  agentdeck queue add --after add-type-hints-1a2b --priority 5 "document the io module"\n'
        '  agentdeck queue add --skill test-first-bug-fix "fix the crash on an empty config file"\n'
        '  agentdeck queue add --attempts 3 --models anthropic/claude-sonnet-4-5,openai/gpt-5 "fix the parser"\n'
        '  agentdeck queue add --role database "add an index for the slow orders query"',
    )
    add.add_argument("task", nargs="+", metavar="TASK", help="what the agent should do")
    add.add_argument(
        "--after",
        metavar="ID",
        help="start only once task ID is merged (or finished: session.after_waits_for)",
    )
    add.add_argument(
        "--priority", type=priority, default=0, metavar="N", help="higher starts first (default 0)"
    )
    add.add_argument("--model", metavar="M", help="litellm model string, or `demo` (default: executor.model)")
    add.add_argument(
        "--skill",
        action="append",
        default=[],
        metavar="NAME",
        help="a skill the agent loads and follows (repeatable; `agentdeck skills` lists them)",
    )
    add.add_argument(
        "--attempts",
        type=attempts,
        default=1,
        metavar="N",
        help="best-of-N: run the task N times (2-5), each in its own worktree; when all end, the judge "
        "ranks them and `agentdeck review` shows them as one entry (default 1)",
    )
    add.add_argument(
        "--models",
        type=model_list,
        metavar="A,B",
        help="with --attempts: spread the attempts over these models, round-robin (other model families "
        "make errors that don't correlate)",
    )
    add.add_argument(
        "--role",
        metavar="NAME",
        help="run as the role [roles.NAME] of agentdeck.toml: its model, prompt and budgets (default: the executor)",
    )
    add.add_argument(
        "--foreground", action="store_true", help="run in a foreground slot instead of the background queue"
    )
    add.add_argument(
        "--json",
        action="store_true",
        help='print {"task_id": ..., "state": ...} as one JSON document (with --attempts also '
        '"attempt_group" and "attempts": [{"task_id", "model"}])',
    )
    add.set_defaults(func=_add_command)
    listing = session_parser(
        actions,
        "list",
        "list queued and running tasks, in start order",
        "List the tasks that have not ended, and why queued ones wait.",
        "  agentdeck queue list --json",
    )
    listing.add_argument("--json", action="store_true", help="print one JSON document (see docs/session.md)")
    listing.set_defaults(func=attached(_list))
    edit = session_parser(
        actions,
        "edit",
        "change a queued task's priority or dependency",
        "Change a queued task's priority or dependency; a dependency cycle is refused.",
        "  agentdeck queue edit document-io-3f9c --after add-type-hints-1a2b\n"
        "  agentdeck queue edit document-io-3f9c --after ''",
    )
    edit.add_argument("id", metavar="ID")
    edit.add_argument("--after", metavar="ID", help="the new dependency ('' removes it)")
    edit.add_argument("--priority", type=priority, metavar="N")
    edit.set_defaults(func=attached(_edit))


def _no_action(args: argparse.Namespace) -> int:
    error(
        "say what to do with the queue: agentdeck queue add TASK, agentdeck queue list, agentdeck queue edit ID"
    )
    return EXIT_USAGE


def _add_command(args: argparse.Namespace) -> int:
    if args.models and args.attempts < 2:
        error("--models spreads attempts over models: give --attempts N (2 or more) too")
        return EXIT_USAGE  # said before a daemon is started for nothing
    return session_command(args, _add)


async def _add(args: argparse.Namespace, client: SessionClient) -> int:
    from agentdeck.api import Enqueue

    text = " ".join(args.task).strip()
    if not text:
        error("the task is empty: say what the agent should do")
        return EXIT_USAGE
    reply = await client.execute(
        Enqueue(
            task=text,
            priority=args.priority,
            after=args.after,
            foreground=args.foreground,
            model=args.model,
            skills=args.skill or [],
            attempts=args.attempts,
            models=args.models or [],
            role=args.role,
        )
    )
    if args.json:
        print(reply.model_dump_json())
    elif reply.attempt_group:
        print(f"queued {len(reply.attempts)} attempts as group {reply.attempt_group}:")
        for attempt in reply.attempts:
            print(f"  {attempt.task_id} ({attempt.model or 'executor.model'})")
        print("when all have ended, the judge ranks them: `agentdeck review` shows them as one entry")
    else:
        print(f"queued {reply.task_id} ({reply.state})")
    return EXIT_OK


async def _edit(args: argparse.Namespace, client: SessionClient) -> int:
    from agentdeck.api import EditTask

    if args.after is None and args.priority is None:
        error("nothing to change: give --after ID and/or --priority N")
        return EXIT_USAGE
    reply = await client.execute(EditTask(agent_id=args.id, priority=args.priority, after=args.after))
    print(f"edited {reply.task_id}")
    return EXIT_OK


async def _list(args: argparse.Namespace, client: SessionClient) -> int:
    from agentdeck.api import GetStatus

    status = await client.execute(GetStatus())
    tasks = [t for t in status.tasks if t.state.in_queue]
    tasks.sort(key=lambda t: (t.state == TaskState.QUEUED, -t.priority, t.created))
    if args.json:
        print(json.dumps({"tasks": [t.model_dump(mode="json") for t in tasks]}))
    else:
        print(render_table(tasks) if tasks else "the queue is empty")
    return EXIT_OK
