"""Timing shared by the benchmarks (light on purpose: importing it loads nothing of agentdeck)."""

from __future__ import annotations

import statistics
import subprocess
import time


def median_wall_time(command: list[str], runs: int) -> float:
    """Median seconds of `command` run to the end in a fresh process, `runs` times."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)
