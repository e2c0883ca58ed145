"""Benchmark: what the stall watchdog costs per event, against publishing the event at all.

Run from the repository root:

    .venv/bin/python -m tests.benchmarks.bench_stalls [--events 200000] [--tasks 20]

Events as an agent at work sends them (text deltas, tool calls started and finished), over
`--tasks` watched tasks. Measured: `StallWatch.note` alone, and a real session's publish
(SQLite store, its row tracking, the watchdog) with and without the watchdog subscribed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from agentdeck.config import Settings
from agentdeck.events import AgentStarted, Event, TextDelta, ToolCallFinished, ToolCallStarted
from agentdeck.runtime.session import Session
from agentdeck.runtime.stalls import StallWatch
from agentdeck.runtime.store import Store


def agent_events(count: int, tasks: int) -> list[Event]:
    events: list[Event] = []
    for n in range(count):
        task = f"t{n % tasks}"
        match n % 10:
            case 8:
                events.append(
                    ToolCallStarted(
                        task_id=task,
                        agent_id=task,
                        call_id=f"c{n}",
                        name="run",
                        arguments='{"command": "ls"}',
                    )
                )
            case 9:
                events.append(
                    ToolCallFinished(
                        task_id=task,
                        agent_id=task,
                        call_id=f"c{n - 1}",
                        name="run",
                        ok=True,
                        output="",
                        duration_s=0.1,
                    )
                )
            case _:
                events.append(TextDelta(task_id=task, agent_id=task, text="word "))
    return events


def started(tasks: int) -> list[Event]:
    return [
        AgentStarted(
            task_id=f"t{n}", agent_id=f"t{n}", task="x", model="m", branch="b", worktree="/w", base_commit="c"
        )
        for n in range(tasks)
    ]


def per_event_us(action, events: list[Event], rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        begin = time.perf_counter()
        for event in events:
            action(event)
        times.append((time.perf_counter() - begin) / len(events) * 1e6)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--tasks", type=int, default=20)
    args = parser.parse_args()
    events = agent_events(args.events, args.tasks)

    watch = StallWatch(300.0, lambda task_id, reason: True, lambda task_id: None)
    for event in started(args.tasks):
        watch.note(event)
    note_us = per_event_us(watch.note, events)
    print(f"StallWatch.note: {note_us:.2f} µs per event ({args.tasks} watched tasks)")

    with tempfile.TemporaryDirectory() as tmp:
        session = Session(Path(tmp), Settings(), Store(Path(tmp) / "session.db"))
        for event in started(args.tasks):
            session.publish(event)
        sample = events[: min(len(events), 20_000)]
        # Alternating, so both see the same machine noise; medians of the rounds.
        with_times, without_times = [], []
        for _ in range(4):
            with_times.append(per_event_us(session.publish, sample, rounds=1))
            unsubscribe = session.bus._subscribers.remove  # a benchmark may look inside
            unsubscribe(session.stalls.note)
            without_times.append(per_event_us(session.publish, sample, rounds=1))
            session.bus.subscribe(session.stalls.note)
        with_watchdog, without = statistics.median(with_times), statistics.median(without_times)
        print(
            f"session publish (SQLite store, row tracking): {without:.1f} µs per event without the watchdog, "
            f"{with_watchdog:.1f} µs with it ({with_watchdog - without:+.1f} µs)"
        )


if __name__ == "__main__":
    asyncio.run(main())
