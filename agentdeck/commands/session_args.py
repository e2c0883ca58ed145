"""Argument parsers of the session commands (queue, status, logs, steer, ...). argparse only: --help stays light."""

from __future__ import annotations

import argparse

SESSION_COMMANDS = {
    "queue",
    "status",
    "logs",
    "steer",
    "interrupt",
    "cancel",
    "resume",
    "promote",
    "demote",
    "stop",
    "daemon",
    "review",
    "merge",
    "reject",
    "retry",
    "cleanup",
    "pr",
    "gc",
}

_SESSION_NOTE = """
These commands talk to the repository's session daemon, starting it when none runs
(said on stderr). Agents keep running after the command returns, like tmux; `agentdeck
stop` ends the daemon. Exit status: 0 done, 1 failed, 2 usage error (unknown id,
dependency cycle, not a git repository). See docs/session.md."""


def _priority(text: str) -> int:
    """--priority N: a whole number within the range the session stores (events.PRIORITY_LIMIT)."""
    limit = 1_000_000  # events.PRIORITY_LIMIT; not imported: --help stays light without pydantic
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if abs(value) > limit:
        raise argparse.ArgumentTypeError(
            f"{value} is out of range: a priority is between -{limit:,} and {limit:,}"
        )
    return value


def _attempts(text: str) -> int:
    """--attempts N: 1 (no best-of-N) up to events.MAX_ATTEMPTS."""
    limit = 5  # events.MAX_ATTEMPTS; not imported: --help stays light without pydantic
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= limit:
        raise argparse.ArgumentTypeError(f"{value} attempts: give 2 to {limit} (1 is an ordinary task)")
    return value


def _models(text: str) -> list[str]:
    models = [name.strip() for name in text.split(",")]
    if not all(models):
        raise argparse.ArgumentTypeError(f"an empty model name in {text!r}: give names separated by commas")
    return models


def _repo(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "-C", "--repo", default=".", metavar="PATH", help="the repository (default: the current directory)"
    )
    return parser


