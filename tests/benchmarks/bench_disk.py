"""What measuring the worktrees' disk use costs: one walk over a worktree of ~10,000 files.

    .venv/bin/python -m tests.benchmarks.bench_disk [--files 10000] [--runs 5] [--json]

Builds a real git repository with `--files` files in nested directories (about 40 files a
directory, as a source tree with build output has), checks it out as a task worktree
(pygit2, as agents get theirs), then times `agentdeck.workspace.disk.measure` over the
worktrees directory `--runs` times: the first run with a cold dentry cache is reported
apart from the median of the warm ones. The session measures at most once per
max(5 s, 50 × the walk's duration) on its tick, so the share of a core is also printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from agentdeck.runtime.disk_meter import MIN_TTL_S, TTL_FACTOR
from agentdeck.workspace import create_task_workspace, open_repository
from agentdeck.workspace.disk import measure


def build(root: Path, files: int) -> Path:
    repo = root / "repo"
    repo.mkdir()
    for i in range(files):
        target = repo / f"d{i // 1600}" / f"e{(i // 40) % 40}" / f"f{i}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"file {i}\n" * 8)
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "tree"],
    ):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = build(Path(tmp), args.files)
        workspace = create_task_workspace(open_repository(repo), "bench-disk-1a2b")
        subprocess.run(["sync"], check=False)
        timings, usage = [], None
        for _ in range(args.runs):
            started = time.perf_counter()
            usage = measure([workspace.path.parent], [workspace.task_id])
            timings.append(time.perf_counter() - started)
    warm = statistics.median(timings[1:]) if len(timings) > 1 else timings[0]
    interval = max(MIN_TTL_S, TTL_FACTOR * warm)
    result = {
        "files": usage.files if usage else 0,
        "bytes": usage.total_bytes if usage else 0,
        "first_ms": round(timings[0] * 1000, 1),
        "median_warm_ms": round(warm * 1000, 1),
        "tick_interval_s": round(interval, 1),
        "core_share_pct": round(100 * warm / interval, 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['files']:,} files, {result['bytes'] / 1e6:.1f} MB: first walk {result['first_ms']} ms, "
            f"then median {result['median_warm_ms']} ms; measured every {result['tick_interval_s']} s on the tick "
            f"= {result['core_share_pct']}% of a core"
        )


if __name__ == "__main__":
    main()
