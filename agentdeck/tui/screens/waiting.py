"""What tests and benchmarks wait on: a screen says when what it shows moved on."""

from __future__ import annotations

import asyncio


class WaitsForChange:
    """Mixed into a screen: it calls `self._changed.set()` whenever its state or drawing moved on."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._changed = asyncio.Event()

    async def wait_until(self, predicate, timeout: float = 30.0) -> None:
        """Return once `predicate()` holds, re-checking after every change (no polling).

        A predicate that looks up what has not arrived yet (`tasks[task_id]` before the
        task's first event) is not there yet, not an error."""
        async with asyncio.timeout(timeout):
            while not _holds(predicate):
                self._changed.clear()
                await self._changed.wait()


def _holds(predicate) -> bool:
    try:
        return bool(predicate())
    except LookupError:
        return False
