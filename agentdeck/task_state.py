"""A task's state: one enum, and every question the code asks of a state answered here.

The states, in the order a task usually meets them:

- `queued`: waiting for a slot (or for its dependency);
- `running`, `waiting` (for you: the agent asked), `stalled` (alive, but no progress for
  `session.stall_seconds`): an agent is alive and holds a slot;
- `verifying`: the agent finished; its tests and judge run beside the queue, holding no slot;
- `finished` (verified, waiting for your decision), `failed`, `interrupted` (cut off by a stop
  or crash; resumable), `cancelled`: the run is over;
- `merged`, `rejected`: you decided (a rejected task's branch stays until `agentdeck cleanup`).

A `StrEnum`, so a state is its own string in JSON, SQLite and comparisons.
"""

from __future__ import annotations

from enum import StrEnum


class TaskState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    STALLED = "stalled"
    VERIFYING = "verifying"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"
    MERGED = "merged"
    REJECTED = "rejected"

    @property
    def is_active(self) -> bool:
        """An agent is alive and holds a slot."""
        return self in _ACTIVE

    @property
    def is_ended(self) -> bool:
        """The agent's run is over (it may be resumed, verified or decided, never still running)."""
        return self is not TaskState.QUEUED and not self.is_active

    @property
    def in_queue(self) -> bool:
        """Still the queue's business: not yet run, running, verifying, or resumable."""
        return self in _IN_QUEUE

    @property
    def is_decided(self) -> bool:
        """A person merged or rejected it."""
        return self in _DECIDED

    @property
    def is_closed(self) -> bool:
        """Nothing is left to do or decide: merged, rejected or cancelled."""
        return self.is_decided or self is TaskState.CANCELLED

    @property
    def has_result(self) -> bool:
        """The agent ended in a change the review screen lists (verified or not)."""
        return self in _RESULT

    @property
    def awaits_decision(self) -> bool:
        """Verified (or failed) and waiting for a person to merge, reject or send back."""
        return self in _UNDECIDED

    @property
    def fails_dependants(self) -> bool:
        """A task that waits for this one can never start (it failed or was turned down)."""
        return self in _DEAD

    @property
    def can_merge(self) -> bool:
        return self in _MERGEABLE

    @property
    def can_reject(self) -> bool:
        return self in _REJECTABLE

    @property
    def can_send_back(self) -> bool:
        return self in _SENDABLE_BACK


_ACTIVE = frozenset({TaskState.RUNNING, TaskState.WAITING, TaskState.STALLED})
_IN_QUEUE = _ACTIVE | {TaskState.QUEUED, TaskState.VERIFYING, TaskState.INTERRUPTED}
_DECIDED = frozenset({TaskState.MERGED, TaskState.REJECTED})
_RESULT = _DECIDED | {TaskState.VERIFYING, TaskState.FINISHED, TaskState.FAILED}
_UNDECIDED = frozenset({TaskState.FINISHED, TaskState.FAILED})
_DEAD = frozenset({TaskState.FAILED, TaskState.CANCELLED, TaskState.REJECTED})
# A failed, cancelled or interrupted task's partial work can still be taken as it is; a rejected one
# can be merged after all (its branch stays), but not rejected twice.
_REJECTABLE = frozenset({TaskState.FINISHED, TaskState.FAILED, TaskState.CANCELLED, TaskState.INTERRUPTED})
_MERGEABLE = _REJECTABLE | {TaskState.REJECTED}
_SENDABLE_BACK = _MERGEABLE
