"""Kill points for the fault-injection tests: SIGKILL this process at a named point.

`AGENTDECK_FAULT="checkpoint:before-ref-update"` (or `name@N`: at the Nth time the point is
reached; several separated by commas) makes `fault_point(name)` kill the process with
SIGKILL there, as a crash or `kill -9` would. The variable is read once, at import; unset,
a point costs one dict lookup. Names, and where they are:

- `checkpoint:before-ref-update`: a checkpoint's commit object is written, its branch not moved.
- `merge:before-ref-update`: the merge commit is written (and a checked-out base branch's
  files updated), the base branch not moved yet.
- `merge:before-mark-merged`: the base branch moved, the tasks not yet marked merged.
- `events:after-append`: an event is committed to the store (use `@N` for a burst).
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "AGENTDECK_FAULT"
POINTS = (
    "checkpoint:before-ref-update",
    "merge:before-ref-update",
    "merge:before-mark-merged",
    "events:after-append",
)


def parse(spec: str) -> dict[str, int]:
    """`name[@N],...` → {name: N}; an unknown name is an error, so a typo cannot pass a test silently."""
    armed: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, count = part.partition("@")
        if name not in POINTS:
            raise ValueError(f"{FAULT_ENV}: unknown fault point {name!r}; known: {', '.join(POINTS)}")
        armed[name] = int(count) if count else 1
    return armed


_armed: dict[str, int] = parse(os.environ.get(FAULT_ENV, ""))


def fault_point(name: str) -> None:
    """Die here by SIGKILL when the environment armed this point (and its count is reached)."""
    remaining = _armed.get(name)
    if remaining is None:
        return
    if remaining > 1:
        _armed[name] = remaining - 1
        return
    os.kill(os.getpid(), signal.SIGKILL)
