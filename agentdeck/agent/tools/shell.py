"""The `run` tool: a shell command in the worktree, with a timeout and an output cap.

It is not a sandbox: the command runs as the user. What it guarantees is that the command
starts in the worktree, that it is killed (with its children) on timeout or interrupt,
and that the model sees a bounded output.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

from pydantic import Field

from agentdeck.agent.tools.base import Tool, ToolArgs, ToolContext, ToolResult, cap_text

# How long a killed command's process group gets to exit after SIGTERM before SIGKILL.
KILL_GRACE_S = 2.0


class RunArgs(ToolArgs):
    command: str = Field(description="Shell command, run with /bin/sh in the worktree root.")
    timeout_seconds: float | None = Field(
        None, gt=0, description="Stop the command after this long; default: the configured limit."
    )


def _kill_group(process: asyncio.subprocess.Process, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


async def _terminate(process: asyncio.subprocess.Process) -> None:
    _kill_group(process, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), KILL_GRACE_S)
    except asyncio.TimeoutError:
        pass
    # Children that outlived the shell (background jobs, servers) go too.
    _kill_group(process, signal.SIGKILL)
    await process.wait()


async def run_command(ctx: ToolContext, args: RunArgs) -> ToolResult:
    timeout = min(args.timeout_seconds or ctx.run_timeout_s, ctx.run_timeout_s)
    started = time.monotonic()
    process = await asyncio.create_subprocess_shell(
        args.command,
        cwd=ctx.worktree,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        # Its own process group, so a timeout or an interrupt kills its children too.
        start_new_session=True,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        await _terminate(process)
        return ToolResult(
            f"command timed out after {timeout:g} s and was killed: {args.command}",
            ok=False,
            may_change_files=True,
        )
    except asyncio.CancelledError:
        # Interrupted: the command must not outlive the step that started it.
        await asyncio.shield(_terminate(process))
        raise
    text = output.decode("utf-8", "replace")
    elapsed = time.monotonic() - started
    status = f"exit code {process.returncode} after {elapsed:.1f} s"
    body = cap_text(text, ctx.output_cap_bytes) if text else "(no output)"
    return ToolResult(f"{status}\n{body}", ok=process.returncode == 0, may_change_files=True)


class FinishArgs(ToolArgs):
    summary: str = Field(description="What was done and how it was checked, for the person reviewing it.")


async def finish(ctx: ToolContext, args: FinishArgs) -> ToolResult:
    return ToolResult("finished", finish_summary=args.summary)


SHELL_TOOLS = (
    Tool("run", "Run a shell command in the worktree (tests, builds, git log...). Output is capped.", RunArgs, run_command),
    Tool("finish", "Call when the task is done: give a short summary of what changed and how it was checked.", FinishArgs, finish),
)
