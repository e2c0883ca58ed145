"""The stall watchdog on its own: a fake clock, events fed by hand, what it says and when."""

from __future__ import annotations

import asyncio
import json

from agentdeck.events import (
    AgentStarted,
    AgentWaiting,
    ModelRetrying,
    SteerReceived,
    TaskStateChanged,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    VerificationStarted,
)
from agentdeck.runtime.stalls import StallWatch, duration

T = "t1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A watchdog whose session says "running" for the tasks in `running`."""

    def __init__(self, stall_seconds: float = 300.0) -> None:
        self.clock = Clock()
        self.running = {T}
        self.stalls: list[tuple[str, str]] = []
        self.active: list[str] = []
        self.watch = StallWatch(stall_seconds, self.on_stall, self.active.append, clock=self.clock)

    def on_stall(self, task_id: str, reason: str) -> bool:
        if task_id not in self.running:
            return False
        self.stalls.append((task_id, reason))
        self.watch.note(TaskStateChanged(task_id=task_id, state="stalled", previous="running", reason=reason))
        return True

    def feed(self, event) -> None:
        event.task_id = event.task_id or T
        self.watch.note(event)

    def after(self, seconds: float) -> float:
        self.clock.now += seconds
        return self.watch.check()


def started() -> AgentStarted:
    return AgentStarted(task_id=T, task="x", model="m", branch="b", worktree="/w", base_commit="c")


def run_call(command: str, call_id: str = "c1") -> ToolCallStarted:
    return ToolCallStarted(call_id=call_id, name="run", arguments=json.dumps({"command": command}))


async def test_a_hung_command_is_named_with_its_tool_and_age_and_reported_once() -> None:
    h = Harness()
    h.feed(started())
    h.feed(run_call("pytest -x"))
    assert h.after(299) == 1.0  # the next look is due when the threshold could be crossed
    assert h.stalls == []
    h.after(1)
    h.after(600)
    assert h.stalls == [(T, "no result for 5 min from `pytest -x` (run tool, started 5 min ago)")]


async def test_other_tools_a_stream_and_a_silent_model_each_get_their_words() -> None:
    h = Harness()
    h.feed(started())
    h.feed(ToolCallStarted(call_id="c1", name="search", arguments="{}"))
    h.after(400)
    h.feed(ToolCallFinished(call_id="c1", name="search", ok=True, output="", duration_s=400))
    h.feed(TextDelta(text="Let me"))
    h.after(300)
    h.feed(TextDelta(text=" see"))
    h.feed(ToolCallStarted(call_id="c2", name="finish", arguments="{}"))
    h.feed(ToolCallFinished(call_id="c2", name="finish", ok=True, output="", duration_s=0))
    h.after(3700)
    reasons = [reason for _, reason in h.stalls]
    assert reasons == [
        "the search tool has not returned for 7 min (started 7 min ago)",
        "the model stream stalled: no token for 5 min",
        "no answer from the model for 1 h 2 min (waiting for its first token)",
    ]


async def test_progress_clears_a_stall_once_and_a_retry_is_not_progress() -> None:
    h = Harness(stall_seconds=60)
    h.feed(started())
    h.after(30)
    h.feed(ModelRetrying(attempt=1, max_retries=10, cause="rate limits (429)", error="slow down", delay_s=20))
    h.after(20)
    h.feed(
        ModelRetrying(
            attempt=2,
            max_retries=10,
            cause="rate limits (429)",
            error="Rate limit reached: 3 RPM",
            delay_s=40,
        )
    )
    h.after(10)
    assert h.stalls == [
        (T, "retrying after rate limits (429) for 30 s (attempt 3 of 11): Rate limit reached: 3 RPM")
    ]
    h.feed(ModelRetrying(attempt=3, max_retries=10, cause="rate limits (429)", error="again", delay_s=80))
    await asyncio.sleep(0)
    assert h.active == []  # still no progress
    h.feed(TextDelta(text="at last"))
    h.feed(TextDelta(text=" an answer"))
    await asyncio.sleep(0)  # the session hears of it just after the event, never from inside it
    assert h.active == [T]


async def test_waiting_queued_verifying_and_ended_tasks_are_never_stalled() -> None:
    h = Harness(stall_seconds=10)
    h.feed(TaskStateChanged(task_id="queued", state="queued"))
    h.feed(VerificationStarted(task_id="verifying"))
    assert h.watch.watched == {}  # no agent event: nothing watched
    h.feed(started())
    h.feed(AgentWaiting(reason="the model stopped without calling finish"))
    h.running.clear()  # the session's row says "waiting"
    h.after(100)
    assert h.stalls == []
    # A steer wakes it: the idle time counts from then, not from when it began to wait.
    h.after(100)
    h.feed(SteerReceived(text="go on"))
    h.running.add(T)
    h.after(9)
    assert h.stalls == []
    h.feed(TaskStateChanged(task_id=T, state="verifying"))
    assert T not in h.watch.watched
    h.after(100)
    assert h.stalls == []


def test_durations_read_as_a_person_says_them() -> None:
    assert [duration(s) for s in (0.5, 12, 89, 300, 3600, 5400)] == [
        "0.5 s",
        "12 s",
        "89 s",
        "5 min",
        "1 h",
        "1 h 30 min",
    ]
