"""The integration pass: every role branch merged, in dependency order, onto the contracts commit.

Merges are made in memory (pygit2), so nothing but the integration branch moves. A conflict
goes to the integrator (a model with two tools: resolve the file, or say it cannot); each
resolved merge is one commit whose message says, file by file, what was chosen and why. A
conflict the integrator cannot resolve stops the pass with the conflicting hunks, and no
branch is moved.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

import pygit2
from pygit2.enums import FileMode, ResetMode

from agentdeck.llm.types import Message, ModelClient
from agentdeck.workspace.checkpoints import signature
from agentdeck.workspace.cleanup import KEPT_REF_PREFIX

# Must match agentdeck.llm.demo.SPRINT_CONFLICT_HEADING: the demo model resolves conflicts on it.
CONFLICT_HEADING = "# Sprint conflict to resolve"
MAX_CONFLICT_CHARS = 40_000

INTEGRATOR_SYSTEM = """\
You are the integration agent of a sprint: several agents built parts of one feature on separate
branches, and merging two of them conflicted in one file. Resolve the file so that both parts work
together as the contracts say; keep what each side added unless they truly contradict. Call
resolve_conflict with the whole resolved file (no conflict markers) and one sentence on what you
chose and why; call cannot_resolve when the two sides cannot both be right, saying why.
"""

RESOLVER_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "resolve_conflict",
            "description": "The whole file, resolved, with what was chosen and why.",
            "parameters": {
                "type": "object",
                "properties": {"content": {"type": "string"}, "why": {"type": "string"}},
                "required": ["content", "why"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "cannot_resolve",
            "description": "The two sides cannot both be right: a person must decide.",
            "parameters": {
                "type": "object",
                "properties": {"reason": {"type": "string"}},
                "required": ["reason"],
            },
        },
    },
]


@dataclass(frozen=True)
class Part:
    """One role task's branch, as the integration merges it."""

    task_id: str
    role: str
    branch: str


@dataclass
class Resolution:
    path: str
    between: list[str]
    why: str
    commit: str = ""


@dataclass
class Unresolved:
    path: str
    between: list[str]
    reason: str
    hunks: str


@dataclass
class IntegrationResult:
    tip: str | None  # None when a conflict stopped the pass
    # {"task_id", "role", "method", and "commit" for a merge}
    steps: list[dict[str, str]] = field(default_factory=list[dict[str, str]])
    resolutions: list[Resolution] = field(default_factory=list)
    unresolved: Unresolved | None = None


