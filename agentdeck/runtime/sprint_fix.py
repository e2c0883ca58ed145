"""After the merge, the integration runs the tests on the whole; when they fail, an integration agent fixes it.

The agent is an ordinary agent in the integration worktree (its pane, meter, steer and
interrupt work as for any task), told the failing output, the feature and the contracts. It
gets one run; verification then runs the tests again, so the result in review says whether
the fix worked.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from agentdeck.events import TestsFinished
from agentdeck.runtime.project_tests import run_tests

if TYPE_CHECKING:
    from agentdeck.runtime.session import Session
    from agentdeck.runtime.store import SprintRow, TaskRow
    from agentdeck.workspace import TaskWorkspace

# Must match agentdeck.llm.demo_sprint.SPRINT_FIX_HEADING.
FIX_HEADING = "## The integrated sprint fails its tests"


def test_command_of(session: Session, sprint: SprintRow) -> str | None:
    """The project's test command, or the plan's when the project configures none."""
    return session.settings.test_command or sprint.data.get("plan", {}).get("test_command") or None


async def fix_if_broken(
    session: Session, row: TaskRow, sprint: SprintRow, workspace: TaskWorkspace
) -> str | None:
    """Run the tests on the integrated tree; on a failure, one integration agent run. Its summary, or None."""
    from agentdeck.agent.tools.sandbox import sandbox_policy
    from agentdeck.runtime import task_start
    from agentdeck.workspace import open_repository

    s = session
    command = test_command_of(s, sprint)
    if not command:
        return None
    policy = await asyncio.to_thread(sandbox_policy, s.settings)
    tests = await run_tests(command, workspace.path, s.settings.review.test_timeout_seconds, policy)
    s.publish(TestsFinished(task_id=row.id, agent_id=row.id, tests=tests))
    s.store.update_sprint(sprint.id, merged_tests=tests.model_dump(mode="json"))
    if tests.status not in ("failed", "timeout", "error"):
        return None
    text = (
        f"Sprint {sprint.id}: the role branches of this feature are merged in your worktree, but the tests "
        f"fail on the whole.\n\n{FIX_HEADING}\n\nCommand: `{command}` ({tests.status}: {tests.message})\n\n"
        f"```\n{tests.output_tail[-4000:]}\n```\n\n## The feature\n\n{sprint.feature}\n\n"
        f"## Contracts ({sprint.data['contracts_path']})\n\n{sprint.data['contracts'][:6000]}\n\n"
        "Fix what breaks so the parts work together as the contracts say; change as little as you can. "
        f"Run `{command}` to check, then finish with what you changed and why."
    )
    repo = await asyncio.to_thread(open_repository, s.repo_root)
    role = s.sprints.role_for("executor", sprint.data.get("model"))
    started = await task_start.start_task(repo, s.settings, text, s.bus, role=role, workspace=workspace)
    s.agents[row.id] = started.agent
    try:
        result = await started.agent.run()
    finally:
        s.agents.pop(row.id, None)
    summary = result.summary or result.error or "the integration agent ended without a summary"
    s.store.update_sprint(sprint.id, fix={"status": result.status, "summary": summary})
    return f"the tests failed after the merge ({tests.message}); the integration agent: {summary}"
