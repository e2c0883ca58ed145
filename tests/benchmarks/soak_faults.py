"""Soak the fault suite: every fault kind, `--rounds` times, on real daemons; counts what survived and what was lost.

    .venv/bin/python -m tests.benchmarks.soak_faults [--rounds 3] [--only 'full disk'] [--seed 16] [--json]

Each round, in a fresh repository, runs each fault: kill -9 at a checkpoint, at the two
merge points, in a burst of events (at a random event number), a damaged and a locked
session.db, and a full disk (a tmpfs; left out where mount is not permitted). The kill
points are chosen at random within their range each round (`--seed` repeats a run).

After a kill, what was committed is read straight from session.db and git BEFORE the next
daemon starts; then `agentdeck status` starts one, and the counts compare:
- tasks lost: task ids in the store before that status does not list;
- events lost: events with seq up to the last stored one that are missing or changed;
- commits lost: task branch tips and main's tip from before that no branch contains now.
A fault "survived" when nothing was lost and the checks of its kind held (status true,
interrupted agents resumed to the end, a merge whole, a clear error for a bad store).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agentdeck.api import Enqueue
from agentdeck.events import TaskStateChanged
from agentdeck.task_state import TaskState
from tests.support.cli import run_cli
from tests.support.faults import crash_at, one_finished_task, resume_to_the_end, settled, status, store_report
from tests.support.git_repos import git, make_repo
from tests.support.session import attach, collect_until, kill_daemon, paths_of

CMD = [sys.executable, "-m", "agentdeck"]


@dataclass
class Committed:
    """What was durably there when the daemon died."""

    events: list[tuple[int, str]]
    tasks: set[str]
    states: dict[str, str]
    tips: dict[str, str]


@dataclass
class Counts:
    tried: int = 0
    survived: int = 0
    lost_tasks: int = 0
    lost_events: int = 0
    lost_commits: int = 0
    failures: list[str] = field(default_factory=list)


def committed(repo: Path) -> Committed:
    db = sqlite3.connect(str(paths_of(repo).db))
    try:
        events = list(db.execute("SELECT seq, json FROM events ORDER BY seq"))
        states = dict(db.execute("SELECT id, state FROM tasks"))
        tasks = set(states)
    finally:
        db.close()
    refs = git(repo, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads").split("\n")
    tips = dict(line.split() for line in refs if line.strip())
    return Committed(events, tasks, states, tips)


def losses(repo: Path, before: Committed, listed: set[str]) -> tuple[int, int, int]:
    db = sqlite3.connect(str(paths_of(repo).db))
    try:
        now = dict(
            db.execute(
                "SELECT seq, json FROM events WHERE seq <= ?", (before.events[-1][0] if before.events else 0,)
            )
        )
    finally:
        db.close()
    lost_events = sum(1 for seq, text in before.events if now.get(seq) != text)
    lost_tasks = len(before.tasks - listed)
    lost_commits = 0
    for tip in set(before.tips.values()):
        contains = git(repo, "branch", "--contains", tip).strip() if _exists(repo, tip) else ""
        lost_commits += 0 if contains else 1
    return lost_tasks, lost_events, lost_commits


def _exists(repo: Path, sha: str) -> bool:
    return (
        subprocess.run(["git", "-C", str(repo), "cat-file", "-e", sha], capture_output=True).returncode == 0
    )


def after_kill(repo: Path) -> tuple[Committed, dict, tuple[int, int, int]]:
    before = committed(repo)
    now = status(CMD, repo)
    check, seqs = store_report(repo)
    assert check == "ok" and seqs == list(range(1, len(seqs) + 1)), "store inconsistent"
    return before, now, losses(repo, before, {t["id"] for t in now["tasks"]})


def kill_and_resume(repo: Path, fault: str, texts: list[str]) -> tuple[int, int, int]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENTDECK_SESSION__BACKGROUND_CONCURRENCY", "4")
        asyncio.run(crash_at(repo, mp, fault, texts))
        before, now, lost = after_kill(repo)
        # Status tells the truth: every agent that ran when the daemon died shows as interrupted.
        ran = {task_id for task_id, state in before.states.items() if TaskState(state).is_active}
        interrupted = [t["id"] for t in now["tasks"] if t["state"] == "interrupted"]
        assert ran and ran == set(interrupted), f"status lies: ran {sorted(ran)}, interrupted {interrupted}"
        asyncio.run(resume_to_the_end(repo, interrupted))
    return lost


def merge_kill(repo: Path, point: str) -> tuple[int, int, int]:
    task_id = one_finished_task(repo, CMD)
    branch_tip = git(repo, "rev-parse", f"agentdeck/{task_id}").strip()
    merge = run_cli(CMD, "merge", task_id, cwd=repo, env={"AGENTDECK_FAULT": point})
    assert merge.returncode != 0 and "Traceback" not in merge.stderr
    from tests.support.faults import wait_gone

    wait_gone(repo)
    _, now, lost = after_kill(repo)
    row = next(t for t in now["tasks"] if t["id"] == task_id)
    assert row["state"] == "merged", f"merge not finished: {row['state']}"
    git(repo, "merge-base", "--is-ancestor", branch_tip, "main")
    assert git(repo, "status", "--porcelain") == "", "checkout half-merged"
    return lost


def corrupt(repo: Path, rng: random.Random) -> tuple[int, int, int]:
    one_finished_task(repo, CMD)
    db = paths_of(repo).db
    data = db.read_bytes()
    damaged = data[: len(data) // 2] if rng.random() < 0.5 else b"\0junk" * 20 + data[100:]
    db.write_bytes(damaged)
    result = run_cli(CMD, "status", cwd=repo)
    assert result.returncode != 0 and "is damaged" in result.stderr and "Traceback" not in result.stderr
    return 0, (0 if db.read_bytes() == damaged else 1), 0


def locked(repo: Path) -> tuple[int, int, int]:
    task_id = one_finished_task(repo, CMD)
    db = paths_of(repo).db
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import sqlite3,sys\nd=sqlite3.connect({str(db)!r},isolation_level=None)\nd.execute('BEGIN EXCLUSIVE')\nprint(1,flush=True)\nsys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        holder.stdout.readline()
        result = run_cli(CMD, "status", cwd=repo, timeout=60)
        assert (
            result.returncode != 0
            and f"pid {holder.pid}" in result.stderr
            and "Traceback" not in result.stderr
        )
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    now = status(CMD, repo)
    return (0 if [t["id"] for t in now["tasks"]] == [task_id] else 1), 0, 0


def full_disk(repo: Path) -> tuple[int, int, int] | None:
    directory = paths_of(repo).dir
    directory.mkdir(parents=True, exist_ok=True)
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(directory)], capture_output=True
    ).returncode:
        return None
    try:
        from agentdeck.events import StoreFullChanged, TextDelta

        async def run() -> str:
            client = await attach(repo)
            stream = client.subscribe(0)
            task_id = (await client.execute(Enqueue(task="take notes"))).task_id
            await collect_until(stream, lambda e: isinstance(e, TextDelta))
            filler = directory / "filler"
            with open(
                filler, "wb", buffering=0
            ) as handle:  # unbuffered: ENOSPC comes from write, never from close
                try:
                    while True:
                        handle.write(b"\1" * 65536)
                except OSError:
                    pass
            await collect_until(stream, lambda e: isinstance(e, StoreFullChanged) and e.full)
            await collect_until(
                stream,
                lambda e: (
                    isinstance(e, TaskStateChanged) and e.task_id == task_id and e.state == "interrupted"
                ),
            )
            filler.unlink()
            await collect_until(stream, settled(task_id), timeout=90)
            await client.close()
            return task_id

        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "40")
            asyncio.run(run())
        check, seqs = store_report(repo)
        assert check == "ok" and seqs == list(range(1, len(seqs) + 1))
        return 0, 0, 0
    finally:
        kill_daemon(repo)
        subprocess.run(["umount", "-l", str(directory)], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", default="", help="run only the fault kinds whose name contains this")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    kinds = {
        "kill at a checkpoint": lambda repo: kill_and_resume(
            repo, f"checkpoint:before-ref-update@{rng.randint(1, 2)}", ["take notes"]
        ),
        "kill mid-merge (before the ref moves)": lambda repo: merge_kill(repo, "merge:before-ref-update"),
        "kill mid-merge (before the task is marked)": lambda repo: merge_kill(
            repo, "merge:before-mark-merged"
        ),
        "kill in a 1,000-event burst": lambda repo: kill_and_resume(
            repo,
            f"events:after-append@{rng.randint(200, 800)}",
            [f"take notes on part {n}" for n in range(6)],
        ),
        "damaged session.db": lambda repo: corrupt(repo, rng),
        "locked session.db": locked,
        "full disk while events are written": full_disk,
    }
    kinds = {name: run for name, run in kinds.items() if args.only in name}
    counts = {name: Counts() for name in kinds}
    skipped: set[str] = set()
    start = time.monotonic()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "0")
        mp.setenv("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="soak-xdg-"))
        for round_number in range(args.rounds):
            for name, run in kinds.items():
                base = Path(tempfile.mkdtemp(prefix="soak-faults-"))
                repo = make_repo(base / "repo")
                count = counts[name]
                try:
                    lost = run(repo)
                    if lost is None:
                        skipped.add(name)
                        continue
                    count.tried += 1
                    count.lost_tasks += lost[0]
                    count.lost_events += lost[1]
                    count.lost_commits += lost[2]
                    count.survived += 1 if not any(lost) else 0
                except Exception as exc:  # a check that failed: counted, and the soak goes on
                    count.tried += 1
                    count.failures.append(f"round {round_number + 1}: {type(exc).__name__}: {exc}"[:300])
                finally:
                    kill_daemon(repo)
                    shutil.rmtree(base, ignore_errors=True)
    elapsed = time.monotonic() - start
    total = Counts(
        tried=sum(c.tried for c in counts.values()),
        survived=sum(c.survived for c in counts.values()),
        lost_tasks=sum(c.lost_tasks for c in counts.values()),
        lost_events=sum(c.lost_events for c in counts.values()),
        lost_commits=sum(c.lost_commits for c in counts.values()),
    )
    if args.json:
        print(
            json.dumps(
                {
                    "rounds": args.rounds,
                    "seconds": round(elapsed, 1),
                    "skipped": sorted(skipped),
                    "kinds": {n: vars(c) for n, c in counts.items()},
                    "total": vars(total),
                },
                indent=2,
            )
        )
    else:
        print(f"{'fault':46} {'tried':>5} {'survived':>8} {'lost tasks/events/commits':>26}")
        for name, c in counts.items():
            note = " (skipped: cannot mount a tmpfs)" if name in skipped else ""
            print(
                f"{name:46} {c.tried:>5} {c.survived:>8} {f'{c.lost_tasks}/{c.lost_events}/{c.lost_commits}':>26}{note}"
            )
            for failure in c.failures:
                print(f"    {failure}")
        print(
            f"{'total':46} {total.tried:>5} {total.survived:>8} "
            f"{f'{total.lost_tasks}/{total.lost_events}/{total.lost_commits}':>26}   in {elapsed:.0f} s"
        )
    return 0 if total.survived == total.tried else 1


if __name__ == "__main__":
    sys.exit(main())
