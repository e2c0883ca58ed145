"""Session benchmark: 100 background demo tasks at concurrency 50 through a real daemon.

Run on demand:  python -m tests.benchmarks.bench_session [--tasks 100] [--concurrency 50]

Reports the daemon's memory per additional running agent (RSS with N agents alive minus
RSS after a warm-up task, over N), events per second through the daemon to one client
(live during the run, and a full replay), and the time from `queue add` to the task's
AgentStarted event.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from agentdeck.api import Enqueue
from agentdeck.events import AgentStarted, TaskStateChanged
from tests.support.git_repos import make_repo
from tests.support.session import attach, kill_daemon


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def bench(repo: Path, tasks: int, concurrency: int) -> dict:
    client = await attach(repo)
    pid = client.welcome["pid"]
    stream = client.subscribe(0)
    ended: set[str] = set()

    async def until(predicate) -> None:
        async for event in stream:
            if predicate(event):
                return

    t0 = time.perf_counter()
    warm = (await client.execute(Enqueue(task="warm up"))).task_id
    await until(lambda e: isinstance(e, AgentStarted) and e.task_id == warm)
    single_ms = (time.perf_counter() - t0) * 1000
    await until(lambda e: isinstance(e, TaskStateChanged) and e.task_id == warm and e.state == "finished")
    await asyncio.sleep(0.5)
    base = rss_kb(pid)

    sent: dict[str, float] = {}
    first_event: dict[str, float] = {}
    running, peak_rss, peak_running = 0, base, 0
    live_events, live_start = 0, time.perf_counter()
    for n in range(tasks):
        t0 = time.perf_counter()
        task_id = (await client.execute(Enqueue(task=f"take notes {n}"))).task_id
        sent[task_id] = t0
    async for event in stream:
        live_events += 1
        if isinstance(event, AgentStarted) and event.task_id in sent:
            first_event[event.task_id] = time.perf_counter() - sent[event.task_id]
            running += 1
            if running == concurrency:
                peak_rss, peak_running = rss_kb(pid), running
        elif (
            isinstance(event, TaskStateChanged)
            and event.task_id in sent
            and event.state in ("finished", "failed")
        ):
            ended.add(event.task_id)
            running -= 1
            if len(ended) == tasks:
                break
    live_s = time.perf_counter() - live_start
    await client.close()

    replayer = await attach(repo)
    t0 = time.perf_counter()
    replayed = 0
    async for _ in replayer.subscribe(0, follow=False):
        replayed += 1
    replay_s = time.perf_counter() - t0
    await replayer.close()
    # The first `concurrency` tasks find a free slot; the others wait in the queue by design.
    order = list(sent)
    immediate = sorted(first_event[t] for t in order[:concurrency] if t in first_event)
    latencies = sorted(first_event.values())
    return {
        "base_rss_mb": base / 1024,
        "single_ms": single_ms,
        "peak_running": peak_running,
        "per_agent_mb": (peak_rss - base) / 1024 / max(peak_running, 1),
        "live_events_per_s": live_events / live_s,
        "live_events": live_events,
        "replay_events_per_s": replayed / replay_s,
        "replayed": replayed,
        "free_slot_median_ms": statistics.median(immediate) * 1000,
        "free_slot_max_ms": immediate[-1] * 1000,
        "first_event_median_ms": statistics.median(latencies) * 1000,
        "wall_s": live_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--tokens-per-second", type=float, default=40.0, help="demo pace: slow enough that agents overlap"
    )
    args = parser.parse_args()
    os.environ.update(
        {
            "AGENTDECK_DEMO__TOKENS_PER_SECOND": str(args.tokens_per_second),
            "AGENTDECK_SESSION__BACKGROUND_CONCURRENCY": str(args.concurrency),
            "AGENTDECK_PLAN__BACKGROUND": "false",
            "XDG_CONFIG_HOME": tempfile.mkdtemp(),
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "repo")
        try:
            result = asyncio.run(bench(repo, args.tasks, args.concurrency))
        finally:
            kill_daemon(repo)
            subprocess.run(["git", "-C", str(repo), "worktree", "prune"], check=False)
    print(
        f"{args.tasks} background demo tasks, concurrency {args.concurrency}, demo at {args.tokens_per_second} tokens/s"
    )
    print(
        f"queue add → AgentStarted, one task on an idle daemon: {result['single_ms']:.0f} ms (the first task of a fresh daemon)"
    )
    print(f"daemon RSS after warm-up: {result['base_rss_mb']:.1f} MB")
    print(
        f"memory per additional running agent: {result['per_agent_mb']:.2f} MB ({result['peak_running']} running)"
    )
    print(
        f"events to one client, live: {result['live_events_per_s']:.0f}/s ({result['live_events']} events in {result['wall_s']:.1f} s)"
    )
    print(
        f"events to one client, replay: {result['replay_events_per_s']:.0f}/s ({result['replayed']} events)"
    )
    print(
        f"queue add → AgentStarted, slot free: median {result['free_slot_median_ms']:.0f} ms, "
        f"max {result['free_slot_max_ms']:.0f} ms (all {args.concurrency} added back to back)"
    )
    print(
        f"queue add → AgentStarted, all tasks incl. queue wait: median {result['first_event_median_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