def _add(commands, name: str, help: str, description: str, examples: str) -> argparse.ArgumentParser:
    return _repo(
        commands.add_parser(
            name,
            help=help,
            description=description,
            epilog=f"example{'s' if examples.count(chr(10)) else ''}:\n{examples}\n{_SESSION_NOTE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )


def add_session_parsers(commands) -> None:
    queue = commands.add_parser(
        "queue",
        help="queue tasks for background agents, list the queue",
        description="Queue tasks for the session's agents, and list the queue.",
        epilog='examples:\n  agentdeck queue add "write a CONTRIBUTING.md"\n  agentdeck queue list\n'
        + _SESSION_NOTE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = queue.add_subparsers(dest="queue_command", metavar="ACTION")
    add = _add(
        actions,
        "add",
        "queue a task (background unless --foreground)",
        "Queue TASK. It starts when a slot is free, in priority order, after its dependency.",
        '  agentdeck queue add "add type hints to src/io.py"\n'
        '  agentdeck queue add --after add-type-hints-1a2b --priority 5 "document the io module"\n'
        '  agentdeck queue add --skill test-first-bug-fix "fix the crash on an empty config file"\n'
        '  agentdeck queue add --attempts 3 --models anthropic/claude-sonnet-4-5,openai/gpt-5 "fix the parser"',
    )
    add.add_argument("task", nargs="+", metavar="TASK", help="what the agent should do")
    add.add_argument(
        "--after",
        metavar="ID",
        help="start only once task ID is merged (or finished: session.after_waits_for)",
    )
    add.add_argument(
        "--priority", type=_priority, default=0, metavar="N", help="higher starts first (default 0)"
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
        type=_attempts,
        default=1,
        metavar="N",
        help="best-of-N: run the task N times (2-5), each in its own worktree; when all end, the judge "
        "ranks them and `agentdeck review` shows them as one entry (default 1)",
    )
    add.add_argument(
        "--models",
        type=_models,
        metavar="A,B",
        help="with --attempts: spread the attempts over these models, round-robin (other model families "
        "make errors that don't correlate)",
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
    listing = _add(
        actions,
        "list",
        "list queued and running tasks, in start order",
        "List the tasks that have not ended, and why queued ones wait.",
        "  agentdeck queue list --json",
    )
    listing.add_argument("--json", action="store_true", help="print one JSON document (see docs/session.md)")
    edit = _add(
        actions,
        "edit",
        "change a queued task's priority or dependency",
        "Change a queued task's priority or dependency; a dependency cycle is refused.",
        "  agentdeck queue edit document-io-3f9c --after add-type-hints-1a2b\n  agentdeck queue edit document-io-3f9c --after ''",
    )
    edit.add_argument("id", metavar="ID")
    edit.add_argument("--after", metavar="ID", help="the new dependency ('' removes it)")
    edit.add_argument("--priority", type=_priority, metavar="N")

    status = _add(
        commands,
        "status",
        "show every task of the session: state, steps, context, cost",
        "Show every task of the session as a table.",
        "  agentdeck status\n  agentdeck status --json",
    )
    status.add_argument("--json", action="store_true", help="print one JSON document (see docs/session.md)")

    logs = _add(
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

    steer = _add(
        commands,
        "steer",
        "send a message to a running agent",
        "Queue a message for the agent's next turn; wakes a waiting agent.",
        '  agentdeck steer add-type-hints-1a2b "use typing.Protocol, not ABCs"',
    )
    steer.add_argument("id", metavar="ID")
    steer.add_argument("text", nargs="+", metavar="TEXT")
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
        parser = _add(commands, name, help, description, f"  agentdeck {name} add-type-hints-1a2b")
        parser.add_argument("id", metavar="ID")
    add_review_parsers(commands)
    add_gc_parser(commands)
    _add(
        commands,
        "stop",
        "stop the session daemon (agents checkpoint first)",
        "Stop the session daemon: every agent checkpoints, then the daemon exits.",
        "  agentdeck stop",
    )
    _add(
        commands,
        "daemon",
        "(internal) run the session daemon in this process",
        "Run the repository's session daemon in the foreground. Other commands start it on their own.",
        "  agentdeck daemon -C ~/src/project",
    )


def add_review_parsers(commands) -> None:
    """review, merge, reject, retry, cleanup, pr: deciding about finished results (docs/review.md)."""
    review = _add(
        commands,
        "review",
        "decide finished results: the review screen, or the ranked list; or one result in full",
        "In a terminal: the review screen, on the first result that needs a decision (best first: approved\n"
        "with green tests; failures last). m merges, x rejects, f sends it back with feedback, n/p move,\n"
        "space marks several to merge together, e opens the worktree in $EDITOR, g opens a pull request.\n"
        "Otherwise (--plain, or no terminal): every result as a list, and how the session went.\n"
        "With ID: that result in full — task, plan, the judge's verdict and findings, tests, stats, the diff.",
        "  agentdeck review\n  agentdeck review --plain\n  agentdeck review --json\n  agentdeck review add-type-hints-1a2b",
    )
    review.add_argument("id", nargs="?", metavar="ID", help="show this result in full")
    review.add_argument("--json", action="store_true", help="print one JSON document (see docs/review.md)")
    review.add_argument("--no-diff", action="store_true", help="with ID: leave the diff out")
    review.add_argument(
        "--plain", action="store_true", help="print the ranked list instead of opening the review screen"
    )
    merge = _add(
        commands,
        "merge",
        "land results on their base branch (several: an integration pass)",
        "Merge task ID's branch into the branch it started from: fast-forward when possible, else a merge\n"
        "commit. Conflicts are found in memory first and nothing is written; a checked-out base branch with\n"
        "uncommitted changes is refused. Several IDs merge in order, conflicts between them are reported\n"
        "pair by pair, and the test command runs on the combined result before anything lands.",
        "  agentdeck merge add-type-hints-1a2b\n  agentdeck merge add-type-hints-1a2b document-io-3f9c",
    )
    merge.add_argument("ids", nargs="+", metavar="ID")
    merge.add_argument("--json", action="store_true", help="print the merge report as one JSON document")
    reject = _add(
        commands,
        "reject",
        "turn a result down (its branch stays until cleanup)",
        "Reject task ID's result. Its branch and worktree stay until `agentdeck cleanup`.",
        '  agentdeck reject add-type-hints-1a2b "wrong approach"',
    )
    reject.add_argument("id", metavar="ID")
    reject.add_argument("reason", nargs="*", metavar="REASON", help="why, for the log")
    retry = _add(
        commands,
        "retry",
        "send a result back to its agent, on the same branch, with your feedback",
        "Queue task ID again on its own branch and worktree; --feedback goes into the agent's context.",
        '  agentdeck retry add-type-hints-1a2b --feedback "use typing.Protocol, and add a test"',
    )
    retry.add_argument("id", metavar="ID")
    retry.add_argument("--feedback", nargs="+", metavar="TEXT", help="what to change")
    cleanup = _add(
        commands,
        "cleanup",
        "remove worktrees of merged and rejected tasks (unmerged commits only with --force)",
        "Remove the worktrees of merged and rejected tasks, and their branches when every commit is on another\n"
        "branch. Commits on no other branch are listed and kept unless you pass --force.",
        "  agentdeck cleanup\n  agentdeck cleanup --force",
    )
    cleanup.add_argument(
        "--force", action="store_true", help="also delete unmerged commits and uncommitted changes (listed)"
    )
    cleanup.add_argument("--json", action="store_true", help="print the cleanup report as one JSON document")
    pr = _add(
        commands,
        "pr",
        "push a result's branch and open a pull request with gh",
        "Push task ID's branch to the remote and open a pull request with the GitHub CLI `gh`.",
        "  agentdeck pr add-type-hints-1a2b",
    )
    pr.add_argument("id", metavar="ID")


def add_gc_parser(commands) -> None:
    """gc: free the disk of decided tasks' worktrees (docs/session.md, "Disk")."""
    gc = _add(
        commands,
        "gc",
        "free disk: remove worktrees of merged and rejected tasks, oldest first (branches stay)",
        "Remove the worktrees (build output included) of merged and rejected tasks, the ones decided longest\n"
        "ago first, and print the space freed per task and in total. Only worktrees go: every branch and\n"
        "ref (refs/agentdeck/...) stays, so no commit is lost, merged or not. A worktree with uncommitted\n"
        "changes is kept and listed. `cleanup` does the same and also deletes fully merged branches.\n"
        "With session.max_worktree_gb set, the daemon runs gc by itself when the worktrees grow over it.",
        "  agentdeck gc --dry-run\n  agentdeck gc\n  agentdeck gc --json",
    )
    gc.add_argument(
        "--dry-run", action="store_true", help="list what would go and how much it takes; delete nothing"
    )
    gc.add_argument(
        "--json", action="store_true", help="print the gc report as one JSON document (see docs/session.md)"
    )
