"""The one place the cockpit meets its session: attach, fold events into state, send commands.

The screen gets `Update`s as events arrive; it coalesces the redraws. Nothing here polls:
the live subscription wakes the loop, and a closed connection ends it with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from agentdeck.tui.cockpit_state import CockpitState, Update
from agentdeck.tui.link import SessionLink

if TYPE_CHECKING:
    from agentdeck.events import Event
    from agentdeck.replies import Status
    from agentdeck.runtime.session_api import SessionAPI


# Event types the cockpit's main stream leaves out (see `run`).
MAIN_STREAM_EXCLUDES = ("text_delta",)


class BridgeSink(Protocol):
    """What the bridge tells the screen."""

    def notice(self, message: str) -> None: ...

    async def attached(self, status: Status) -> None: ...

    def updated(self, event: Event, update: Update) -> None: ...

    def lost(self, reason: str) -> None: ...


class SessionBridge:
    def __init__(self, link: SessionLink, state: CockpitState) -> None:
        self.link = link
        self.state = state
        self.api: SessionAPI | None = None

    async def run(self, sink: BridgeSink) -> None:
        """Attach (starting the daemon if needed), show the snapshot, then follow the events until the end."""
        from agentdeck.api import GetStatus

        self.api = await self.link.open(notice=sink.notice)
        status = await self.api.execute(GetStatus())
        self.state.load_status(status)
        await sink.attached(status)
        # No text deltas here: under load they are thousands a second, and only panes show
        # them; each pane follows its own task (`follow`).
        async for event in self.api.subscribe(from_seq=status.last_seq, exclude=MAIN_STREAM_EXCLUDES):
            sink.updated(event, self.state.apply(event))
        sink.lost(getattr(self.api, "closed_reason", None) or "the session ended")

    async def history(self, task_id: str) -> list[Event]:
        """Every stored event of one task, on a connection of its own (one subscription each)."""
        api = await self.link.open(start=False)
        try:
            return [event async for event in api.subscribe(0, task_id=task_id, follow=False)]
        finally:
            await self.link.release(api)

    def follow(self, task_id: str, on_event: Callable[[Event], None], from_seq: int = 0):
        """A task's events after `from_seq`, then live, on a connection of its own (a pane, the peek view).

        Returns the coroutine to run; cancelling it closes the connection."""

        async def run() -> None:
            api = await self.link.open(start=False)
            try:
                async for event in api.subscribe(from_seq, task_id=task_id):
                    on_event(event)
            finally:
                await self.link.release(api)

        return run()

    @property
    def session(self) -> SessionAPI:
        if self.api is None:
            raise RuntimeError("not attached to the session yet")
        return self.api

    async def close(self) -> None:
        if self.api is not None:
            api, self.api = self.api, None
            await self.link.release(api)
