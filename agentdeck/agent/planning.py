"""The planning step: the planner model (the slow, thinking one) writes a plan; the executor carries it out.

The planner gets the task, the project's file list, its conventions file and the skills the task
names (in full), and no tools:
one streamed answer, so the plan costs one call and is cheap to show and store.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from agentdeck.agent.handoff import read_conventions
from agentdeck.agent.tools.files import walk_files
from agentdeck.llm.types import Message, ModelClient, OnText, TurnResult

MAX_LISTED_FILES = 300

PLANNER_SYSTEM = (
    "You are the planner for a coding agent that will work in a git worktree of the user's "
    "repository. Write a short, concrete plan for the task: numbered steps, the files each step "
    "touches, and how to check the result (which tests or commands to run). Do not write the code. "
    "Another, faster model will carry out your plan with tools."
)


def list_files(root: Path, limit: int = MAX_LISTED_FILES) -> list[str]:
    """Paths of the worktree's files, as the `list` tool walks them (no .git, caches, escaping links); at most `limit`."""
    return [str(path.relative_to(root)) for path in islice(walk_files(root, root), limit)]


def planning_messages(task: str, worktree: Path, skills: str = "") -> list[Message]:
    files = list_files(worktree)
    more = " (the first ones only)" if len(files) >= MAX_LISTED_FILES else ""
    parts = [f"## The task\n\n{task.strip()}", f"## Files in the repository{more}\n\n" + "\n".join(files)]
    conventions = read_conventions(worktree)
    if conventions:
        parts.append(conventions)
    if skills:
        parts.append(skills)
    return [{"role": "system", "content": PLANNER_SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


async def write_plan(
    model: ModelClient, task: str, worktree: Path, on_text: OnText, skills: str = ""
) -> TurnResult:
    """One planner turn with no tools; its text is the plan. `skills`: the task's named skills in full."""
    return await model.stream_turn(planning_messages(task, worktree, skills), [], on_text)


def task_with_plan(task: str, plan: str) -> str:
    return f"{task.strip()}\n\n## Plan (written by the planner; follow it, adapt where the code says otherwise)\n\n{plan.strip()}"
