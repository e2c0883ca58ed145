"""Messages between the agents of a sprint, and questions to its orchestrator.

A message to a running agent is steered into its next turn (its transcript shows it as a
steer); to a queued one it waits in the sprint and opens its context when it starts; to a
finished one it is refused with that agent's summary. The orchestrator answers from what it
knows: the contracts, who publishes what, and how far each task is. Each pair of agents may
exchange at most MAX_PER_PAIR messages (both directions together) and each agent send at most
MAX_PER_SENDER, so two agents cannot ping-pong forever. Every message is stored with the sprint.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypedDict

from agentdeck.agent.tools.messages import ORCHESTRATOR
from agentdeck.runtime.store import SprintRow, TaskRow
from agentdeck.task_state import TaskState

if TYPE_CHECKING:
    from agentdeck.runtime.session import Session

MAX_PER_PAIR = 4
MAX_PER_SENDER = 8

# One message as stored in the sprint's data["messages"]; "from" is a keyword, hence this form.
SprintMessage = TypedDict("SprintMessage", {"from": str, "to": str, "text": str, "status": str, "ts": float})


class SprintMessages:
    def __init__(self, session: Session) -> None:
        self.session = session

    def messenger_for(self, row: TaskRow) -> Callable[[str, str], Awaitable[str]] | None:
        """The `message` tool's delivery for a role task of a sprint; None for any other task."""
        if not row.sprint_id or row.sprint_id == row.id:
            return None
        sender = row.id

        async def deliver(to: str, text: str) -> str:
            return self.send(sender, to, text)

        return deliver

    def send(self, sender: str, to: str, text: str) -> str:
        s = self.session
        row = s.store.task(sender)
        sprint = s.store.sprint(row.sprint_id) if row and row.sprint_id else None
        if sprint is None:
            return "refused: this task is not part of a sprint"
        log: list[SprintMessage] = list(sprint.data.get("messages") or [])
        if to == ORCHESTRATOR:
            self._record(sprint.id, log, sender, ORCHESTRATOR, text, "answered")
            return "The orchestrator answers:\n\n" + self._orchestrator_answer(sprint)
        recipient = self._resolve(sprint, to)
        if recipient is None or recipient.id == sender:
            names = ", ".join(t for t in sprint.data["tasks"].values() if t != sender)
            return f"refused: {to!r} is not another agent of this sprint (they are: {names}, or orchestrator)"
        pair = [m for m in log if {m["from"], m["to"]} == {sender, recipient.id}]
        if len(pair) >= MAX_PER_PAIR:
            return (
                f"refused: you and {recipient.id} have exchanged {len(pair)} messages, the most a pair may; "
                "decide with what you have, and say in your summary what is left open"
            )
        if sum(1 for m in log if m["from"] == sender) >= MAX_PER_SENDER:
            return f"refused: you have sent {MAX_PER_SENDER} messages, the most an agent of a sprint may"
        role = (s.sprints.role_of(row) if row is not None else None) or "agent"
        note = f"Message from {sender} ({role}), another agent of your sprint: {text}"
        agent = s.agents.get(recipient.id)
        if agent is not None and recipient.state.is_active:
            agent.steer(note)
            self._record(sprint.id, log, sender, recipient.id, text, "delivered")
            return f"delivered to {recipient.id}: it sees it on its next turn"
        if recipient.state == TaskState.QUEUED:
            self._record(sprint.id, log, sender, recipient.id, text, "waiting")
            return f"{recipient.id} has not started yet: it sees your message when it starts"
        summary = (recipient.summary or "").strip()[:600] or "no summary"
        return (
            f"refused: {recipient.id} is {recipient.state} and reads no more messages; its summary: {summary}"
        )

    def waiting_for(self, task_id: str) -> list[str]:
        """The messages a task got before it started (marked delivered as they are handed over)."""
        s = self.session
        row = s.store.task(task_id)
        sprint = s.store.sprint(row.sprint_id) if row and row.sprint_id else None
        if sprint is None:
            return []
        log: list[SprintMessage] = list(sprint.data.get("messages") or [])
        found: list[str] = []
        for message in log:
            if message["to"] == task_id and message["status"] == "waiting":
                found.append(f"- from {message['from']}: {message['text']}")
                message["status"] = "delivered"
        if found:
            s.store.update_sprint(sprint.id, messages=log)
        return found

    def _record(
        self, sprint_id: str, log: list[SprintMessage], sender: str, to: str, text: str, status: str
    ) -> None:
        log.append({"from": sender, "to": to, "text": text, "status": status, "ts": time.time()})
        self.session.store.update_sprint(sprint_id, messages=log)

    def _resolve(self, sprint: SprintRow, to: str) -> TaskRow | None:
        ids: dict[str, str] = sprint.data["tasks"]  # plan id -> task id
        task_id = ids.get(to) or (to if to in ids.values() else None)
        return self.session.store.task(task_id) if task_id else None

    def _orchestrator_answer(self, sprint: SprintRow) -> str:
        s = self.session
        contracts_path: str = sprint.data["contracts_path"]
        contracts: str = sprint.data["contracts"]
        task_ids: dict[str, str] = sprint.data["tasks"]  # plan id -> task id
        # The plan as stored: a SprintPlan's JSON, whose tasks are read as plain dicts here.
        plan_tasks: list[dict[str, Any]] = sprint.data["plan"]["tasks"]
        lines = [f"Contracts ({contracts_path}, also in your worktree):", contracts]
        lines.append("Tasks:")
        for task in plan_tasks:
            row = s.store.task(task_ids[task["id"]])
            state = row.state if row else "dropped"
            publishes = (
                f"; publishes {', '.join(task.get('publishes') or [])}" if task.get("publishes") else ""
            )
            lines.append(
                f"- {task_ids[task['id']]} ({task['role']}): {state}; writes {', '.join(task['files'])}{publishes}"
            )
        return "\n".join(lines)
