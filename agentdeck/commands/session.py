"""The session commands on the client side: attach to the daemon (starting it), ask, print.

`attached(handler)` makes a command of `handler(args, client)`; the queue, logs, review and gc
commands register theirs the same way (queue.py, logs.py, review.py, gc.py).
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from agentdeck.commands.arg_types import add_repo
from agentdeck.commands.exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error, notice
from agentdeck.task_state import TaskState
from agentdeck.text import one_line

if TYPE_CHECKING:
    from agentdeck.config import Settings
    from agentdeck.replies import SprintSummary, Status, TaskStatus
    from agentdeck.server.client import SessionClient
    from agentdeck.server.paths import SessionPaths

ClientHandler = Callable[[argparse.Namespace, "SessionClient"], Awaitable[int]]

SESSION_NOTE = """
These commands talk to the repository's session daemon, starting it when none runs
(said on stderr). Agents keep running after the command returns, like tmux; `agentdeck
stop` ends the daemon. Exit status: 0 done, 1 failed, 2 usage error (unknown id,
dependency cycle, not a git repository). See docs/session.md."""


def session_parser(
    commands, name: str, help: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """A session command's parser: its help, its examples, what every session command shares, and -C."""
    return add_repo(
        commands.add_parser(
            name,
            help=help,
            description=description,
            epilog=f"example{'s' if examples.count(chr(10)) else ''}:\n{examples}\n{SESSION_NOTE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )


def attached(handler: ClientHandler) -> Callable[[argparse.Namespace], int]:
    """A command that runs `handler(args, client)` against the repository's session daemon."""
    return functools.partial(session_command, handler=handler)


def register(commands) -> None:
    status = session_parser(
        commands,
        "status",
        "show every task of the session: state, steps, context, cost",
        "Show every task of the session as a table.",
        "  agentdeck status\n  agentdeck status --json",
    )
    status.add_argument("--json", action="store_true", help="print one JSON document (see docs/session.md)")
    status.set_defaults(func=attached(_status))
    steer = session_parser(
        commands,
        "steer",
        "send a message to a running agent",
        "Queue a message for the agent's next turn; wakes a waiting agent.",
        '  agentdeck steer add-type-hints-1a2b "use typing.Protocol, not ABCs"',
    )
    steer.add_argument("id", metavar="ID")
    steer.add_argument("text", nargs="+", metavar="TEXT")
    steer.set_defaults(func=attached(_steer))
    for name, help, description in (
        (
            "interrupt",
            "cancel what an agent is doing now; it then waits for you",
            "Interrupt task ID's agent at once; it checkpoints and waits to be steered.",
        ),
        (
            "cancel",
            "cancel a queued task, or stop a running one for good",
            "Cancel task ID. A running agent checkpoints first; its branch is kept.",
        ),
        (
            "resume",
            "continue an interrupted (or failed, cancelled) task in its worktree",
            "Restart task ID's agent in its existing worktree and branch, with fresh context.",
        ),
        (
            "promote",
            "move a background agent into a foreground slot (no restart)",
            "Move task ID to a foreground slot; refused when every slot is busy.",
        ),
        (
            "demote",
            "move a foreground agent to the background (no restart)",
            "Move task ID to the background.",
        ),
    ):
        parser = session_parser(commands, name, help, description, f"  agentdeck {name} add-type-hints-1a2b")
        parser.add_argument("id", metavar="ID")
        parser.set_defaults(func=attached(_task_verb))
    stop = session_parser(
        commands,
        "stop",
        "stop the session daemon (agents checkpoint first)",
        "Stop the session daemon: every agent checkpoints, then the daemon exits.",
        "  agentdeck stop",
    )
    stop.set_defaults(func=attached(_stop))
    daemon = session_parser(
        commands,
        "daemon",
        "(internal) run the session daemon in this process",
        "Run the repository's session daemon in the foreground. Other commands start it on their own.",
        "  agentdeck daemon -C ~/src/project",
    )
    daemon.set_defaults(func=daemon_command)


def open_session(args: argparse.Namespace) -> tuple[Path, Settings, SessionPaths] | int:
    """The repository's root, settings and session paths; or the exit status after saying what is wrong."""
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
    return root, settings, session_paths(repo)


def session_command(args: argparse.Namespace, handler: ClientHandler) -> int:
    import asyncio

    opened = open_session(args)
    if isinstance(opened, int):
        return opened
    root, _, paths = opened
    try:
        return asyncio.run(_attached(args, root, paths, handler))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def daemon_command(args: argparse.Namespace) -> int:
    from agentdeck.server.daemon import run_daemon

    opened = open_session(args)
    if isinstance(opened, int):
        return opened
    return run_daemon(*opened)


async def _attached(args: argparse.Namespace, root: Path, paths: SessionPaths, handler: ClientHandler) -> int:
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
        return await handler(args, client)
    except CommandError as exc:
        error(str(exc))
        return EXIT_USAGE if exc.code == "usage" else EXIT_FAILED
    finally:
        await client.close()


async def _status(args: argparse.Namespace, client: SessionClient) -> int:
    from agentdeck.api import GetStatus

    status = await client.execute(GetStatus())
    print(status.model_dump_json() if args.json else render_status(status))
    return EXIT_OK


async def _steer(args: argparse.Namespace, client: SessionClient) -> int:
    from agentdeck.api import Steer

    await client.execute(Steer(agent_id=args.id, text=" ".join(args.text)))
    print(f"steered {args.id}")
    return EXIT_OK


# What each verb of one task id prints once it is done.
_DONE = {
    "interrupt": "interrupted",
    "cancel": "cancelling",
    "resume": "resuming",
    "promote": "promoted",
    "demote": "demoted",
}


async def _task_verb(args: argparse.Namespace, client: SessionClient) -> int:
    """interrupt, cancel, resume, promote, demote: one task id, one verb."""
    from agentdeck.api import Cancel, Demote, Interrupt, Promote, Resume
    from agentdeck.replies import TaskReply

    commands = {
        "interrupt": Interrupt,
        "cancel": Cancel,
        "resume": Resume,
        "promote": Promote,
        "demote": Demote,
    }
    reply = await client.execute(commands[args.command](agent_id=args.id))
    state = reply.state if isinstance(reply, TaskReply) else None  # when the command changed it
    print(f"{_DONE[args.command]} {args.id}" + (f" ({state})" if state else ""))
    return EXIT_OK


async def _stop(args: argparse.Namespace, client: SessionClient) -> int:
    from agentdeck.api import Stop

    pid = client.welcome.get("pid")
    await client.execute(Stop())
    await client.wait_closed(timeout=60)
    print(f"stopped the session daemon (pid {pid}); agents checkpointed their work")
    return EXIT_OK


def _age(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def render_table(tasks: list[TaskStatus]) -> str:
    from agentdeck.commands.gc import disk_cell

    header = ("ID", "TASK", "ROLE", "FG/BG", "STATE", "STEPS", "CTX", "COST", "DISK", "AGE", "NOTE")
    rows: list[tuple[str, ...]] = [header]
    for t in tasks:
        note = t.waiting_reason or (t.reason if t.state != TaskState.RUNNING else "") or ""
        if t.after_id and t.state == TaskState.QUEUED and not note:
            note = f"after {t.after_id}"
        ctx = f"{t.context_fraction:.0%}" if t.context_fraction is not None else "-"
        rows.append(
            (
                t.id,
                one_line(t.task, 32),
                t.role or "executor",
                "fg" if t.foreground else "bg",
                t.state,
                str(t.steps),
                ctx,
                f"${t.cost_usd:.2f}",
                disk_cell(t),
                _age(t.age_s),
                one_line(note, 70),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1] for row in rows
    ).rstrip()


def render_status(status: Status) -> str:
    tasks = status.tasks
    fg = sum(1 for t in tasks if t.foreground and t.state.is_active)
    bg = sum(1 for t in tasks if not t.foreground and t.state.is_active)
    lines = [
        f"session daemon pid {status.pid} · foreground {fg}/{status.foreground_slots} · "
        f"background {bg}/{status.background_concurrency} · {len(tasks)} task{'s' if len(tasks) != 1 else ''}"
    ]
    if status.budget_reached:
        lines.append(f"no new background task starts: {status.budget_reached}")
    if status.store_full:
        lines.append(f"nothing new is written: {status.store_full}")
    from agentdeck.commands.gc import disk_line

    disk = disk_line(status.disk)
    if disk:
        lines.append(disk)
    lines += grouped_tables(tasks, status.sprints)
    if status.sandbox:
        # Last, where the eye lands when the command returns.
        lines.append(sandbox_line(status.sandbox))
    return "\n".join(lines)


def grouped_tables(tasks: list[TaskStatus], sprints: list[SprintSummary]) -> list[str]:
    """The task table, a sprint's tasks grouped under its id (the ROLE column names each one's part) after the others."""
    if not tasks:
        return ["no tasks yet: agentdeck queue add TASK"]
    alone = [t for t in tasks if not t.sprint_id]
    lines = [render_table(alone)] if alone else []
    for sprint in sprints:
        members = [t for t in tasks if t.sprint_id == sprint.sprint_id]
        if not members:
            continue
        lines += ["", f"sprint {sprint.sprint_id} · {sprint.state} · {one_line(sprint.feature, 60)}"]
        lines.append(render_table(members))
    return lines


def sandbox_line(label: str) -> str:
    """'commands: sandbox: bwrap, network off', or a warning that agents' commands run as you."""
    if label.startswith("unconfined"):
        return f"warning: agents' commands run UNCONFINED, as you, with your files and network ({label}); see docs/sandbox.md"
    return f"commands: {label}"
