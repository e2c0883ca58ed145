"""Soak: hostile frames at a real session daemon while a well-behaved client works.

Run from the repository root (on demand; the test suite runs 2,000 frames of it):

    .venv/bin/python -m tests.benchmarks.soak_socket [--frames 10000] [--seed 16]

A real repository in a temp dir, a real daemon on the demo model, the frames of
tests/support/fuzz_frames.py over many connections (tests/support/socket_fuzzer.py judges
each answer), and one good client that follows every event, asks for status ten times a
second and queues a task before, during and after. Prints the figures for
docs/reliability.md; exits 1 when any rule broke (a crash, a traceback in the daemon's
log, a frame without an answer, a wrong reply to the good client).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

from agentdeck.server.launcher import daemon_pid
from tests.support.git_repos import make_repo
from tests.support.good_client import GoodClient, crash_lines
from tests.support.session import kill_daemon, paths_of
from tests.support.socket_fuzzer import SocketFuzzer


async def soak(repo: Path, frames: int, seed: int) -> int:
    paths = paths_of(repo)
    good = await GoodClient.attach(repo)
    await good.enqueue("take notes before the soak")
    before = _process_figures(good.pid)
    good.start_polling()

    async def midway(index: int) -> None:
        if index == frames // 2:
            await good.enqueue("take notes during the soak")

    try:
        report = await SocketFuzzer(paths, seed).run(frames, midway)
    finally:
        await good.stop_polling()
    alive_after_fuzz = daemon_pid(paths) == good.pid
    await good.enqueue("take notes after the soak")
    for task_id in good.tasks:
        await good.wait_ended(task_id, timeout=120)
    good_problems = good.problems + good.stream_problems() + await good.final_status_problems()
    crashes = 0 if alive_after_fuzz and daemon_pid(paths) == good.pid else 1
    logged = crash_lines(paths.log)
    after = _process_figures(good.pid)
    await good.close()

    print(
        f"command: {' '.join([os.path.basename(sys.executable), '-m', 'tests.benchmarks.soak_socket'] + sys.argv[1:])}"
    )
    print(f"seed {seed}")
    print(
        f"frames sent: {report.frames} ({report.lines} request lines) over {report.connections} connections"
    )
    print(
        f"error replies: {report.error_replies}   ok replies: {report.ok_replies} (frames a mutation left valid)"
    )
    print(f"connections closed by the daemon (after an error line): {report.closed_connections}")
    print(f"client hang-ups mid-frame or mid-reply: {report.hangups}")
    print(f"probes (a kept connection still answers after an error): {report.probes}")
    print(f"frames without a correct answer: {len(report.problems)}")
    print(f"daemon crashes: {crashes}   traceback/error lines in daemon.log: {len(logged)}")
    print(
        f"good client: {good.statuses_ok} status replies OK during the fuzz, {len(good.events)} events in order, "
        f"{len(good.tasks)} tasks finished, {len(good_problems)} problems"
    )
    print(
        f"daemon before → after: {before[0]} → {after[0]} open file descriptors, "
        f"{before[1] / 1024:.0f} → {after[1] / 1024:.0f} MB resident"
    )
    print(f"frames per second: {report.frames_per_second:.0f} ({report.seconds:.1f} s)")
    print("by kind: " + ", ".join(f"{kind} {count}" for kind, count in sorted(report.kinds.items())))
    for line in (report.problems + good_problems + logged)[:20]:
        print(f"  ! {line}")
    return 0 if not (report.problems or good_problems or logged or crashes) else 1


def _process_figures(pid: int) -> tuple[int, int]:
    """(open file descriptors, resident kB) of the daemon: connections must not leak."""
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return fds, rss


def main() -> int:
    parser = argparse.ArgumentParser(description="Hostile frames at a real session daemon (the socket soak).")
    parser.add_argument("--frames", type=int, default=10_000, help="how many frames to send (default 10,000)")
    parser.add_argument(
        "--seed", type=int, default=16, help="the generator's seed: the same seed replays the same frames"
    )
    args = parser.parse_args()
    os.environ["AGENTDECK_DEMO__TOKENS_PER_SECOND"] = "0"
    top = Path(tempfile.mkdtemp(prefix="agentdeck-soak-socket-"))
    repo = make_repo(top / "repo")
    try:
        return asyncio.run(soak(repo, args.frames, args.seed))
    finally:
        kill_daemon(repo)
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
