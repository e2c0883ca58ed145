"""Sprint benchmark: a 4-role sprint (core, then cli, tests and docs side by side) vs the same tasks one at a time.

Run on demand:  python -m tests.benchmarks.bench_sprint [--pace 60] [--rounds 3]

Both runs are the same sprint, on the demo model at `--pace` tokens a second (so an agent's turn
takes time, as a real model's does), in an in-process session with real git and SQLite, tests and
the demo judge on. Only the background concurrency differs: 4 (the sprint's parallelism) vs 1
(one task after another). Wall time runs from StartSprint to the integrated result being verified.
The orchestrator's overhead is the time spent in plan validation, the contracts commit, queueing,
the scheduler's decisions and the integration's git work (the model calls excluded), per task,
measured with the demo model at full speed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from agentdeck.api import PlanSprint, StartSprint
from agentdeck.config import load_settings
from agentdeck.events import TaskStateChanged
from agentdeck.runtime import session as session_module
from agentdeck.runtime import sprint_runs
from agentdeck.runtime.session import Session
from agentdeck.runtime.store import Store
from agentdeck.sprints import integration
from tests.support.git_repos import make_repo

FEATURE = "Add an export to CSV with tests and docs"


async def one_sprint(pace: float, concurrency: int, verify: bool = True) -> tuple[float, int]:
    repo = make_repo(Path(tempfile.mkdtemp(prefix="bench-sprint-")) / "repo")
    settings = load_settings(repo)
    settings.demo.tokens_per_second = pace
    settings.session.background_concurrency = concurrency
    settings.review.verify = verify
    session = Session(repo, settings, Store(repo / ".git" / "agentdeck" / "session.db"))
    await session.start()
    planned = await session.execute(PlanSprint(feature=FEATURE, model="demo"))
    started_at = time.perf_counter()
    started = await session.execute(StartSprint(plan=planned.plan, model="demo"))
    sprint_id = started.sprint_id
    async for event in session.subscribe(0):
        if (
            isinstance(event, TaskStateChanged)
            and event.task_id == sprint_id
            and event.state in ("finished", "failed")
        ):
            assert event.state == "finished", event.reason
            break
    wall = time.perf_counter() - started_at
    tasks = len(session.store.tasks())
    await session.shutdown()
    return wall, tasks


class Stopwatch:
    """Total time spent inside the wrapped functions (sync or async)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.calls = 0

    def wrap(self, module, name: str) -> None:
        original = getattr(module, name)
        watch = self

        if asyncio.iscoroutinefunction(original):

            async def timed(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    watch.total += time.perf_counter() - started
                    watch.calls += 1
        else:

            def timed(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    watch.total += time.perf_counter() - started
                    watch.calls += 1

        setattr(module, name, timed)


async def overhead() -> tuple[float, int]:
    watch = Stopwatch()
    watch.wrap(sprint_runs, "validate_plan")
    watch.wrap(sprint_runs, "commit_contracts")
    watch.wrap(sprint_runs.Sprints, "_add")
    watch.wrap(session_module, "decide")  # the session's own binding of the scheduler's decide
    watch.wrap(sprint_runs, "integrate")  # its resolver call is the instant demo model
    watch.wrap(integration, "move_worktree")
    _, tasks = await one_sprint(0, 4)
    return watch.total, tasks


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pace", type=float, default=60.0, help="demo model tokens a second (default 60)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"4-role sprint, 2 levels, demo at {args.pace:g} tok/s, median of {args.rounds}:")
    for verify in (True, False):
        parallel, serial = [], []
        for _ in range(args.rounds):  # alternate, so drift on a shared machine hits both
            parallel.append(asyncio.run(one_sprint(args.pace, 4, verify))[0])
            serial.append(asyncio.run(one_sprint(args.pace, 1, verify))[0])
        p, s = statistics.median(parallel), statistics.median(serial)
        label = "tests + judge after each task" if verify else "no verification (agents only)"
        print(f"  {label}: parallel {p:.2f} s, serial {s:.2f} s, ratio {p / s:.2f}x")
    total, tasks = asyncio.run(overhead())
    print(
        f"orchestrator overhead: {total * 1000:.1f} ms over {tasks} tasks = {total * 1000 / tasks:.1f} ms per task"
    )


if __name__ == "__main__":
    main()
