"""The `run` tool: a shell command in the worktree, with a timeout, an output cap and a sandbox.

The command runs confined by the context's `SandboxPolicy` (bubblewrap, see sandbox.py and
docs/sandbox.md) or, when the policy says unconfined, as the user, and then its output's first
line says so. It also guarantees that the command starts in the worktree, that it and every
process it started are gone when the call ends (normally, on timeout, or on interrupt), that
memory stays bounded whatever it prints, and that the model sees a bounded output.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from agentdeck.agent.tools.base import Tool, ToolArgs, ToolContext, ToolResult
from agentdeck.agent.tools.cgroups import make_pids_cgroup, remove_cgroup
from agentdeck.agent.tools.limits import explain_failure
from agentdeck.agent.tools.sandbox import (
    SANDBOX_OBJECTS,
    SandboxPolicy,
    confine,
    limit_setter,
    worktree_git_dirs,
)
from agentdeck.agent.tools.sandbox_objects import import_sandbox_objects

# How long a killed command's process group gets to exit after SIGTERM before SIGKILL.
KILL_GRACE_S = 2.0
# How long to wait for the output pipe to close once the command's process group is gone.
DRAIN_S = 2.0
# Variables that would point git at another repository than the worktree: inherited from a
# git hook or a user's shell, they would let the agent's `git commit` land in the user's tree.
GIT_LOCATION_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)


class RunArgs(ToolArgs):
    command: str = Field(description="Shell command, run with /bin/sh in the worktree root.")
    timeout_seconds: float | None = Field(
        default=None, gt=0, description="Stop the command after this long; default: the configured limit."
    )


class CappedOutput:
    """Keeps the head and the tail of a stream, so a command printing gigabytes costs kilobytes."""

    def __init__(self, cap: int) -> None:
        self.head_cap = cap * 2 // 3
        self.tail_cap = cap - self.head_cap
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.omitted = 0

    def feed(self, data: bytes) -> None:
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        self.tail.append(data)
        self.tail_size += len(data)
        while self.tail_size - len(self.tail[0]) >= self.tail_cap:
            dropped = self.tail.popleft()
            self.tail_size -= len(dropped)
            self.omitted += len(dropped)

    def text(self) -> str:
        tail = b"".join(self.tail)
        if len(tail) > self.tail_cap:
            self.omitted += len(tail) - self.tail_cap
            tail = tail[-self.tail_cap :]
        head = self.head.decode("utf-8", "replace")
        if not self.omitted:
            return head + tail.decode("utf-8", "replace")
        return f"{head}\n[... {self.omitted} bytes omitted ...]\n{tail.decode('utf-8', 'ignore')}"


async def _collect(stream: asyncio.StreamReader, output: CappedOutput) -> None:
    while chunk := await stream.read(65536):
        output.feed(chunk)


def _kill_group(process: asyncio.subprocess.Process, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class SandboxInit:
    """The sandbox's pid 1, as bwrap reports it on --info-fd: killing it ends its whole pid namespace.

    Needed because the sandboxed command runs in its own session (bwrap --new-session), out of
    reach of a kill of bwrap's process group; and bwrap killed in the first milliseconds, before
    its child armed --die-with-parent, would leave that child running.
    """

    def __init__(self, read_fd: int) -> None:
        self.pid: int | None = None
        self._fd = read_fd
        self.reported = asyncio.ensure_future(asyncio.to_thread(self._read))

    def _read(self) -> None:
        data = b""
        try:
            while chunk := os.read(self._fd, 4096):  # bwrap closes it right after writing
                data += chunk
        finally:
            os.close(self._fd)
        try:
            self.pid = int(json.loads(data)["child-pid"])
        except (ValueError, KeyError, TypeError):
            pass  # bwrap failed before starting anything

    async def kill(self) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self.reported), DRAIN_S)
        except TimeoutError:
            return
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


async def _terminate(process: asyncio.subprocess.Process, init: SandboxInit | None = None) -> None:
    if init is not None:
        await init.kill()
    _kill_group(process, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), KILL_GRACE_S)
    except TimeoutError:
        pass
    finally:
        # Also when this cleanup is itself cancelled (a second Ctrl-C): nothing survives.
        _kill_group(process, signal.SIGKILL)
    await process.wait()


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in GIT_LOCATION_VARIABLES}


@dataclass
class ShellRun:
    """How a shell command ended: its exit code (None when killed on timeout) and capped output."""

    exit_code: int | None
    timed_out: bool
    output: str
    elapsed_s: float


async def run_shell(
    command: str, cwd: Path, timeout_s: float, output_cap_bytes: int, policy: SandboxPolicy | None = None
) -> ShellRun:
    """Run `command` with /bin/sh in `cwd` under `policy`; it and its process group are gone when this returns."""
    started = time.monotonic()
    policy = policy or SandboxPolicy()
    pids = make_pids_cgroup(policy.max_processes) if policy.max_processes is not None else None
    try:
        return await _run_shell(command, cwd, timeout_s, output_cap_bytes, policy, pids, started)
    finally:
        if pids is not None:
            # Killed processes leave the cgroup a moment after the kill: a bounded wait, then give up.
            for _ in range(50):
                if remove_cgroup(pids):
                    break
                await asyncio.sleep(0.01)


async def _run_shell(
    command: str,
    cwd: Path,
    timeout_s: float,
    output_cap_bytes: int,
    policy: SandboxPolicy,
    pids: Path | None,
    started: float,
) -> ShellRun:
    read_fd, write_fd = os.pipe() if policy.confined else (None, None)
    argv, env = confine(command, policy, cwd, _environment(), info_fd=write_fd)
    creating = asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            pass_fds=(write_fd,) if write_fd is not None else (),
            preexec_fn=limit_setter(policy, pids),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # Its own process group, so that its children can be found and killed too.
            start_new_session=True,
        )
    )
    init: SandboxInit | None = None
    try:
        try:
            process = await asyncio.shield(creating)
        finally:
            if write_fd is not None and read_fd is not None:
                os.close(write_fd)  # bwrap has its copy; EOF on read_fd once bwrap closes it
                init = SandboxInit(read_fd)
    except asyncio.CancelledError:
        # Interrupted while starting: the process may already exist (bwrap takes a few ms to
        # set up), so finish starting it only to kill it; it must not outlive the step.
        process = await creating
        await asyncio.shield(_terminate(process, init))
        raise
    output = CappedOutput(output_cap_bytes)
    assert process.stdout is not None  # started with stdout=PIPE
    reader = asyncio.create_task(_collect(process.stdout, output))
    timed_out = False
    try:
        await asyncio.wait_for(process.wait(), timeout_s)
    except TimeoutError:
        timed_out = True
        await _terminate(process, init)
    except asyncio.CancelledError:
        # Interrupted: the command must not outlive the step that started it.
        reader.cancel()
        await asyncio.shield(_terminate(process, init))
        raise
    # Background jobs it left behind (servers, `sleep &`) go with it.
    _kill_group(process, signal.SIGKILL)
    try:
        await asyncio.wait_for(reader, DRAIN_S)
    except TimeoutError:
        pass  # a process that left the group still holds the pipe: stop reading
    return ShellRun(
        exit_code=None if timed_out else process.returncode,
        timed_out=timed_out,
        output=output.text(),
        elapsed_s=time.monotonic() - started,
    )


async def run_command(ctx: ToolContext, args: RunArgs) -> ToolResult:
    timeout = min(args.timeout_seconds or ctx.run_timeout_s, ctx.run_timeout_s)
    policy = ctx.sandbox
    # Unconfined is never silent: the model (and whoever reads the transcript) sees it first.
    banner = "" if policy.confined else f"[{policy.label()}]\n"
    try:
        run = await run_shell(args.command, ctx.worktree, timeout, ctx.output_cap_bytes, policy)
    finally:
        if policy.confined:
            await asyncio.to_thread(_import_objects, ctx.worktree)
    if run.timed_out:
        return ToolResult(
            f"{banner}command timed out after {timeout:g} s and was killed: {args.command}\n{run.output}".rstrip(),
            ok=False,
            may_change_files=True,
        )
    status = f"exit code {run.exit_code} after {run.elapsed_s:.1f} s"
    text = f"{banner}{status}\n{run.output or '(no output)'}"
    if run.exit_code != 0:
        if why := explain_failure(run.output, run.exit_code, policy):
            text += f"\n[{why}]"
    return ToolResult(text, ok=run.exit_code == 0, may_change_files=True)


def _import_objects(worktree: Path) -> None:
    git = worktree_git_dirs(worktree)
    if git is not None and (git.admin / SANDBOX_OBJECTS).is_dir():
        import_sandbox_objects(git.admin / SANDBOX_OBJECTS, worktree)


class FinishArgs(ToolArgs):
    summary: str = Field(description="What was done and how it was checked, for the person reviewing it.")


async def finish(ctx: ToolContext, args: FinishArgs) -> ToolResult:
    return ToolResult("finished", finish_summary=args.summary)


SHELL_TOOLS = (
    Tool(
        "run",
        "Run a shell command in the worktree (tests, builds, git log...). Output is capped.",
        RunArgs,
        run_command,
    ),
    Tool(
        "finish",
        "Call when the task is done: give a short summary of what changed and how it was checked.",
        FinishArgs,
        finish,
    ),
)
