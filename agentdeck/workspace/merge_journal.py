"""A merge that a crash cut in half is finished on the next start: the merge journal.

Landing a merge is three writes: the checked-out base branch's files, the base branch ref,
then the tasks' state in the store. A kill -9 between them would leave the base branch
moved with the tasks still "finished", or — worse — a checkout whose files are the merge's
while its branch still names the old tip. So before the first write, `begin` records the
plan (old tip, new tip, the tasks) in a small JSON file, written atomically; `done`
removes it once the tasks are marked. On the next start `complete` reads a leftover journal
and rolls the merge FORWARD — the person asked for it and its commits already exist — when
that is safe: the base branch is at the old tip or the new one, and every file the merge
changes holds either its old or its new content. Otherwise it writes nothing and says why.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pygit2
from pygit2.enums import CheckoutStrategy

from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.merging import Method
from agentdeck.workspace.repository import tree_changes

JOURNAL_NAME = "merge-in-progress.json"


@dataclass
class MergeIntent:
    """What a merge was about to land: enough to finish it after a crash."""

    target: str
    old_tip: str
    new_tip: str
    # task id → the step's method ("fast-forward", "merge commit", "already merged")
    methods: dict[str, Method] = field(default_factory=dict[str, Method])
    together: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Recovery:
    """The outcome of `complete`: `landed` True when the base branch now has the merge."""

    intent: MergeIntent
    landed: bool
    reason: str


def journal_path(session_dir: Path) -> Path:
    return Path(session_dir) / JOURNAL_NAME


def begin(session_dir: Path, intent: MergeIntent) -> None:
    """Write the journal durably (temp file, fsync, rename) before anything is landed."""
    path = journal_path(session_dir)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as handle:
        json.dump(asdict(intent), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def done(session_dir: Path) -> None:
    journal_path(session_dir).unlink(missing_ok=True)


def pending(session_dir: Path) -> MergeIntent | None:
    path = journal_path(session_dir)
    try:
        return MergeIntent(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:  # torn before the rename cannot happen; a hand edit can
        raise WorkspaceError(
            f"the merge journal {path} is unreadable ({exc}): check `git log` of the base branch, then delete it"
        ) from exc


def complete(repo_root: Path, intent: MergeIntent, reflog: str) -> Recovery:
    """Finish an interrupted landing in git (files, then ref), or explain why it is left alone."""
    from agentdeck.workspace.merging import checkout_of

    repo = pygit2.Repository(str(repo_root))
    ref = repo.lookup_branch(intent.target)
    if ref is None:
        return Recovery(intent, False, f"branch {intent.target} no longer exists; nothing was changed")
    tip = str(ref.target)
    if tip not in (intent.old_tip, intent.new_tip):
        return Recovery(
            intent,
            False,
            f"{intent.target} moved since (now {tip[:10]}); the merge was not finished — merge again",
        )
    checkout = checkout_of(repo, intent.target)
    if checkout is not None and intent.new_tip != intent.old_tip:
        tree_repo = pygit2.Repository(str(checkout))
        old_object, new_object = repo.get(intent.old_tip), repo.get(intent.new_tip)
        if old_object is None or new_object is None:
            return Recovery(
                intent, False, "a commit the journal names is not in the repository; nothing was changed"
            )
        old, new = old_object.peel(pygit2.Commit), new_object.peel(pygit2.Commit)
        paths = _changed(repo, old, new)
        stray = [p for p in paths if not _holds(checkout / p, old, new, p)]
        if stray:
            return Recovery(
                intent,
                False,
                f"{checkout} has other changes in {', '.join(stray[:5])}; the merge was not finished — merge again",
            )
        # Every file the merge touches is old or new: bring the rest along (FORCE on those paths only).
        tree_repo.checkout_tree(tree_repo.get(intent.new_tip), strategy=CheckoutStrategy.FORCE, paths=paths)
    if tip != intent.new_tip:
        ref.set_target(pygit2.Oid(hex=intent.new_tip), reflog)
    return Recovery(
        intent,
        True,
        f"finished after the session daemon was killed mid-merge; {intent.target} is at {intent.new_tip[:10]}",
    )


def _changed(repo: pygit2.Repository, old: pygit2.Commit, new: pygit2.Commit) -> list[str]:
    diff = tree_changes(old, new)
    return sorted({p for d in diff.deltas for p in (d.old_file.path, d.new_file.path)})


def _holds(path: Path, old: pygit2.Commit, new: pygit2.Commit, name: str) -> bool:
    """True when the file on disk is the old or the new version (absent counts when it is absent there)."""
    try:
        data: bytes | None = path.read_bytes()
    except FileNotFoundError:
        data = None
    return data in (_blob(old, name), _blob(new, name))


def _blob(commit: pygit2.Commit, name: str) -> bytes | None:
    try:
        entry = commit.tree[name]
    except KeyError:
        return None
    return entry.data if isinstance(entry, pygit2.Blob) else None
