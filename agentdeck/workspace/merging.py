"""Landing task branches on their base branch without losing anything (pygit2 only).

Two steps. `plan_merge` merges in memory: fast-forward when possible, otherwise a merge
commit whose objects are written but which no ref points at yet; a conflict stops it and
lists the files, and several branches are also checked against each other pair by pair.
`land` then moves the base branch to the planned commit — and, when that branch is
checked out in a working tree, brings the tree along with a safe checkout, after
refusing if the tree has uncommitted changes. Nothing but the base branch ref (and that
tree, when clean) is ever written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Literal

import pygit2
from pygit2.enums import CheckoutStrategy, FileStatus

from agentdeck.faults import fault_point
from agentdeck.workspace.checkpoints import signature
from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.naming import BRANCH_PREFIX, base_ref
from agentdeck.workspace.repository import commit_at, tree_changes

Method = Literal["fast-forward", "merge commit", "already merged"]
MAX_DIRTY_SHOWN = 5


@dataclass(frozen=True)
class Conflict:
    """One file that two sides changed incompatibly."""

    path: str
    between: tuple[str, str]
    kind: str = "changed on both sides"


@dataclass(frozen=True)
class MergeStep:
    branch: str
    method: Method
    commit: str  # the base branch's tip after this step


@dataclass
class MergePlan:
    """What landing the branches would do; `new_tip` is None when a conflict stopped it."""

    target: str
    old_tip: str
    new_tip: str | None
    steps: list[MergeStep] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    # Between the selected branches themselves, pair by pair (integration pass only).
    pair_conflicts: list[Conflict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.new_tip is not None


@dataclass(frozen=True)
class Landing:
    target: str
    commit: str
    # The working tree brought up to date, when the target branch is checked out in one.
    checkout: Path | None


def plan_merge(
    repo_root: Path, target: str, branches: list[str], messages: dict[str, str] | None = None
) -> MergePlan:
    """Merge `branches` into `target` in memory, in order; no ref and no working tree is touched."""
    repo = _open(repo_root)
    start = _tip(repo, target)
    plan = MergePlan(target=target, old_tip=str(start.id), new_tip=None)
    if len(branches) > 1:
        plan.pair_conflicts = pair_conflicts(repo, branches)
    current = start
    for branch in branches:
        theirs = _tip(repo, branch)
        if current.id == theirs.id or repo.descendant_of(current.id, theirs.id):
            plan.steps.append(MergeStep(branch, "already merged", str(current.id)))
            continue
        if repo.descendant_of(theirs.id, current.id):
            current = theirs
            plan.steps.append(MergeStep(branch, "fast-forward", str(current.id)))
            continue
        index = repo.merge_commits(current, theirs)
        if index.conflicts is not None:
            side = (
                target if current.id == start.id else f"{target} + {', '.join(s.branch for s in plan.steps)}"
            )
            plan.conflicts = _conflicts(index, (side, branch))
            return plan
        tree = index.write_tree(repo)
        author = signature(repo)
        message = (messages or {}).get(branch) or f"Merge branch '{branch}' into {target}"
        new_id = repo.create_commit(
            None, author, author, message.rstrip("\n") + "\n", tree, [current.id, theirs.id]
        )
        current = commit_at(repo, new_id)
        plan.steps.append(MergeStep(branch, "merge commit", str(current.id)))
    plan.new_tip = str(current.id)
    return plan


def pair_conflicts(repo: pygit2.Repository, branches: list[str]) -> list[Conflict]:
    """Files that each pair of `branches` would conflict on if merged together."""
    found: list[Conflict] = []
    for first, second in combinations(branches, 2):
        a, b = _tip(repo, first), _tip(repo, second)
        if a.id == b.id or repo.descendant_of(a.id, b.id) or repo.descendant_of(b.id, a.id):
            continue
        index = repo.merge_commits(a, b)
        if index.conflicts is not None:
            found.extend(_conflicts(index, (first, second)))
    return found


class MergeRefused(WorkspaceError):
    """`land` refused before writing anything: the merge journal can go, nothing needs finishing."""


def land(repo_root: Path, plan: MergePlan, reflog: str) -> Landing:
    """Move the target branch to the planned tip, and its clean checkout (if any) with it."""
    if plan.new_tip is None:
        raise MergeRefused("the merge has conflicts: nothing was written")
    repo = _open(repo_root)
    ref_name = f"refs/heads/{plan.target}"
    if str(_tip(repo, plan.target).id) != plan.old_tip:
        raise MergeRefused(
            f"{plan.target} moved while the merge was prepared; nothing was written: merge again"
        )
    checkout = checkout_of(repo, plan.target)
    new_commit = commit_at(repo, plan.new_tip)
    if checkout is not None and plan.new_tip != plan.old_tip:
        tree_repo = _open(checkout)
        try:
            check_clean(tree_repo, plan.target, checkout, _changed_paths(repo, plan.old_tip, plan.new_tip))
        except WorkspaceError as exc:
            raise MergeRefused(str(exc)) from None
        # SAFE: libgit2 checks every file first and writes nothing when one would be overwritten;
        # an I/O error partway (a full disk) can still leave some files written: the caller's
        # merge journal finishes those (merge_journal.complete), so that is not a refusal.
        tree_repo.checkout_tree(tree_repo.get(plan.new_tip), strategy=CheckoutStrategy.SAFE)
    fault_point("merge:before-ref-update")
    if plan.new_tip != plan.old_tip:
        repo.lookup_reference(ref_name).set_target(new_commit.id, reflog)
    return Landing(target=plan.target, commit=plan.new_tip, checkout=checkout)


def checkout_of(repo: pygit2.Repository, branch: str) -> Path | None:
    """The working tree (yours, or a linked worktree) that has `branch` checked out, if any."""
    ref_name = f"refs/heads/{branch}"
    candidates: list[Path] = []
    if repo.workdir:
        candidates.append(Path(repo.workdir))
    for name in repo.list_worktrees():
        path = Path(repo.lookup_worktree(name).path)
        if path.is_dir():
            candidates.append(path)
    for path in candidates:
        try:
            other = pygit2.Repository(str(path))
        except pygit2.GitError:
            continue
        if not other.head_is_unborn and not other.head_is_detached and other.head.name == ref_name:
            return path
    return None


def check_clean(
    tree_repo: pygit2.Repository, branch: str, path: Path, incoming: set[str] | None = None
) -> None:
    """Refuse when the tree has uncommitted changes, or untracked files where the merge would write."""
    dirty = []
    for name, flags in tree_repo.status(untracked_files="all", ignored=False).items():
        if flags in (FileStatus.CURRENT, FileStatus.IGNORED):
            continue
        if flags == FileStatus.WT_NEW and (incoming is None or name not in incoming):
            continue  # untracked and out of the merge's way: it stays as it is
        dirty.append(name)
    if dirty:
        shown = ", ".join(sorted(dirty)[:MAX_DIRTY_SHOWN]) + (
            f" and {len(dirty) - MAX_DIRTY_SHOWN} more" if len(dirty) > MAX_DIRTY_SHOWN else ""
        )
        raise WorkspaceError(
            f"{branch} is checked out in {path} with uncommitted changes ({shown}): commit or stash them, "
            "then merge again; nothing was merged"
        )


def merged_into_head(repo_root: Path, branches: list[str]) -> dict[str, str]:
    """The branches among `branches` that need no merge into your HEAD any more, with the reason."""
    repo = pygit2.Repository(str(repo_root))
    if repo.head_is_unborn:
        return {}
    head = repo.head.target
    merged: dict[str, str] = {}
    for name in branches:
        branch = repo.lookup_branch(name)
        if branch is None:
            continue
        tip = branch.target
        base = repo.references.get(base_ref(name.removeprefix(BRANCH_PREFIX)))
        if base is not None and base.target == tip:
            merged[name] = f"it changed nothing, so {name} has nothing to merge"
        elif tip == head or repo.descendant_of(head, tip):
            merged[name] = f"its branch {name} is merged into your HEAD"
    return merged


def _changed_paths(repo: pygit2.Repository, old: str, new: str) -> set[str]:
    diff = tree_changes(commit_at(repo, old), commit_at(repo, new))
    return {path for delta in diff.deltas for path in (delta.old_file.path, delta.new_file.path)}


def _conflicts(index: pygit2.Index, between: tuple[str, str]) -> list[Conflict]:
    found = {}
    for ancestor, ours, theirs in index.conflicts or ():
        entry = ours or theirs or ancestor
        if entry is None:  # the typing allows it; a conflict always has a side
            continue
        if ours is None or theirs is None:
            kind = "deleted on one side, changed on the other"
        elif ancestor is None:
            kind = "added on both sides"
        else:
            kind = "changed on both sides"
        found[str(entry.path)] = Conflict(str(entry.path), between, kind)
    return [found[path] for path in sorted(found)]


def _tip(repo: pygit2.Repository, branch: str) -> pygit2.Commit:
    ref = repo.lookup_branch(branch)
    if ref is None:
        raise WorkspaceError(f"branch {branch} does not exist: nothing to merge")
    return ref.peel(pygit2.Commit)


def _open(path: Path) -> pygit2.Repository:
    try:
        return pygit2.Repository(str(path))
    except pygit2.GitError as exc:
        raise WorkspaceError(f"cannot open the repository at {path}: {exc}") from exc
