"""A pull request for a task's branch: push it to the remote with git, open the PR with `gh`."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.store import TaskRow

TIMEOUT_S = 120.0


def unavailable_reason(repo_root: Path) -> str | None:
    """Why no pull request can be made here (no `gh`, no remote), or None when it can."""
    import pygit2

    if shutil.which("gh") is None:
        return "the GitHub CLI `gh` is not installed: install it (https://cli.github.com) to create pull requests"
    if not list(pygit2.Repository(str(repo_root)).remotes):
        return "the repository has no remote: add one (`git remote add origin URL`) to create pull requests"
    return None


def _remote(repo_root: Path) -> str:
    import pygit2

    names = [remote.name or "" for remote in pygit2.Repository(str(repo_root)).remotes]
    return "origin" if "origin" in names else names[0]


async def _run(argv: list[str], cwd: Path) -> str:
    # The git CLI, not pygit2: pushing needs the user's credential helpers and SSH agent.
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise CommandError(
            f"`{' '.join(argv[:3])}` took longer than {TIMEOUT_S:g} s and was stopped", code="failed"
        ) from None
    if process.returncode != 0:
        detail = " ".join((err or out).decode(errors="replace").split())[:300]
        raise CommandError(f"`{' '.join(argv[:3])}` failed: {detail}", code="failed")
    return out.decode(errors="replace")


def _body(row: TaskRow) -> str:
    lines = [f"Task: {row.task.strip()}", ""]
    if row.summary:
        lines += ["## What the agent did", row.summary.strip(), ""]
    verdict = row.verdict
    if verdict:
        lines += [
            f"## Judge: {verdict.get('kind', '?').replace('_', ' ')} ({verdict.get('model') or '?'})",
            verdict.get("summary") or verdict.get("reason") or "",
            "",
        ]
        for finding in verdict.get("findings") or []:
            where = f"{finding.get('file')}:{finding.get('line')}" if finding.get("file") else "general"
            lines.append(f"- {where}: {finding.get('message')}")
    tests = row.tests
    if tests:
        lines += ["", f"## Tests: {tests.get('status')}", tests.get("message") or ""]
    lines += ["", "Made with agentdeck."]
    return "\n".join(lines)


async def create_pull_request(repo_root: Path, row: TaskRow, base: str) -> str:
    """Push `row`'s branch and open a pull request into `base`; returns the PR's URL."""
    reason = await asyncio.to_thread(unavailable_reason, repo_root)
    if reason:
        raise CommandError(reason, code="failed")
    remote = await asyncio.to_thread(_remote, repo_root)
    await _run(["git", "push", "--set-upstream", remote, f"{row.branch}:{row.branch}"], repo_root)
    title = " ".join(row.task.split())[:100]
    out = await _run(
        [
            "gh",
            "pr",
            "create",
            "--head",
            row.branch or "",
            "--base",
            base,
            "--title",
            title,
            "--body",
            _body(row),
        ],
        repo_root,
    )
    urls = [line.strip() for line in out.splitlines() if line.strip().startswith("http")]
    return urls[-1] if urls else out.strip()
