"""The well-behaved client of the socket fault tests: it must not notice what others send.

Attached all along, it follows every event of the session and asks for `status` ten times
a second; every reply and the event stream are checked, and what is wrong lands in
`problems` (not an exception raised in a background task, where nobody would see it).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from agentdeck.api import Enqueue, GetStatus
from agentdeck.events import Event, TaskStateChanged
from agentdeck.server.client import SessionClient
from tests.support.session import attach

# What a crash or an unhandled error leaves in the daemon's log (its stderr).
CRASH_MARKS = (
    "Traceback",
    "Unhandled exception",
    "exception was never retrieved",
    "Error in ",
    "raised exception",
)
_POLL_SECONDS = 0.1


def crash_lines(log: Path) -> list[str]:
    """Lines of the daemon's log that tell of a traceback or an asyncio error."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return [line for line in text.splitlines() if any(mark in line for mark in CRASH_MARKS)]


class GoodClient:
    def __init__(self, client: SessionClient) -> None:
        self.client = client
        self.pid = client.welcome["pid"]
        self.events: list[Event] = []
        self.tasks: list[str] = []
        self.statuses_ok = 0
        self.problems: list[str] = []
        self._ended: dict[str, asyncio.Event] = {}
        self._reading = asyncio.create_task(self._follow())
        self._stop_polling = asyncio.Event()
        self._polling: asyncio.Task | None = None

    @classmethod
    async def attach(cls, repo: Path) -> GoodClient:
        return cls(await attach(repo))

    async def _follow(self) -> None:
        async for event in self.client.subscribe(0):
            self.events.append(event)
            if isinstance(event, TaskStateChanged) and event.state in ("finished", "failed"):
                self._ended.setdefault(event.task_id, asyncio.Event()).set()

    async def enqueue(self, text: str) -> str:
        task_id = (await asyncio.wait_for(self.client.execute(Enqueue(task=text)), 10)).task_id
        self.tasks.append(task_id)
        return task_id

    def start_polling(self) -> None:
        self._polling = asyncio.create_task(self._poll())

    async def stop_polling(self) -> None:
        self._stop_polling.set()
        if self._polling is not None:
            await asyncio.wait_for(self._polling, 15)

    async def _poll(self) -> None:
        while not self._stop_polling.is_set():
            try:
                status = await asyncio.wait_for(self.client.execute(GetStatus()), 10)
            except Exception as exc:  # any failure is the finding
                self.problems.append(f"status failed: {exc!r}")
                return
            known = set(self.tasks)
            if status.pid != self.pid or not known <= {t.id for t in status.tasks}:
                self.problems.append(
                    f"a wrong status: pid {status.pid}, tasks {[t.id for t in status.tasks]}"
                )
            else:
                self.statuses_ok += 1
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(
                    self._stop_polling.wait(), _POLL_SECONDS
                )  # pacing, not synchronisation

    async def wait_ended(self, task_id: str, timeout: float = 30.0) -> None:
        try:
            await asyncio.wait_for(self._ended.setdefault(task_id, asyncio.Event()).wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"task {task_id} never ended; last events {[type(e).__name__ for e in self.events[-5:]]}"
            ) from None

    def stream_problems(self) -> list[str]:
        """The event stream must be every seq from 1, once each, in order."""
        seqs = [e.seq for e in self.events]
        return (
            []
            if seqs == list(range(1, len(seqs) + 1))
            else [f"the event stream has a gap or a duplicate: {seqs[:50]}…"]
        )

    async def final_status_problems(self) -> list[str]:
        status = await asyncio.wait_for(self.client.execute(GetStatus()), 10)
        states = {t.id: t.state for t in status.tasks}
        problems = []
        if status.pid != self.pid:
            problems.append(f"status names pid {status.pid}, not the daemon's {self.pid}")
        if states != {task_id: "finished" for task_id in self.tasks}:
            problems.append(f"status says {states}, expected exactly {self.tasks} finished")
        return problems

    async def close(self) -> None:
        self._reading.cancel()
        await asyncio.gather(self._reading, return_exceptions=True)
        await self.client.close()
