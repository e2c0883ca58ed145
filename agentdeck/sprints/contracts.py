"""The contracts step: the shared interfaces written down and committed before any role agent starts.

One model turn (no tools) writes CONTRACTS.md from the feature and the plan; it is committed,
with the plan as plan.json, on the sprint's base branch `agentdeck/sprint-<id>-contracts`,
made from your HEAD's commit. Every role task branches from that commit, so each agent sees
the same contracts in its worktree. Only refs and objects are written: your working tree,
index and HEAD stay as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pygit2

from agentdeck.llm.types import Message, ModelClient
from agentdeck.sprints.plan import SprintPlan
from agentdeck.workspace.checkpoints import signature
from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.naming import BRANCH_PREFIX
from agentdeck.workspace.repository import commit_at

# Must match agentdeck.llm.demo.SPRINT_CONTRACTS_HEADING: the demo model writes contracts on it.
CONTRACTS_HEADING = "# Sprint contracts request"
SPRINTS_DIR = ".agentdeck/sprints"

CONTRACTS_SYSTEM = """\
You write the interface contracts of a sprint before its agents start: the data shapes, function
and class signatures, file names, command names and constants that more than one task relies on.
Be exact (names, argument order, types, return values, error behaviour) and brief; no implementation.
Reply with the Markdown of CONTRACTS.md only.
"""


def contracts_dir(sprint_id: str) -> str:
    return f"{SPRINTS_DIR}/{sprint_id}"


def contracts_path(sprint_id: str) -> str:
    return f"{contracts_dir(sprint_id)}/CONTRACTS.md"


def contracts_branch(sprint_id: str) -> str:
    return f"{BRANCH_PREFIX}{sprint_id}-contracts"


def plan_table(plan: SprintPlan) -> str:
    """The plan as a Markdown table (also what the CLI prints)."""
    lines = ["| task | role | depends on | files | acceptance |", "| --- | --- | --- | --- | --- |"]
    for task in plan.tasks:
        lines.append(
            f"| {task.id} | {task.role} | {', '.join(task.depends_on) or '—'} | {', '.join(task.files)} | "
            f"{task.acceptance} |"
        )
    return "\n".join(lines)


def contracts_messages(plan: SprintPlan) -> list[Message]:
    briefs = "\n".join(f"- {task.id} ({task.role}): {task.brief}" for task in plan.tasks)
    user = (
        f"{CONTRACTS_HEADING}\n\n## The feature\n\n{plan.feature}\n\n## The plan\n\n{plan_table(plan)}\n\n"
        f"## Briefs\n\n{briefs}"
    )
    return [{"role": "system", "content": CONTRACTS_SYSTEM}, {"role": "user", "content": user}]


async def write_contracts(model: ModelClient, plan: SprintPlan) -> str:
    """The contracts text from one model turn; a stub naming the plan when the model wrote nothing."""
    reply = await model.stream_turn(contracts_messages(plan), [], lambda _text: None)
    text = reply.text.strip()
    if not text:
        text = f"# Contracts\n\nThe model wrote no contracts for: {plan.feature}\n"
    return text + "\n"


@dataclass(frozen=True)
class ContractsCommit:
    branch: str
    commit: str  # what every role task branches from
    base: str  # your HEAD's commit it was made on


def commit_contracts(repo_root: Path, sprint_id: str, contracts: str, plan: SprintPlan) -> ContractsCommit:
    """Commit CONTRACTS.md and plan.json on a new branch from HEAD's commit (blocking: call it in a thread)."""
    repo = pygit2.Repository(str(repo_root))
    if repo.head_is_unborn:
        raise WorkspaceError(f"{repo_root} has no commits yet: make a first commit so the sprint has a base")
    branch = contracts_branch(sprint_id)
    if repo.lookup_branch(branch) is not None:
        raise WorkspaceError(f"branch {branch} already exists: delete it or start the sprint again")
    head = repo.head.peel(pygit2.Commit)
    index = pygit2.Index()
    index.read_tree(head.tree)
    files = {
        contracts_path(sprint_id): contracts,
        f"{contracts_dir(sprint_id)}/plan.json": json.dumps(plan.model_dump(mode="json"), indent=2) + "\n",
    }
    for path, text in files.items():
        index.add(pygit2.IndexEntry(path, repo.create_blob(text.encode()), pygit2.enums.FileMode.BLOB))
    tree = index.write_tree(repo)
    author = signature(repo)
    message = f"Sprint {sprint_id}: contracts and plan for {plan.feature[:60]}\n\nWritten before the role agents start; each branches from this commit.\n"
    commit = repo.create_commit(None, author, author, message, tree, [head.id])
    repo.create_branch(branch, commit_at(repo, commit))
    return ContractsCommit(branch=branch, commit=str(commit), base=str(head.id))
