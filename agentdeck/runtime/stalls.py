"""The stall watchdog: an agent alive but making no progress is caught, and said in words.

A hung command that prints nothing produces no event at all, so the watchdog is driven by
time: one asyncio task sleeps until the earliest moment any watched task could cross
`stall_seconds`, and looks. Each event costs a dictionary update (its time, and what the
agent is doing: a tool call in flight, a model stream, a retry), nothing more.

The watchdog only notices; the session decides. `on_stall(task_id, reason)` is asked for
a task idle that long (the session marks it stalled only when it is "running": not waiting
for a person, queued, verifying or ended) and `on_active(task_id)` is called, soon after
the event, when a stalled task's agent shows progress again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agentdeck.events import Event, TaskStateChanged, ToolCallFinished, ToolCallStarted
from agentdeck.task_state import TaskState
from agentdeck.text import one_line

# Not progress: the session's own bookkeeping, a person's message, a retry that failed.
NOT_PROGRESS = frozenset(
    {"task_queued", "task_state_changed", "task_foreground_changed", "steer_received", "model_retrying"}
)
# The agent moved on by itself (to waiting, or to its end): no "running again" to announce.
MOVED_ON = frozenset({"agent_waiting", "agent_finished", "agent_failed"})
# Never look more often than this, whatever stall_seconds is (tests use fractions of a second).
MIN_SLEEP_S = 0.02


@dataclass
class _Call:
    name: str
    arguments: str
    started: float


@dataclass
class Watched:
    """What the watchdog knows of one task's agent: when it last made progress, and doing what."""

    last: float
    last_type: str = "agent_started"
    calls: dict[str, _Call] = field(default_factory=dict[str, _Call])
    # The latest retry since the last progress, and when the retrying began.
    retry: Event | None = None
    retry_since: float = 0.0
    stalled: bool = False


class StallWatch:
    """Watches every task with a live agent; see the module docstring."""

    def __init__(
        self,
        stall_seconds: float,
        on_stall: Callable[[str, str], bool],
        on_active: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stall_seconds = stall_seconds
        self._on_stall = on_stall
        self._on_active = on_active
        self._clock = clock
        self.watched: dict[str, Watched] = {}
        self._wake = asyncio.Event()

    # -- fed by the bus ------------------------------------------------------------------

    def note(self, event: Event) -> None:
        """Fold one published event in (called for every event: keep it cheap)."""
        task_id = event.task_id
        if task_id is None:
            return
        kind: str = event.type
        watched = self.watched.get(task_id)
        if kind not in NOT_PROGRESS:
            now = self._clock()
            if watched is None:
                if kind != "agent_started":
                    return  # not an agent's event (verification, review): nothing to watch
                watched = self.watched[task_id] = Watched(now)
                self._wake.set()  # a new deadline, perhaps earlier than the one slept toward
            watched.last, watched.last_type, watched.retry = now, kind, None
            if isinstance(event, ToolCallStarted):
                watched.calls[event.call_id] = _Call(event.name, event.arguments, now)
            elif isinstance(event, ToolCallFinished):
                watched.calls.pop(event.call_id, None)
            if watched.stalled:
                watched.stalled = False
                if kind not in MOVED_ON:
                    asyncio.get_running_loop().call_soon(self._on_active, task_id)
            return
        if watched is None:
            return
        if kind == "model_retrying":
            if watched.retry is None:
                watched.retry_since = self._clock()
            watched.retry = event
        elif kind == "steer_received" and not watched.stalled:
            watched.last = self._clock()  # a waiting agent woken by a message starts afresh
        elif isinstance(event, TaskStateChanged):
            state = event.state
            if state == TaskState.RUNNING:
                watched.stalled, watched.last = False, self._clock()
            elif state == TaskState.STALLED:
                watched.stalled = True
            elif not state.is_active:  # no live agent left to watch
                del self.watched[task_id]

    # -- driven by time ------------------------------------------------------------------

    async def run(self) -> None:
        """Look whenever a watched task could have crossed the threshold; runs until cancelled."""
        while True:
            self._wake.clear()
            wait = self.check()
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except TimeoutError:
                pass

    def check(self) -> float:
        """Report the tasks idle for `stall_seconds` or more; how long until the next could be."""
        now = self._clock()
        threshold = self.stall_seconds
        soonest = threshold
        for task_id, watched in list(self.watched.items()):
            if watched.stalled:
                continue
            idle = now - watched.last
            if idle < threshold:
                soonest = min(soonest, threshold - idle)
                continue
            if self._on_stall(task_id, self.reason(watched, now)):
                watched.stalled = True
            else:
                # Not running now (waiting for you, say): look again a threshold later.
                watched.last = now
        return max(soonest, MIN_SLEEP_S)

    def reason(self, watched: Watched, now: float) -> str:
        """What the agent was doing when it stopped making progress, in words a person can act on."""
        idle = duration(now - watched.last)
        if watched.retry is not None:
            retry = watched.retry
            attempt = f"attempt {retry.attempt + 1} of {retry.max_retries + 1}"  # type: ignore[attr-defined]
            return (
                f"retrying after {retry.cause} for {duration(now - watched.retry_since)} "  # type: ignore[attr-defined]
                f"({attempt}): {retry.error}"  # type: ignore[attr-defined]
            )
        if watched.calls:
            call = min(watched.calls.values(), key=lambda c: c.started)
            started = duration(now - call.started)
            if call.name == "run":
                return f"no result for {idle} from `{_command(call.arguments)}` (run tool, started {started} ago)"
            return f"the {call.name} tool has not returned for {idle} (started {started} ago)"
        if watched.last_type == "text_delta":
            return f"the model stream stalled: no token for {idle}"
        return f"no answer from the model for {idle} (waiting for its first token)"


def _command(arguments: str) -> str:
    try:
        command = json.loads(arguments).get("command", arguments)
    except (ValueError, AttributeError):
        command = arguments
    return one_line(str(command), 80)


def duration(seconds: float) -> str:
    """2.5 s, 40 s, 5 min, 1 h 20 min: how long, as a person says it."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