Resolver = Callable[[str, str, list[str]], Awaitable[tuple[str, str] | str]]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class Runner(Protocol):
    """How blocking git work runs: `asyncio.to_thread`, or inline in tests."""

    def __call__(self, fn: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> Awaitable[_R]: ...


def resolver_for(model: ModelClient, feature: str, contracts: str) -> Resolver:
    """A resolver asking `model`: (content, why) when it resolved the file, the reason (str) when it could not."""

    async def resolve(path: str, marked: str, between: list[str]) -> tuple[str, str] | str:
        messages: list[Message] = [
            {"role": "system", "content": INTEGRATOR_SYSTEM},
            {
                "role": "user",
                "content": (
                    f"{CONFLICT_HEADING}\n\n## The feature\n\n{feature}\n\n## Contracts\n\n{contracts[:8000]}\n\n"
                    f"## The conflict\n\nFile `{path}`, between {between[0]} (ours) and {between[1]} (theirs):\n\n"
                    f"```\n{marked[:MAX_CONFLICT_CHARS]}\n```"
                ),
            },
        ]
        reply = await model.stream_turn(messages, RESOLVER_TOOLS, lambda _text: None)
        for call in reply.tool_calls:
            try:
                args = json.loads(call.arguments or "{}")
            except json.JSONDecodeError:
                continue
            if call.name == "resolve_conflict" and isinstance(args.get("content"), str):
                if "<<<<<<<" in args["content"] or ">>>>>>>" in args["content"]:
                    return "the integrator's resolution still had conflict markers"
                return args["content"], str(args.get("why") or "no reason given")
            if call.name == "cannot_resolve":
                return str(args.get("reason") or "no reason given")
        return f"the integrator did not resolve it ({(reply.text or 'no reply').strip()[:200]})"

    return resolve


async def integrate(
    repo_root: Path, sprint_id: str, start: str, parts: list[Part], resolve: Resolver, run: Runner
) -> IntegrationResult:
    """Merge `parts` in order onto commit `start`; `run(fn, *args)` runs blocking git work (a thread)."""
    repo = pygit2.Repository(str(repo_root))
    current = start
    result = IntegrationResult(tip=None)
    for part in parts:
        theirs = await run(_tip, repo, part.branch)
        if theirs == current or await run(repo.descendant_of, current, theirs):
            result.steps.append({"task_id": part.task_id, "role": part.role, "method": "nothing new"})
            continue
        if await run(repo.descendant_of, theirs, current):
            current = theirs
            result.steps.append({"task_id": part.task_id, "role": part.role, "method": "fast-forward"})
            continue
        index = await run(repo.merge_commits, current, theirs)
        resolved: list[Resolution] = []
        side = f"the sprint so far ({', '.join(s['role'] for s in result.steps) or 'contracts'})"
        between = [side, f"{part.role} ({part.task_id})"]
        if index.conflicts is not None:
            for path, marked, mode in await run(_marked_conflicts, repo, index):
                if marked is None:
                    # Text written back by a model would corrupt it: a person merges a binary file.
                    why = "a binary file: the integrator resolves text only; merge this file by hand"
                    result.unresolved = Unresolved(path, between, why, BINARY_HUNKS)
                    return result
                answer = await resolve(path, marked, between)
                if isinstance(answer, str):
                    result.unresolved = Unresolved(path, between, answer, marked)
                    return result
                content, why = answer
                await run(_take, repo, index, path, content, mode)
                resolved.append(Resolution(path, between, why))
        message = f"Sprint {sprint_id}: merge {part.role} ({part.branch})\n"
        if resolved:
            message += "\nResolved conflicts:\n" + "".join(f"- {r.path}: {r.why}\n" for r in resolved)
        current = await run(_commit, repo, index, message, [current, theirs])
        for resolution in resolved:
            resolution.commit = current
        result.resolutions.extend(resolved)
        method = "merge commit, conflicts resolved" if resolved else "merge commit"
        result.steps.append({"task_id": part.task_id, "role": part.role, "method": method, "commit": current})
    result.tip = current
    return result


# What `sprint show` prints as the hunks of a binary file's conflict.
BINARY_HUNKS = "(a binary file: no text hunks to show)"


def move_worktree(worktree: Path, commit: str) -> str | None:
    """Point the integration worktree's branch at `commit` and check it out (the tree is ours, unshared).

    A retried integration starts again from the contracts: commits the branch had that the new
    tip lacks (an earlier integration's fixes, yours) would be lost, so they get a ref first,
    which is returned (None when nothing needed keeping)."""
    tree_repo = pygit2.Repository(str(worktree))
    target = pygit2.Oid(hex=commit)
    kept = None
    if not tree_repo.head_is_unborn:
        old = tree_repo.head.target
        if old != target and not tree_repo.descendant_of(target, old):
            branch = tree_repo.head.shorthand.replace("/", "-")
            kept = f"{KEPT_REF_PREFIX}{branch}-{str(old)[:10]}"
            tree_repo.references.create(kept, old, force=True)
    tree_repo.reset(target, ResetMode.HARD)
    return kept


def _tip(repo: pygit2.Repository, branch: str) -> str:
    ref = repo.lookup_branch(branch)
    if ref is None:
        raise ValueError(f"branch {branch} does not exist")
    return str(ref.target)


def _marked_conflicts(repo: pygit2.Repository, index: pygit2.Index) -> list[tuple[str, str | None, FileMode]]:
    """Each conflicted file with its conflict markers; None for a binary file (no text to mark)."""
    found: list[tuple[str, str | None, FileMode]] = []
    for ancestor, ours, theirs in list(index.conflicts or []):
        entry = ours or theirs or ancestor
        if entry is None:
            continue
        mode = FileMode(entry.mode) if entry.mode else FileMode.BLOB
        if any(_is_binary(repo, side) for side in (ancestor, ours, theirs)):
            found.append((str(entry.path), None, mode))
            continue
        if ours is None or theirs is None:
            blob = repo.get(entry.id)
            text = blob.data.decode("utf-8", "replace") if isinstance(blob, pygit2.Blob) else ""
            marked = f"<<<<<<< deleted on one side, changed on the other\n{text}>>>>>>>\n"
        else:
            merged = repo.merge_file_from_index(ancestor, ours, theirs)
            marked = str(merged) if isinstance(merged, str) else merged.contents
        found.append((str(entry.path), marked, mode))
    return found


def _is_binary(repo: pygit2.Repository, entry: pygit2.IndexEntry | None) -> bool:
    blob = repo.get(entry.id) if entry is not None else None
    return isinstance(blob, pygit2.Blob) and blob.is_binary


def _take(repo: pygit2.Repository, index: pygit2.Index, path: str, content: str, mode: FileMode) -> None:
    if index.conflicts is not None:
        del index.conflicts[path]
    index.add(pygit2.IndexEntry(path, repo.create_blob(content.encode()), mode))


def _commit(repo: pygit2.Repository, index: pygit2.Index, message: str, parents: list[str]) -> str:
    tree = index.write_tree(repo)
    author = signature(repo)
    return str(repo.create_commit(None, author, author, message, tree, [pygit2.Oid(hex=p) for p in parents]))
