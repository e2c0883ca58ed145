"""Committing everything in a task worktree, and measuring what a task changed."""

from __future__ import annotations

from pathlib import Path

import pygit2
from pygit2.enums import DeltaStatus

from agentdeck.faults import fault_point
from agentdeck.workspace.errors import WorkspaceError
from agentdeck.workspace.repository import commit_at, tree_changes

FALLBACK_NAME = "agentdeck"
FALLBACK_EMAIL = "agentdeck@localhost"


def signature(repo: pygit2.Repository) -> pygit2.Signature:
    """The repository's configured user, or agentdeck's own identity when none is set."""
    try:
        return repo.default_signature
    except (KeyError, ValueError, pygit2.GitError):
        return pygit2.Signature(FALLBACK_NAME, FALLBACK_EMAIL)


def commit_all(worktree: Path, ref_name: str, message: str) -> str | None:
    """Stage every change in `worktree` and commit it on `ref_name`; None when nothing changed."""
    try:
        repo = pygit2.Repository(str(worktree))
    except pygit2.GitError as exc:
        raise WorkspaceError(f"cannot open the task worktree {worktree}: {exc}") from exc
    # An agent's shell can run `git switch`; committing onto whatever HEAD now names
    # would put its work on the wrong branch.
    if repo.head_is_detached or repo.head.name != ref_name:
        branch = ref_name.removeprefix("refs/heads/")
        raise WorkspaceError(
            f"the task worktree {worktree} is no longer on branch {branch}: run "
            f"`git -C {worktree} switch {branch}` and try again"
        )
    parent = repo.head.peel(pygit2.Commit)
    try:
        index = repo.index
        index.add_all()  # new, modified and deleted files; .gitignore is honoured
        index.write()
        tree_id = index.write_tree()
    except pygit2.GitError as exc:
        raise WorkspaceError(
            f"cannot stage the changes in {worktree}: {exc} (resolve it with git in that directory)"
        ) from exc
    if tree_id == parent.tree_id:
        return None
    if not message.endswith("\n"):
        message += "\n"  # git's own convention for commit messages
    author = signature(repo)
    # A crash here leaves the tree written and the branch at its old tip (the files stay in
    # the worktree for the next checkpoint).
    fault_point("checkpoint:before-ref-update")
    try:
        # Passing the branch ref (not "HEAD") makes libgit2 refuse, in the same locked update,
        # if the tip moved under us (an agent's shell committed): its commit is never dropped.
        oid = repo.create_commit(ref_name, author, author, message, tree_id, [parent.id])
    except pygit2.GitError as exc:
        raise WorkspaceError(
            f"{ref_name} moved while the checkpoint was written ({exc}); the next checkpoint retries"
        ) from exc
    return str(oid)


def tree_diff(repo: pygit2.Repository, base: str, ref_name: str) -> pygit2.Diff:
    """The diff from commit `base` to the commit `ref_name` points at."""
    try:
        base_commit = commit_at(repo, base)
        tip = repo.lookup_reference(ref_name).peel(pygit2.Commit)
    except (KeyError, AttributeError, ValueError, pygit2.GitError) as exc:
        raise WorkspaceError(f"cannot compare {ref_name} with {base}: {exc}") from exc
    return tree_changes(base_commit, tip)


def changed_paths(diff: pygit2.Diff) -> list[str]:
    """Every path the diff touches, sorted; deleted files by their old path."""
    paths = {
        delta.old_file.path if delta.status == DeltaStatus.DELETED else delta.new_file.path
        for delta in diff.deltas
    }
    return sorted(paths)
