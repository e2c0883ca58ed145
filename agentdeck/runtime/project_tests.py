"""The project's test command in a task's worktree: pass/fail, counts when the runner prints them, the output's tail."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from agentdeck.agent.tools.sandbox import SandboxPolicy
from agentdeck.agent.tools.shell import run_shell
from agentdeck.events import TestsResult, TestsStatus
from agentdeck.workspace.residue import changed_paths, discard_new_changes

OUTPUT_CAP_BYTES = 64_000
TAIL_LINES = 60
TAIL_CHARS = 6_000

_PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped)\b")
_PYTEST_SUMMARY = re.compile(r"\b\d+ (passed|failed|errors?)\b.* in [\d.]+s")
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in", re.MULTILINE)
_UNITTEST_END = re.compile(r"^(OK|FAILED)(?: \((.*)\))?\s*$", re.MULTILINE)
_JEST = re.compile(r"^Tests:\s+(.*\d+ total)", re.MULTILINE)
_CARGO = re.compile(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored")


def parse_counts(output: str) -> dict[str, int]:
    """passed/failed/errors/skipped from the summary of pytest, unittest, jest or cargo; {} when none is found."""
    lines = [line for line in output.splitlines() if _PYTEST_SUMMARY.search(line)]
    if lines:
        counts: dict[str, int] = {}
        for number, word in _PYTEST_COUNT.findall(lines[-1]):
            key = "errors" if word.startswith("error") else word
            counts[key] = counts.get(key, 0) + int(number)
        return counts
    ran, end = _UNITTEST_RAN.findall(output), _UNITTEST_END.findall(output)
    if ran and end:
        details = dict(
            (key.strip(), int(value)) for key, value in re.findall(r"(\w+)=(\d+)", end[-1][1] or "")
        )
        failed, errors, skipped = (
            details.get("failures", 0),
            details.get("errors", 0),
            details.get("skipped", 0),
        )
        return {
            "passed": int(ran[-1]) - failed - errors - skipped,
            "failed": failed,
            "errors": errors,
            "skipped": skipped,
        }
    jest = _JEST.findall(output)
    if jest:
        counts = {}
        for number, word in re.findall(r"(\d+) (passed|failed|skipped|todo)", jest[-1]):
            if word != "todo":
                counts[word] = int(number)
        return counts
    cargo = _CARGO.findall(output)
    if cargo:
        return {
            "passed": sum(int(p) for p, _, _ in cargo),
            "failed": sum(int(f) for _, f, _ in cargo),
            "skipped": sum(int(i) for _, _, i in cargo),
        }
    return {}


def tail(text: str) -> str:
    """The last lines of `text`, at most TAIL_LINES lines and TAIL_CHARS characters."""
    lines = text.rstrip("\n").splitlines()[-TAIL_LINES:]
    out = "\n".join(lines)
    return out[-TAIL_CHARS:]


def not_run(status: TestsStatus, message: str, command: str | None = None) -> TestsResult:
    return TestsResult(status=status, command=command, message=message)


async def run_tests(
    command: str | None, worktree: Path, timeout_s: float, policy: SandboxPolicy | None = None
) -> TestsResult:
    """Run `command` in `worktree` under `policy` (the agents' sandbox; None: unconfined);
    anything the run leaves in the worktree is removed afterwards."""
    if not command:
        return not_run("not_configured", "no test command: set test_command in agentdeck.toml")
    if not Path(worktree).is_dir():
        return not_run("error", f"the worktree {worktree} is gone: the tests could not run", command)
    before = await asyncio.to_thread(changed_paths, worktree)
    try:
        run = await run_shell(command, worktree, timeout_s, OUTPUT_CAP_BYTES, policy)
    finally:
        # Also when cancelled: build debris must never be checkpointed into the branch later.
        removed = await asyncio.shield(asyncio.to_thread(discard_new_changes, worktree, before))
    counts = parse_counts(run.output)
    if run.timed_out:
        status, message = "timeout", f"timed out after {timeout_s:g} s and was killed"
    elif run.exit_code == 0 and counts and not any(counts.values()):
        # A runner that found nothing to run exits 0 (unittest before 3.12): nothing was verified.
        status, message = "error", "no tests ran (the runner found 0 tests): check test_command"
    elif run.exit_code == 0:
        status, message = "passed", _describe(counts, "passed") + f" in {run.elapsed_s:.1f} s"
    else:
        status = "failed"
        message = _describe(counts, f"failed (exit code {run.exit_code})") + f" in {run.elapsed_s:.1f} s"
        if run.exit_code == 127:
            message = f"the test command was not found (exit code 127): check test_command ({command})"
    if removed:
        message += f"; removed {len(removed)} file{'s' if len(removed) != 1 else ''} it left in the worktree"
    return TestsResult(
        status=status,  # type: ignore[arg-type]
        command=command,
        exit_code=run.exit_code,
        duration_s=round(run.elapsed_s, 2),
        passed=counts.get("passed"),
        failed=counts.get("failed"),
        errors=counts.get("errors"),
        skipped=counts.get("skipped"),
        message=message,
        output_tail=tail(run.output),
        removed=removed,
    )


def _describe(counts: dict[str, int], fallback: str) -> str:
    parts = [f"{counts[key]} {key}" for key in ("passed", "failed", "errors", "skipped") if counts.get(key)]
    return ", ".join(parts) if parts else fallback
