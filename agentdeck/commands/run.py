"""`agentdeck run`: one agent, one task, a new worktree, run to the end in this process."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agentdeck.commands.arg_types import fraction, positive_int
from agentdeck.commands.exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error, notice

if TYPE_CHECKING:
    from agentdeck.config import ModelRole, Settings
    from agentdeck.events import Event

# Environment variables that suggest the user has a hosted model to hand.
_PROVIDER_KEYS = {
    "ANTHROPIC_API_KEY": "anthropic/claude-sonnet-4-5",
    "OPENAI_API_KEY": "openai/gpt-4o",
    "GEMINI_API_KEY": "gemini/gemini-2.5-pro",
}


RUN_EPILOG = """\
examples:
  agentdeck run "add a CONTRIBUTING.md with how to run the tests"
  agentdeck run --model anthropic/claude-sonnet-4-5 "fix the failing test in tests/test_io.py"
  agentdeck run --model openai/qwen2.5-coder --api-base http://127.0.0.1:8080/v1 --json "..."
  agentdeck run --skill test-first-bug-fix "fix the crash on an empty config file"
  agentdeck run --role database "add an index for the slow orders query"

The agent works on a new branch agentdeck/<task-id> in a worktree outside your working
tree; your files, index and uncommitted changes are never touched. Ctrl-C interrupts
the agent and keeps its worktree. Exit status: 0 finished, 1 failed, 2 usage or
configuration error, 130 interrupted."""


def register(commands) -> None:
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
        "--role",
        metavar="NAME",
        help="run as the role [roles.NAME] of agentdeck.toml: its model, prompt and budgets (default: the executor)",
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
        type=positive_int,
        metavar="N",
        help="stop after N LLM turns (default: budgets.max_steps)",
    )
    run.add_argument(
        "--context-window",
        type=positive_int,
        metavar="N",
        help="the model's context window in tokens, for the meter and the split (default: from litellm, or the role's context_window)",
    )
    run.add_argument(
        "--split-threshold",
        type=fraction,
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
    run.set_defaults(func=run_command)


@dataclass
class RunOptions:
    repo: Path
    task: str
    model: str | None = None
    api_base: str | None = None
    json: bool = False
    max_steps: int | None = None
    context_window: int | None = None
    split_threshold: float | None = None
    plan: bool | None = None
    skills: list[str] = field(default_factory=list)
    role: str | None = None


def run_command(args: argparse.Namespace) -> int:
    options = RunOptions(
        repo=Path(args.repo),
        task=" ".join(args.task).strip(),
        model=args.model,
        api_base=args.api_base,
        json=args.json,
        max_steps=args.max_steps,
        context_window=args.context_window,
        split_threshold=args.split_threshold,
        plan=args.plan,
        skills=args.skill,
        role=args.role,
    )
    if not options.task:
        error("the task is empty: say what the agent should do")
        return EXIT_USAGE
    return run_task(options)


def run_task(args: RunOptions) -> int:
    """Run one agent to the end and return the exit status; the whole of `agentdeck run`."""
    import asyncio

    from agentdeck.config import ConfigError, UnknownRole, load_settings
    from agentdeck.workspace import WorkspaceError, open_repository, repository_root, user_tree_is_dirty

    task = args.task
    try:
        repo = open_repository(args.repo)
        settings = load_settings(repository_root(repo))
    except (WorkspaceError, ConfigError) as exc:
        error(str(exc))
        return EXIT_USAGE
    try:
        role = _role_with_overrides(settings, args)
    except UnknownRole as exc:
        error(str(exc))
        return EXIT_USAGE
    if role.model == "demo":
        notice(_demo_notice(explicit=args.model == "demo"))
    else:
        from agentdeck.llm.litellm_client import missing_credentials

        missing = missing_credentials(role.model or "", role.api_base)
        if missing:
            error(
                f"model {role.model} needs {' and '.join(missing)}: set it in the environment, "
                "or choose another model with --model (or --model demo to try agentdeck offline)"
            )
            return EXIT_USAGE
    if user_tree_is_dirty(repo):
        head = str(repo.head.target)[:10]
        notice(
            f"your working tree has uncommitted changes; the agent starts from HEAD ({head}) and will not see them"
        )
    return asyncio.run(_run(repo, settings, role, task, args))


def _role_with_overrides(settings: Settings, args: RunOptions) -> ModelRole:
    role = (settings.task_role(args.role) if args.role else settings.role("executor")).with_model(args.model)
    if args.api_base:
        role = role.model_copy(update={"api_base": args.api_base})
    if args.context_window:
        role = role.model_copy(update={"context_window": args.context_window})
    return role


def _demo_notice(explicit: bool) -> str:
    if explicit:
        return "running the offline demo model (scripted steps, no API key)"
    keys = [name for name in _PROVIDER_KEYS if os.environ.get(name)]
    hint = f"; {keys[0]} is set, so try --model {_PROVIDER_KEYS[keys[0]]}" if keys else ""
    return (
        "running the offline demo model (scripted steps, no API key): no model is configured. "
        f"Pass --model or set executor.model in agentdeck.toml{hint}"
    )


async def _run(repo, settings: Settings, role: ModelRole, task: str, args: RunOptions) -> int:
    import asyncio
    import signal

    from agentdeck.events import AgentWaiting
    from agentdeck.progress import ProgressPrinter
    from agentdeck.runtime.bus import EventBus
    from agentdeck.runtime.task_start import start_task
    from agentdeck.skills import UnknownSkill
    from agentdeck.workspace import WorkspaceError

    bus = EventBus()
    printer = ProgressPrinter()
    bus.subscribe(_print_json if args.json else printer)
    try:
        started = await start_task(
            repo,
            settings,
            task,
            bus,
            role=role,
            role_name=args.role,
            max_steps=args.max_steps,
            plan=settings.plan.foreground if args.plan is None else args.plan,
            split_threshold=args.split_threshold,
            skills=args.skills,
        )
    except WorkspaceError as exc:
        error(f"cannot create the task's worktree: {exc}")
        return EXIT_USAGE
    except UnknownSkill as exc:
        error(str(exc))
        return EXIT_USAGE
    agent, workspace = started.agent, started.workspace

    interrupted = False
    waiting_reason: list[str] = []

    def on_event(event: Event) -> None:
        # Nobody can steer a one-shot run, so an agent that waits for a human ends it.
        if isinstance(event, AgentWaiting):
            waiting_reason.append(event.reason)
            agent.stop()

    bus.subscribe(on_event)
    loop = asyncio.get_running_loop()
    run_task = asyncio.create_task(agent.run())

    def on_sigint() -> None:
        nonlocal interrupted
        if interrupted:  # a second Ctrl-C: stop waiting for a clean end
            run_task.cancel()
            return
        interrupted = True
        notice("interrupting the agent (Ctrl-C again to quit at once)")
        agent.stop()

    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        result = await run_task
    except asyncio.CancelledError:
        result = None
    finally:
        loop.remove_signal_handler(signal.SIGINT)

    if result is not None and result.status == "finished":
        return EXIT_OK
    if result is not None and result.status == "failed":
        await _drop_if_empty(repo, workspace)
        return EXIT_FAILED
    where = f"its work is kept on branch {workspace.branch} in {workspace.path}"
    if interrupted or result is None:
        notice(f"interrupted at step {agent.meter.steps}; {where}")
        return EXIT_INTERRUPTED
    reason = waiting_reason[0] if waiting_reason else "the agent stopped"
    notice(f"stopped: {reason}; {where}")
    return EXIT_FAILED


async def _drop_if_empty(repo, workspace) -> None:
    """A failed run that changed nothing leaves no worktree or branch behind to clean up."""
    import asyncio

    from agentdeck.workspace import WorkspaceError, remove_task_workspace

    if await asyncio.to_thread(workspace.head) != workspace.base_commit:
        return
    try:
        await asyncio.to_thread(remove_task_workspace, repo, workspace.task_id, delete_branch=True)
    except WorkspaceError as exc:
        notice(f"could not remove the empty worktree: {exc}")
        return
    notice(f"nothing was changed, so the worktree and branch {workspace.branch} were removed")


def _print_json(event: Event) -> None:
    sys.stdout.write(event.model_dump_json() + "\n")
    sys.stdout.flush()
