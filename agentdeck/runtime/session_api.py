"""The one interface to a session, the same in-process and over the socket.

`Session` (runtime/session.py) implements `execute` and `subscribe` directly;
`SessionClient` (server/client.py) implements them over the daemon's socket. Everything
else here is shared, so a caller (the CLI, a future TUI, a test) cannot tell the two apart.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Literal

from agentdeck.events import (
    Cancel,
    Demote,
    EditTask,
    Enqueue,
    Event,
    GetStatus,
    Interrupt,
    Promote,
    Resume,
    Steer,
    Stop,
)

ErrorCode = Literal["usage", "failed"]


class CommandError(Exception):
    """A command the session refused; `str()` is one line, `code` maps to the exit status."""

    def __init__(self, message: str, code: ErrorCode = "usage") -> None:
        super().__init__(message)
        self.code = code


class SessionAPI:
    """Typed helpers over `execute(command) -> dict` and `subscribe(from_seq)`."""

    async def execute(self, command: Any) -> dict[str, Any]:  # pragma: no cover - implemented below
        raise NotImplementedError

    def subscribe(self, from_seq: int = 0, task_id: str | None = None, *, follow: bool = True) -> AsyncIterator[Event]:
        """Events after `from_seq`: the stored ones, then (with `follow`) live ones, no gap, no duplicate."""
        raise NotImplementedError

    async def enqueue(
        self,
        task: str,
        *,
        priority: int = 0,
        after: str | None = None,
        foreground: bool = False,
        model: str | None = None,
        source: Literal["cli", "inbox", "api"] = "cli",
    ) -> dict[str, Any]:
        return await self.execute(
            Enqueue(task=task, priority=priority, after=after, foreground=foreground, model=model, source=source)
        )

    async def steer(self, task_id: str, text: str) -> dict[str, Any]:
        return await self.execute(Steer(agent_id=task_id, text=text))

    async def interrupt(self, task_id: str) -> dict[str, Any]:
        return await self.execute(Interrupt(agent_id=task_id))

    async def cancel(self, task_id: str) -> dict[str, Any]:
        return await self.execute(Cancel(agent_id=task_id))

    async def resume(self, task_id: str) -> dict[str, Any]:
        return await self.execute(Resume(agent_id=task_id))

    async def promote(self, task_id: str) -> dict[str, Any]:
        return await self.execute(Promote(agent_id=task_id))

    async def demote(self, task_id: str) -> dict[str, Any]:
        return await self.execute(Demote(agent_id=task_id))

    async def edit(self, task_id: str, *, priority: int | None = None, after: str | None = None) -> dict[str, Any]:
        return await self.execute(EditTask(agent_id=task_id, priority=priority, after=after))

    async def status(self) -> dict[str, Any]:
        return await self.execute(GetStatus())

    async def stop(self) -> dict[str, Any]:
        return await self.execute(Stop())
