"""The session's tasks as rows: found by id, and moved from state to state with an event.

`Session` and `Decisions` both hold this one object, so neither reaches into the other to
change a task's state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from agentdeck.events import Event, TaskStateChanged
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.store import Store, TaskRow
from agentdeck.task_state import TaskState


class TaskTable:
    def __init__(self, store: Store, publish: Callable[[Event], object]) -> None:
        self.store = store
        self.publish = publish

    def get(self, task_id: str) -> TaskRow:
        """The task's row; CommandError (naming where the ids are) when there is no such task."""
        row = self.store.task(task_id)
        if row is None:
            raise CommandError(f"unknown task id {task_id!r}: `agentdeck queue list` shows the ids")
        return row

    def set_state(self, row: TaskRow, state: TaskState, reason: str = "", **changes: Any) -> None:
        """Store the new state (with `changes` to other columns), tell subscribers, update `row`."""
        if state.is_ended:
            changes.setdefault("ended", time.time())
        self.store.update_task(row.id, state=state, reason=reason, **changes)
        self.publish(
            TaskStateChanged(task_id=row.id, agent_id=row.id, state=state, previous=row.state, reason=reason)
        )
        row.state = state
