"""`agentdeck sprint`: plan a feature into role tasks, confirm, start; list, show and drop sprints."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from agentdeck.commands.exit_status import EXIT_FAILED, EXIT_OK, EXIT_USAGE, error, notice
from agentdeck.text import one_line

if TYPE_CHECKING:
    from agentdeck.replies import SprintDetails
    from agentdeck.runtime.session_api import SessionAPI
    from agentdeck.sprints.plan import SprintPlan

SPRINT_EXAMPLES = """\
  agentdeck sprint "Add an export to CSV with tests and docs"
  agentdeck sprint --model demo --yes "Add an export to CSV with tests and docs"
  agentdeck sprint --roles backend,testing,docs --max-agents 3 --dry-run "Add a CSV export"
  agentdeck sprint list · agentdeck sprint show sprint-3f9c · agentdeck sprint drop sprint-3f9c-docs

The planner splits FEATURE into 2..N role tasks with dependencies; the plan is shown and
asked to be confirmed (--yes skips that). Then a contracts step commits the shared interfaces
in .agentdeck/sprints/<id>/CONTRACTS.md on a base branch, every role agent branches from it, and
they run in dependency order. Once all have finished, an integration pass merges their branches
into agentdeck/<sprint id>, resolving conflicts, and the whole is tested and judged: ONE result
in `agentdeck review`; `agentdeck merge <sprint id>` lands it all at once. See docs/sprints.md."""


def register(commands) -> None:
    """sprint: one feature planned into role agents, integrated as one result (docs/sprints.md)."""
    from agentdeck.commands.session import attached, session_parser

    sprint = session_parser(
        commands,
        "sprint",
        "one feature, planned into role agents that run in parallel, integrated as one result",
        "Plan FEATURE into role tasks, write their contracts, run them in dependency order, and integrate\n"
        "them into one tested result. `sprint list`, `sprint show ID` and `sprint drop TASK` manage sprints.",
        SPRINT_EXAMPLES,
    )
    sprint.add_argument("feature", nargs="+", metavar="FEATURE", help="the feature to build (quote it)")
    sprint.add_argument(
        "--roles", metavar="A,B", help="the roles the planner may use, comma-separated (default: its choice)"
    )
    sprint.add_argument(
        "--max-agents", type=int, default=4, metavar="N", help="at most N role tasks (default: 4)"
    )
    sprint.add_argument(
        "--model",
        metavar="M",
        help="model of the planner, the roles and the integrator (default: from config)",
    )
    sprint.add_argument("--dry-run", action="store_true", help="show the plan and start nothing")
    sprint.add_argument("--yes", "-y", action="store_true", help="start without asking to confirm the plan")
    sprint.add_argument("--json", action="store_true", help="print JSON replies instead of tables")
    sprint.set_defaults(func=attached(run_sprint))


async def run_sprint(args: argparse.Namespace, client: SessionAPI) -> int:
    from agentdeck.api import DropSprintTask, GetSprint, ListSprints, PlanSprint, StartSprint

    words = args.feature
    if words == ["list"]:
        listing = await client.execute(ListSprints())
        print(listing.model_dump_json() if args.json else render_list(listing.sprints))
        return EXIT_OK
    if len(words) == 2 and words[0] in ("show", "drop"):
        if words[0] == "show":
            sprint = await client.execute(GetSprint(sprint_id=words[1]))
            print(sprint.model_dump_json() if args.json else render_sprint(sprint))
        else:
            dropped = await client.execute(DropSprintTask(task_id=words[1]))
            print(dropped.model_dump_json() if args.json else f"dropped {words[1]} from {dropped.sprint_id}")
        return EXIT_OK
    feature = " ".join(words).strip()
    if args.max_agents < 2:
        error("--max-agents must be at least 2: a sprint is a team")
        return EXIT_USAGE
    roles = [r.strip() for r in (args.roles or "").split(",") if r.strip()]
    notice("the planner is reading the repository…")
    planned = await client.execute(
        PlanSprint(feature=feature, roles=roles, max_agents=args.max_agents, model=args.model)
    )
    if args.dry_run:
        print(planned.model_dump_json() if args.json else render_plan(planned.plan))
        if not args.json:
            print("\n--dry-run: nothing was started", file=sys.stderr)
        return EXIT_OK
    if not args.json:
        print(render_plan(planned.plan))
    if not args.yes:
        if not sys.stdin.isatty():
            error("not a terminal, so the plan cannot be confirmed: give --yes to start it")
            return EXIT_USAGE
        answer = input("\nStart this sprint? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("not started", file=sys.stderr)
            return EXIT_FAILED
    started = await client.execute(
        StartSprint(
            plan=planned.plan.model_dump(mode="json"),
            roles=roles,
            max_agents=args.max_agents,
            model=args.model,
        )
    )
    if args.json:
        print(started.model_dump_json())
        return EXIT_OK
    sprint_id = started.sprint_id
    print(
        f"\nstarted {sprint_id}: contracts committed on {started.contracts_branch} "
        f"({(started.contracts_commit or '')[:10]}); {len(started.tasks)} role tasks queued in dependency order"
    )
    print(
        f"follow it: agentdeck status · agentdeck sprint show {sprint_id} · then agentdeck review {sprint_id}"
    )
    return EXIT_OK


def render_plan(plan: SprintPlan) -> str:
    rows = [("TASK", "ROLE", "DEPENDS ON", "FILES", "ACCEPTANCE")]
    for task in plan.tasks:
        rows.append(
            (
                task.id,
                task.role,
                ", ".join(task.depends_on) or "-",
                one_line(", ".join(task.files), 40),
                one_line(task.acceptance, 50),
            )
        )
    lines = [f"sprint plan: {plan.feature}" + (f" — {plan.summary}" if plan.summary else "")]
    lines += _table(rows)
    lines.append("")
    lines += [f"{task.id}: {one_line(task.brief, 100)}" for task in plan.tasks]
    if plan.shared:
        lines.append(f"shared files (merged by the integration): {', '.join(plan.shared)}")
    if plan.test_command:
        lines.append(f"tests on the whole: {plan.test_command}")
    return "\n".join(lines)


def render_list(sprints: list[SprintDetails]) -> str:
    if not sprints:
        return 'no sprints yet: agentdeck sprint "FEATURE"'
    rows = [("SPRINT", "STATE", "TASKS", "FEATURE")]
    for sprint in sprints:
        rows.append((sprint.sprint_id, sprint.state, str(len(sprint.tasks)), one_line(sprint.feature, 60)))
    return "\n".join(_table(rows))


def render_sprint(sprint: SprintDetails) -> str:
    lines = [
        f"{sprint.sprint_id} · {sprint.state} · {sprint.feature}",
        f"contracts: {sprint.contracts_path} at {(sprint.contracts_commit or '')[:10]}",
    ]
    if sprint.reason:
        lines.append(sprint.reason)
    lines += [""] + sprint_parts(sprint)
    unresolved = sprint.integration.unresolved
    if unresolved:
        lines += ["", f"unresolved conflict in {unresolved['path']} ({' vs '.join(unresolved['between'])}):"]
        lines.append(f"  integrator: {unresolved['reason']}")
        lines += [f"  {line}" for line in unresolved["hunks"].splitlines()[:80]]
    return "\n".join(lines)


def sprint_parts(sprint: SprintDetails) -> list[str]:
    """Each role's part and the conflicts the integration resolved (also in `agentdeck review ID`)."""
    rows = [("TASK", "ROLE", "STATE", "SIZE", "DEPENDS ON")]
    for task in sprint.tasks:
        stats = task.stats
        size = f"{stats.files_changed}f +{stats.insertions} −{stats.deletions}" if stats else "-"
        rows.append((task.task_id, task.role, task.state, size, ", ".join(task.depends_on) or "-"))
    lines = ["roles:"] + [f"  {line}" for line in _table(rows)]
    resolutions = sprint.integration.resolutions
    if resolutions:
        lines.append("conflicts resolved by the integration agent:")
        lines += [
            f"  {r['path']} ({' vs '.join(r['between'])}) in {r['commit'][:10]}: {r['why']}"
            for r in resolutions
        ]
    return lines


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1] for row in rows
    ]
