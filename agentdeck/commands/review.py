"""The morning review from the command line: review, merge, reject, retry, cleanup, pr."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from agentdeck.commands.exit_status import EXIT_FAILED, EXIT_OK, EXIT_USAGE, error
from agentdeck.commands.session import attached, open_session, sandbox_line, session_command, session_parser
from agentdeck.task_state import TaskState
from agentdeck.text import one_line

if TYPE_CHECKING:
    from agentdeck.runtime.session_api import SessionAPI

MAX_UNMERGED_SHOWN = 10


def register(commands) -> None:
    """review, merge, reject, retry, cleanup, pr: deciding about finished results (docs/review.md)."""
    review = session_parser(
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
    merge = session_parser(
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
    reject = session_parser(
        commands,
        "reject",
        "turn a result down (its branch stays until cleanup)",
        "Reject task ID's result. Its branch and worktree stay until `agentdeck cleanup`.",
        '  agentdeck reject add-type-hints-1a2b "wrong approach"',
    )
    reject.add_argument("id", metavar="ID")
    reject.add_argument("reason", nargs="*", metavar="REASON", help="why, for the log")
    retry = session_parser(
        commands,
        "retry",
        "send a result back to its agent, on the same branch, with your feedback",
        "Queue task ID again on its own branch and worktree; --feedback goes into the agent's context.",
        '  agentdeck retry add-type-hints-1a2b --feedback "use typing.Protocol, and add a test"',
    )
    retry.add_argument("id", metavar="ID")
    retry.add_argument("--feedback", nargs="+", metavar="TEXT", help="what to change")
    cleanup = session_parser(
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
    pr = session_parser(
        commands,
        "pr",
        "push a result's branch and open a pull request with gh",
        "Push task ID's branch to the remote and open a pull request with the GitHub CLI `gh`.",
        "  agentdeck pr add-type-hints-1a2b",
    )
    pr.add_argument("id", metavar="ID")
    review.set_defaults(func=review_command)
    for parser in (merge, reject, retry, cleanup, pr):
        parser.set_defaults(func=attached(run_review_command))


def review_command(args: argparse.Namespace) -> int:
    """In a terminal, the review screen; for scripts, --plain, --json or one ID, the list or the result."""
    if args.id or args.json or args.plain or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return session_command(args, run_review_command)
    from agentdeck.cockpit_settings import CockpitSettings
    from agentdeck.commands.cockpit import run_app

    opened = open_session(args)
    if isinstance(opened, int):
        return opened
    root, settings, _ = opened
    return run_app(root, CockpitSettings.from_settings(settings), start_on="review")[0]


async def run_review_command(args: argparse.Namespace, client: SessionAPI) -> int:
    from agentdeck.api import CreatePullRequest, Reject, Retry

    command = args.command
    if command == "review":
        return await _review(args, client)
    if command == "merge":
        return await _merge(args, client)
    if command == "reject":
        reply = await client.execute(Reject(agent_id=args.id, reason=" ".join(args.reason or [])))
        print(
            f"rejected {reply.task_id}; its branch agentdeck/{reply.task_id} is kept until `agentdeck cleanup`"
        )
        return EXIT_OK
    if command == "retry":
        feedback = " ".join(args.feedback).strip() if args.feedback else None
        if args.feedback is not None and not feedback:
            error("the feedback is empty: say what the agent should change, or leave --feedback out")
            return EXIT_USAGE
        reply = await client.execute(Retry(agent_id=args.id, feedback=feedback))
        how = "with your feedback in its context" if feedback else "to go over its work again"
        print(f"sent {reply.task_id} back to its agent on the same branch, {how} ({reply.state})")
        return EXIT_OK
    if command == "cleanup":
        return await _cleanup(args, client)
    if command == "pr":
        reply = await client.execute(CreatePullRequest(agent_id=args.id))
        print(reply.url)
        return EXIT_OK
    error(f"unknown command {command!r}")
    return EXIT_USAGE


async def _review(args: argparse.Namespace, client: SessionAPI) -> int:
    from agentdeck.api import GetResult, GetReview

    if args.id:
        details = await client.execute(GetResult(agent_id=args.id))
        if args.json:
            print(details.model_dump_json())
        else:
            print(render_details(details, diff=not args.no_diff))
        return EXIT_OK
    listing = await client.execute(GetReview())
    if args.json:
        print(listing.model_dump_json())
        return EXIT_OK
    print(render_review(listing))
    return EXIT_OK


def render_review(listing) -> str:
    lines = []
    rows = [("ID", "STATE", "VERDICT", "TESTS", "SIZE", "FLAGS", "TASK")]
    attempts = {}  # row number -> the group item whose attempts follow that row
    for item in listing.results:
        verdict = (item.verdict or "-").replace("_", " ")
        size = (
            f"{item.files_changed}f +{item.insertions} −{item.deletions}"
            if item.state != TaskState.VERIFYING
            else "-"
        )
        rows.append(
            (
                item.task_id,
                item.decision or item.state,
                verdict,
                (item.tests or "-").replace("_", " "),
                size,
                ", ".join(item.flags) or "-",
                (f"best of {len(item.attempts)}: " if item.attempts else "") + one_line(item.task, 50),
            )
        )
        if item.attempts:
            attempts[len(rows) - 1] = item
    if len(rows) > 1:
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for number, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1])
            if number in attempts:
                lines += render_attempts(attempts[number], indent="    ")
    else:
        lines.append("no results yet: agents' finished work shows up here")
    lines += ["", listing.summary.line()]
    if any(item.needs_decision for item in listing.results):
        lines += [
            "",
            "decide: agentdeck merge ID [ID ...] · agentdeck reject ID · agentdeck retry ID --feedback TEXT · agentdeck review ID (diff, findings)",
        ]
        if any(item.attempts and item.needs_decision for item in listing.results):
            lines.append(
                "best of N: `agentdeck merge ID` of one attempt rejects the other attempts of its group"
            )
    return "\n".join(lines)


def render_attempts(item, indent: str = "  ") -> list[str]:
    """A best-of-N group's attempts, the judge's pick first, each with its place, tests, size and reason."""
    lines = []
    for entry in item.attempts:
        place = f"{entry.rank}." if entry.rank else "-"
        pick = " (judge's pick)" if entry.rank == 1 and not item.ranking_note else ""
        state = entry.decision or entry.state
        tests = (entry.tests or "-").replace("_", " ")
        lines.append(
            f"{indent}{place} {entry.task_id}{pick} · {entry.model or 'executor.model'} · {state} · tests {tests}"
            f" · +{entry.insertions} −{entry.deletions}" + (f" — {entry.reason}" if entry.reason else "")
        )
    if item.ranking_note:
        lines.append(f"{indent}{item.ranking_note}")
    if item.ranking_warning:
        lines.append(f"{indent}warning: {item.ranking_warning}")
    return lines


def render_details(details, *, diff: bool = True) -> str:
    item = details.item
    lines = [
        f"{item.task_id} · {item.decision or item.state} · {details.branch or 'no branch'}",
        f"task: {details.task.strip()}",
    ]
    if details.group is not None:
        lines += ["", f"attempt {item.task_id} of group {details.group.attempt_group}:"]
        lines += render_attempts(details.group)
    if details.plan:
        lines += ["", "plan:", *[f"  {line}" for line in details.plan.strip().splitlines()]]
    if details.summary:
        lines += ["", f"agent's summary: {details.summary.strip()}"]
    if details.sprint:
        from agentdeck.commands.sprint import sprint_parts

        lines += ["", f"sprint {details.sprint.sprint_id}: {details.sprint.feature}"]
        lines += sprint_parts(details.sprint)
    verdict = details.verdict
    if verdict:
        lines += [
            "",
            f"judge ({verdict.model or '?'}): {verdict.kind.replace('_', ' ')} — {verdict.summary or verdict.reason}",
        ]
        if verdict.same_family_warning:
            lines.append(f"  warning: {verdict.same_family_warning}")
        for finding in verdict.findings:
            where = (
                f"{finding.file}:{finding.line}"
                if finding.file and finding.line
                else (finding.file or "general")
            )
            lines.append(f"  [{finding.severity}] {where}: {finding.message}")
    if details.tests:
        lines += ["", f"tests: {details.tests.status.replace('_', ' ')} — {details.tests.message}"]
        if details.tests.status in ("failed", "timeout", "error") and details.tests.output_tail:
            lines += [f"  {line}" for line in details.tests.output_tail.splitlines()[-15:]]
    for check in details.checks:
        if not check.ok:
            lines.append(f"check {check.name}: {check.message}")
    for entry in details.feedback:
        lines.append(f"feedback: {entry.text}")
    stats = details.stats
    lines += [
        "",
        f"{stats.files_changed} file{'s' if stats.files_changed != 1 else ''}, +{stats.insertions} −{stats.deletions}",
    ]
    lines += [f"  {f.status:<9} {f.path} +{f.insertions} −{f.deletions}" for f in details.files]
    if details.worktree:
        lines.append(f"worktree: {details.worktree}")
    if details.sandbox:
        lines.append(sandbox_line(details.sandbox))
    if diff:
        if details.diff_unavailable:
            lines += ["", details.diff_unavailable]
        elif details.diff:
            lines += ["", details.diff.rstrip("\n")]
            if details.diff_cut:
                lines.append(
                    f"[diff cut at {len(details.diff):,} of {details.diff_total_chars:,} characters: see `git diff` in the worktree]"
                )
    return "\n".join(lines)


async def _merge(args: argparse.Namespace, client: SessionAPI) -> int:
    from agentdeck.api import Merge

    report = await client.execute(Merge(task_ids=list(args.ids)))
    if args.json:
        print(report.model_dump_json())
        return EXIT_OK if report.merged else EXIT_FAILED
    if report.merged:
        for step in report.steps:
            print(f"merged {step.task_id} into {report.target} ({step.method})")
        if report.tests:
            print(f"tests on the combined result: {report.tests.message}")
        where = f"; your checkout {report.checkout} was updated" if report.checkout else ""
        print(f"{report.target} is now at {(report.commit or '')[:10]}{where}")
        if report.rejected:
            print(
                f"rejected the other attempts of its group: {', '.join(report.rejected)} (branches kept until cleanup)"
            )
        return EXIT_OK
    print(report.reason, file=sys.stderr)  # says why, ending "nothing was merged"
    for conflict in report.conflicts:
        print(
            f"  conflict  {conflict.path} ({conflict.kind}) between {conflict.between[0]} and {conflict.between[1]}",
            file=sys.stderr,
        )
    if report.pair_conflicts:
        print("between the selected tasks, pair by pair:", file=sys.stderr)
        for conflict in report.pair_conflicts:
            print(
                f"  {conflict.between[0]} × {conflict.between[1]}: {conflict.path} ({conflict.kind})",
                file=sys.stderr,
            )
    if report.tests and report.tests.output_tail:
        print("\n".join(f"  {line}" for line in report.tests.output_tail.splitlines()[-15:]), file=sys.stderr)
    return EXIT_FAILED


async def _cleanup(args: argparse.Namespace, client: SessionAPI) -> int:
    from agentdeck.api import Cleanup

    report = await client.execute(Cleanup(force=args.force))
    if args.json:
        print(report.model_dump_json())
        return EXIT_OK
    if not report.results and not report.integration_leftovers:
        print("nothing to clean up: no merged or rejected task has a worktree or branch left")
        return EXIT_OK
    kept_commits = False
    for entry in report.results:
        done = [
            text
            for text, flag in (
                ("worktree removed", entry.worktree_removed),
                ("branch deleted", entry.branch_deleted),
            )
            if flag
        ]
        line = f"{entry.task_id} ({entry.state}): {', '.join(done) or 'nothing removed'}"
        if entry.dropped:
            line += f"; {entry.dropped} unmerged commit{'s' if entry.dropped != 1 else ''} deleted (--force)"
        if entry.kept:
            line += f"; kept: {entry.kept}"
        print(line)
        if entry.unmerged and not entry.branch_deleted:
            kept_commits = True
            for commit in entry.unmerged[:MAX_UNMERGED_SHOWN]:
                print(f"    {commit}")
            if len(entry.unmerged) > MAX_UNMERGED_SHOWN:
                print(f"    … and {len(entry.unmerged) - MAX_UNMERGED_SHOWN} more")
    for leftover in report.integration_leftovers:
        print(f"removed the leftover integration worktree {leftover}")
    if kept_commits:
        print("the commits listed are on no other branch: `agentdeck cleanup --force` deletes them")
    return EXIT_OK
