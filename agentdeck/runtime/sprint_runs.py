"""Sprints in the session: plan, contracts, role tasks in dependency order, one integrated result.

A sprint is ordinary session tasks: one per role (id `<sprint>-<plan task id>`, waiting for its
`depends_on` tasks to finish and verify), plus the integration task whose id is the sprint's
own id. The scheduler starts the integration once every role task has finished; it merges
their branches (integration.py), and the session verifies it like any result, so the sprint
ends as ONE result in the review list, and `agentdeck merge <sprint id>` lands it all at once.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentdeck.api import Command, DropSprintTask, GetSprint, ListSprints, PlanSprint, StartSprint
from agentdeck.config import ModelRole
from agentdeck.events import ConflictResolved, SprintStarted
from agentdeck.replies import SprintDetails, SprintLaunched, SprintList, SprintPlanned, SprintTaskDropped
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.sprint_fix import fix_if_broken, test_command_of
from agentdeck.runtime.sprint_messages import SprintMessages
from agentdeck.runtime.sprint_views import describe_sprint, role_task_text
from agentdeck.runtime.store import SprintRow, TaskRow
from agentdeck.runtime.task_records import MergedDecision
from agentdeck.sprints.artifacts import context_section, read_published
from agentdeck.sprints.contracts import commit_contracts, contracts_path, plan_table, write_contracts
from agentdeck.sprints.integration import Part, integrate, move_worktree, resolver_for
from agentdeck.sprints.plan import PlanRefused, SprintPlan, check_feature, parse_plan, validate_plan
from agentdeck.sprints.planner import plan_sprint
from agentdeck.sprints.sprint_state import SprintState
from agentdeck.task_state import TaskState

if TYPE_CHECKING:
    from agentdeck.runtime.session import Session


class Sprints:
    """The session's sprints: commands, the integration run, and what status and review show of them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.messages = SprintMessages(session)

    # -- commands ------------------------------------------------------------------------

    async def answer(self, command: Command[Any]) -> BaseModel:
        """Serve one sprint command (see agentdeck/api.py) with its reply."""
        match command:
            case PlanSprint():
                plan = await self.plan(command.feature, command.roles, command.max_agents, command.model)
                return SprintPlanned(plan=plan, table=plan_table(plan))
            case StartSprint():
                return await self.start(command.plan, command.roles, command.max_agents, command.model)
            case GetSprint():
                return self.details(command.sprint_id)
            case ListSprints():
                return SprintList(sprints=[self.describe(row) for row in self.session.store.sprints()])
            case DropSprintTask():
                return self.drop(command.task_id)
            case _:
                raise CommandError(f"unknown sprint command {type(command).__name__}")

    async def plan(self, feature: str, roles: list[str], max_agents: int, model: str | None) -> SprintPlan:
        from agentdeck.runtime import task_start

        try:
            client = task_start.client_for(self.role_for("planner", model), self.session.settings)
            return await plan_sprint(
                client, feature, self.session.repo_root, max_agents=max_agents, roles=roles or None
            )
        except PlanRefused as exc:
            raise CommandError(str(exc)) from None

    async def start(
        self, data: dict[str, Any], roles: list[str], max_agents: int, model: str | None
    ) -> SprintLaunched:
        from agentdeck.runtime import task_start

        s = self.session
        try:
            plan = parse_plan(data)
            plan.feature = check_feature(plan.feature)
            validate_plan(plan, max_agents, roles or None)
        except PlanRefused as exc:
            raise CommandError(f"the plan was refused: {exc}") from None
        sprint_id = f"sprint-{secrets.token_hex(2)}"
        while s.store.sprint(sprint_id) is not None or s.store.task(sprint_id) is not None:
            sprint_id = f"sprint-{secrets.token_hex(2)}"
        client = task_start.client_for(self.role_for("planner", model), s.settings)
        contracts = await write_contracts(client, plan)
        try:
            made = await asyncio.to_thread(commit_contracts, s.repo_root, sprint_id, contracts, plan)
        except Exception as exc:  # noqa: BLE001 - a git failure here must reach the user in words
            raise CommandError(f"cannot commit the sprint's contracts: {exc}", code="failed") from None
        base_branch = await asyncio.to_thread(_head_branch, s.repo_root)
        ids = {task.id: f"{sprint_id}-{task.id}" for task in plan.tasks}
        s.store.add_sprint(
            SprintRow(
                id=sprint_id,
                feature=plan.feature,
                state=SprintState.RUNNING,
                data={
                    "plan": plan.model_dump(mode="json"),
                    "contracts": contracts,
                    "contracts_path": contracts_path(sprint_id),
                    "contracts_branch": made.branch,
                    "contracts_commit": made.commit,
                    "base_commit": made.base,
                    "base_branch": base_branch,
                    "tasks": ids,
                    "model": model,
                },
            )
        )
        for plan_id in plan.order():
            task = plan.task(plan_id)
            text = role_task_text(sprint_id, plan, task.id, contracts)
            self._add(ids[plan_id], text, sprint_id, [ids[d] for d in task.depends_on], model)
        integration_text = f"Sprint {sprint_id}: integrate and verify {plan.feature}"
        self._add(sprint_id, integration_text, sprint_id, [ids[t.id] for t in plan.tasks], model)
        s.publish(
            SprintStarted(
                task_id=sprint_id,
                agent_id=sprint_id,
                sprint_id=sprint_id,
                feature=plan.feature,
                tasks=list(ids.values()),
                contracts_commit=made.commit,
            )
        )
        s.schedule()
        return SprintLaunched(
            sprint_id=sprint_id,
            tasks=ids,
            contracts_commit=made.commit,
            contracts_branch=made.branch,
            plan=plan,
        )

    def _add(self, task_id: str, text: str, sprint_id: str, depends_on: list[str], model: str | None) -> None:
        from agentdeck.events import TaskQueued

        s = self.session
        row = TaskRow(
            id=task_id,
            task=text,
            state=TaskState.QUEUED,
            model=model,
            source="cli",
            sprint_id=sprint_id,
            depends_on=depends_on,
        )
        s.store.add_task(row)
        s.publish(
            TaskQueued(task_id=task_id, task=text, model=model, sprint_id=sprint_id, depends_on=depends_on)
        )

    def drop(self, task_id: str) -> SprintTaskDropped:
        """Take a role task out of its sprint (it is cancelled; nobody waits for it any more)."""
        s = self.session
        row = s.tasks.get(task_id)
        if not row.sprint_id or row.id == row.sprint_id:
            raise CommandError(f"task {task_id} is not a role task of a sprint: nothing to drop")
        if row.state.is_active or row.state == TaskState.VERIFYING:
            raise CommandError(
                f"task {task_id} is {row.state}: cancel it first (`agentdeck cancel {task_id}`)"
            )
        for other in s.store.tasks():
            if other.sprint_id == row.sprint_id and task_id in (other.depends_on or []):
                s.store.update_task(other.id, depends_on=[d for d in other.depends_on or [] if d != task_id])
        if not row.state.is_closed:
            s.tasks.set_state(
                row, TaskState.CANCELLED, f"dropped from sprint {row.sprint_id}; its branch is kept"
            )
        sprint = self._sprint(row.sprint_id)
        s.store.update_sprint(sprint.id, dropped=[*sprint.data.get("dropped", []), task_id])
        s.schedule()
        return SprintTaskDropped(task_id=task_id, sprint_id=row.sprint_id)

    def cancel(self, sprint_id: str) -> None:
        """Cancel every role of the sprint that has not ended; their branches are kept."""
        s = self.session
        undecided = (TaskState.QUEUED, TaskState.INTERRUPTED, TaskState.VERIFYING)
        for row in s.store.tasks():
            if not self.is_role(row) or row.sprint_id != sprint_id:
                continue
            if row.state.is_active or row.state in undecided:
                s.cancel_attempt(row.id, f"sprint {sprint_id} was cancelled; its work is kept on its branch")
        s.store.update_sprint(sprint_id, state=SprintState.CANCELLED, reason="cancelled by the user")

    # -- what the session asks ------------------------------------------------------------

    @staticmethod
    def is_integration(row: TaskRow) -> bool:
        return bool(row.sprint_id) and row.sprint_id == row.id

    @staticmethod
    def is_role(row: TaskRow) -> bool:
        return bool(row.sprint_id) and row.sprint_id != row.id

    def base_for(self, row: TaskRow) -> str | None:
        """The commit a role task branches from: its sprint's contracts commit."""
        if not self.is_role(row):
            return None
        sprint = self.session.store.sprint(row.sprint_id or "")
        return sprint.data.get("contracts_commit") if sprint else None

    async def prepare(self, row: TaskRow) -> tuple[str, dict[str, dict[str, str]]]:
        """A task's text at its start, with what the tasks it waited for reported and published.

        Returns the text and the artifacts ({dependency's plan id: {path: text}}) to place in its worktree."""
        s = self.session
        if not self.is_role(row):
            return row.task, {}
        sprint = self._sprint(row.sprint_id or "")
        plan = SprintPlan.model_validate(sprint.data["plan"])
        done: list[str] = []
        artifacts: dict[str, dict[str, str]] = {}
        for dep_id in row.depends_on or []:
            dep = s.store.task(dep_id)
            if dep is None:
                continue
            if dep.summary:
                done.append(f"- {dep.id}: {dep.summary.strip()[:1500]}")
            plan_id = dep.id.removeprefix(f"{sprint.id}-")
            published = next((t.publishes for t in plan.tasks if t.id == plan_id), list[str]())
            if published and dep.branch:
                files = await asyncio.to_thread(read_published, s.repo_root, dep.branch, published)
                if files:
                    artifacts[plan_id] = files
        text = row.task
        waiting = self.messages.waiting_for(row.id)
        if waiting:
            text += (
                "\n\n## Messages from other agents of the sprint (sent before you started)\n\n"
                + "\n".join(waiting)
            )
        if done:
            text += "\n\n## What the tasks you waited for did\n\n" + "\n".join(done)
        if artifacts:
            text += "\n\n" + context_section(artifacts)
            passed = dict(sprint.data.get("artifacts") or {})
            passed[row.id] = {plan_id: sorted(files) for plan_id, files in artifacts.items()}
            s.store.update_sprint(sprint.id, artifacts=passed)
        return text, artifacts

    def role_of(self, row: TaskRow) -> str | None:
        if not row.sprint_id:
            return None
        if row.id == row.sprint_id:
            return "integrator"
        sprint = self.session.store.sprint(row.sprint_id)
        if sprint is None:
            return None
        plan_id = row.id.removeprefix(f"{row.sprint_id}-")
        for task in sprint.data.get("plan", {}).get("tasks", []):
            if task["id"] == plan_id:
                return task["role"]
        return None

    def verifier_for(self, row: TaskRow):
        """The integration is verified with the plan's test command when the project configures none."""
        from agentdeck.runtime.verification import Verifier

        s = self.session
        sprint = s.store.sprint(row.sprint_id or "") if self.is_integration(row) else None
        if sprint is None or s.settings.test_command or not test_command_of(s, sprint):
            return None
        command = test_command_of(s, sprint)
        settings = s.settings.model_copy(update={"test_command": command})
        return Verifier(s.repo_root, settings, s.publish)

    def landed(self, task_ids: list[str], target: str, commit: str) -> None:
        """After a sprint's integration merged: its role tasks landed with it (all or nothing)."""
        s = self.session
        for task_id in task_ids:
            row = s.store.task(task_id)
            if row is None or not self.is_integration(row):
                continue
            for part in s.store.tasks():
                if self.is_role(part) and part.sprint_id == row.id and part.state.awaits_decision:
                    s.tasks.set_state(
                        part,
                        TaskState.MERGED,
                        f"merged into {target} with sprint {row.id}",
                        decision=MergedDecision(
                            kind="merged", ts=time.time(), into=target, commit=commit, method="sprint"
                        ),
                    )
            s.store.update_sprint(row.id, state=SprintState.MERGED, reason=f"merged into {target}")

    # -- the integration run ---------------------------------------------------------------

    async def run_integration(self, row: TaskRow) -> None:
        """Merge the role branches into `agentdeck/<sprint id>`, then hand the result to verification.

        Whatever goes wrong ends the task as "needs you" with the reason: it never stays running
        with no agent behind it."""
        try:
            await self._run_integration(row)
        except Exception as exc:  # noqa: BLE001 - the sprint must say what stopped it
            self._needs_you(row, f"the integration stopped: {type(exc).__name__}: {exc}", None)

    async def _run_integration(self, row: TaskRow) -> None:
        from agentdeck.runtime import task_start
        from agentdeck.workspace import create_task_workspace, open_repository, open_task_workspace

        s = self.session
        sprint = self._sprint(row.id)
        data = sprint.data
        plan = SprintPlan.model_validate(data["plan"])
        try:
            repo = await asyncio.to_thread(open_repository, s.repo_root)
            if row.resume or row.branch:
                workspace = await asyncio.to_thread(open_task_workspace, repo, row.id)
            else:
                workspace = await asyncio.to_thread(
                    create_task_workspace, repo, row.id, s.settings.worktrees_dir, data["base_commit"]
                )
            s.store.update_task(
                row.id,
                branch=workspace.branch,
                worktree=str(workspace.path),
                base_commit=data["base_commit"],
                base_branch=data.get("base_branch"),
                plan=f"{plan_table(plan)}\n\n## Contracts ({data['contracts_path']})\n\n{data['contracts']}",
            )
            parts: list[Part] = []
            for plan_id in plan.order():
                part = s.store.task(data["tasks"][plan_id])
                if part is None or part.state.fails_dependants or not part.branch:
                    continue  # dropped from the sprint
                parts.append(Part(task_id=part.id, role=plan.task(plan_id).role, branch=part.branch))
            client = task_start.client_for(self.role_for("executor", data.get("model")), s.settings)
            resolve = resolver_for(client, plan.feature, data["contracts"])
            s.store.update_sprint(sprint.id, state=SprintState.INTEGRATING, reason="")
            result = await integrate(
                s.repo_root, sprint.id, data["contracts_commit"], parts, resolve, asyncio.to_thread
            )
        except Exception as exc:  # noqa: BLE001 - the sprint must say what stopped it
            self._needs_you(row, f"the integration could not run: {type(exc).__name__}: {exc}", None)
            return
        resolutions = [vars(r) for r in result.resolutions]
        for resolution in result.resolutions:
            s.publish(
                ConflictResolved(
                    task_id=row.id,
                    agent_id=row.id,
                    sprint_id=sprint.id,
                    path=resolution.path,
                    between=resolution.between,
                    why=resolution.why,
                    commit=resolution.commit,
                )
            )
        s.store.update_sprint(sprint.id, steps=result.steps, resolutions=resolutions, unresolved=None)
        if result.unresolved is not None:
            u = result.unresolved
            reason = (
                f"needs you: the conflict in {u.path} between {' and '.join(u.between)} could not be resolved "
                f"({u.reason}); main is untouched: `agentdeck sprint show {sprint.id}` shows the hunks"
            )
            self._needs_you(row, reason, vars(u))
            return
        assert result.tip is not None  # only an unresolved conflict leaves no tip, and it returned above
        if s.cancel_requested(row.id):
            s.tasks.set_state(
                s.tasks.get(row.id),
                TaskState.CANCELLED,
                f"cancelled by the user during the integration; its branch {workspace.branch} is kept",
            )
            s.store.update_sprint(sprint.id, state=SprintState.CANCELLED, reason="cancelled by the user")
            return
        kept = await asyncio.to_thread(move_worktree, workspace.path, result.tip)
        summary = f"Integrated {len(parts)} role branches of sprint {sprint.id}" + (
            f"; resolved {len(resolutions)} conflict(s)" if resolutions else ""
        )
        if kept:
            summary += f"; the branch's earlier commits are kept at {kept}"
        try:
            fixed = await fix_if_broken(s, row, self._sprint(sprint.id), workspace)
        except Exception as exc:  # noqa: BLE001 - verification still shows the whole as it is
            fixed = f"the tests could not run on the merged tree before verification ({type(exc).__name__}: {exc})"
        if fixed:
            summary += f"; {fixed}"
        current = s.tasks.get(row.id)
        if s.settings.review.verify:
            s.tasks.set_state(
                current,
                TaskState.VERIFYING,
                "integrated; the tests and the judge run on the whole",
                summary=summary,
                resume=False,
            )
            s.start_verification(s.tasks.get(row.id))
            s.store.update_sprint(sprint.id, state=SprintState.VERIFYING, reason="")
        else:
            s.tasks.set_state(current, TaskState.FINISHED, "integrated", summary=summary, resume=False)
            s.store.update_sprint(sprint.id, state=SprintState.READY, reason="")

    def _needs_you(self, row: TaskRow, reason: str, unresolved: dict[str, Any] | None) -> None:
        s = self.session
        s.tasks.set_state(s.tasks.get(row.id), TaskState.FAILED, reason, error=reason, resume=False)
        s.store.update_sprint(row.id, state=SprintState.NEEDS_YOU, reason=reason, unresolved=unresolved)

    # -- what status and review show ---------------------------------------------------------

    def describe(self, sprint: SprintRow) -> SprintDetails:
        """The sprint as status, review and `agentdeck sprint show` present it."""
        return describe_sprint(
            sprint, [row for row in self.session.store.tasks() if row.sprint_id == sprint.id]
        )

    def details(self, sprint_id: str) -> SprintDetails:
        """One sprint in full (CommandError when there is none)."""
        return self.describe(self._sprint(sprint_id))

    def _sprint(self, sprint_id: str) -> SprintRow:
        sprint = self.session.store.sprint(sprint_id)
        if sprint is None:
            raise CommandError(f"unknown sprint {sprint_id!r}: `agentdeck sprint list` shows the sprints")
        return sprint

    def role_for(self, name: str, model: str | None) -> ModelRole:
        """The model role `name` (planner, executor) plays in a sprint started with `--model`."""
        return self.session.settings.role(name).with_model(model)


def _head_branch(repo_root: Path) -> str | None:
    import pygit2

    repo = pygit2.Repository(str(repo_root))
    return None if repo.head_is_detached else repo.head.shorthand
