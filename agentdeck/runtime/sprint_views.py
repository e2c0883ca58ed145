"""What a sprint looks like to a person: its state in words, its tasks' parts, and a role agent's brief (pure)."""

from __future__ import annotations

from agentdeck.events import ChangeStats
from agentdeck.replies import SprintDetails, SprintIntegration, SprintPart
from agentdeck.runtime.store import SprintRow, TaskRow
from agentdeck.sprints.contracts import contracts_path
from agentdeck.sprints.plan import SprintPlan
from agentdeck.sprints.sprint_state import SprintState
from agentdeck.task_state import TaskState

# Must match agentdeck.llm.demo_sprint.SPRINT_ROLE_HEADING: the demo model plays a role agent on it.
ROLE_HEADING = "## Your sprint role"


def describe_sprint(sprint: SprintRow, members: list[TaskRow]) -> SprintDetails:
    """The sprint as status, review and `agentdeck sprint show` present it, from its row and its tasks' rows."""
    rows = {row.id: row for row in members}
    integration = rows.get(sprint.id)
    tasks: list[SprintPart] = []
    for plan_task in sprint.data.get("plan", {}).get("tasks", []):
        task_id = sprint.data["tasks"][plan_task["id"]]
        row = rows.get(task_id)
        tasks.append(
            SprintPart(
                task_id=task_id,
                plan_id=plan_task["id"],
                role=plan_task["role"],
                depends_on=[sprint.data["tasks"][d] for d in plan_task["depends_on"]],
                files=plan_task["files"],
                state=row.state if row else "dropped",
                summary=row.summary if row else None,
                stats=ChangeStats.model_validate(row.stats) if row and row.stats else None,
                branch=row.branch if row else None,
            )
        )
    return SprintDetails(
        sprint_id=sprint.id,
        feature=sprint.feature,
        state=sprint_state(sprint, integration, [rows.get(t.task_id) for t in tasks]),
        reason=sprint.reason,
        created=sprint.created,
        contracts_path=sprint.data.get("contracts_path"),
        contracts_commit=sprint.data.get("contracts_commit"),
        contracts=sprint.data.get("contracts"),
        plan=sprint.data.get("plan"),
        tasks=tasks,
        messages=sprint.data.get("messages") or [],
        artifacts=sprint.data.get("artifacts") or {},
        integration=SprintIntegration(
            task_id=sprint.id,
            state=integration.state if integration else None,
            branch=integration.branch if integration else None,
            steps=sprint.data.get("steps", []),
            resolutions=sprint.data.get("resolutions", []),
            unresolved=sprint.data.get("unresolved"),
        ),
    )


def sprint_state(sprint: SprintRow, integration: TaskRow | None, parts: list[TaskRow | None]) -> str:
    """The sprint's state in words a person acts on, from its tasks' states."""
    if sprint.state == SprintState.CANCELLED:
        return "cancelled"
    if integration is None:
        return sprint.state
    if integration.state == TaskState.QUEUED:
        failed = [row.id for row in parts if row is not None and row.state == TaskState.FAILED]
        if failed:
            return f"waiting for you: {', '.join(failed)} failed (retry, drop or cancel)"
        done = sum(
            1 for row in parts if row is not None and row.state in (TaskState.FINISHED, TaskState.MERGED)
        )
        return f"running roles ({done}/{len(parts)} finished)"
    return {
        "running": "integrating",
        "verifying": "verifying the whole",
        "finished": "ready for review",
        "failed": "needs you",
        "merged": "merged",
        "rejected": "rejected",
        "cancelled": "cancelled",
        "interrupted": "interrupted",
    }.get(integration.state, integration.state)


def role_task_text(sprint_id: str, plan: SprintPlan, task_id: str, contracts: str) -> str:
    """What a role agent is told: its brief and scope, the contracts, and who else works on what."""
    task = plan.task(task_id)
    others = "\n".join(
        f"- {other.id} ({other.role}): {', '.join(other.files)}"
        for other in plan.tasks
        if other.id != task_id
    )
    shared = f"\nShared with other tasks (merged at the end): {', '.join(plan.shared)}" if plan.shared else ""
    return (
        f"{task.brief.strip()}\n\n"
        f"{ROLE_HEADING}\n\nRole: {task.role} (task {task.id} of the sprint for: {plan.feature})\n"
        f"Files in scope (write only these): {', '.join(task.files)}{shared}\n"
        f"Acceptance check: {task.acceptance.strip()}\n\n"
        f"## Contracts ({contracts_path(sprint_id)}, in your worktree)\n\n{contracts.strip()}\n\n"
        f"## The other tasks of the sprint (do not write their files)\n\n{others}"
    )
