"""Opening the user's repository and asking about its state."""

from __future__ import annotations

from pathlib import Path

import pygit2
from pygit2.enums import FileStatus

from agentdeck.workspace.errors import WorkspaceError


def open_repository(path: Path | str) -> pygit2.Repository:
    """Open the non-bare repository containing `path`, which must have at least one commit."""
    start = Path(path).expanduser()
    if not start.exists():
        raise WorkspaceError(f"{start} does not exist: cd into a git repository or pass a path inside one")
    start = start.resolve()
    if not start.is_dir():
        start = start.parent
    try:
        git_dir = pygit2.discover_repository(str(start))
    except pygit2.GitError as exc:
        raise WorkspaceError(f"cannot read the git repository at {start}: {exc}") from exc
    if git_dir is None:
        raise WorkspaceError(
            f"{start} is not inside a git repository: run `git init` and make a first commit, "
            "or cd into a repository"
        )
    try:
        repo = pygit2.Repository(git_dir)
    except pygit2.GitError as exc:
        # Typically libgit2's ownership check; its message names the safe.directory fix.
        raise WorkspaceError(f"cannot open the git repository at {git_dir}: {exc}") from exc
    if repo.is_bare or repo.workdir is None:
        raise WorkspaceError(
            f"{git_dir} is a bare repository: agentdeck needs a working tree, so run it in a clone "
            "with a checkout"
        )
    if repo.head_is_unborn:
        raise WorkspaceError(
            f"{repository_root(repo)} has no commits yet: make a first commit so agents have a base "
            "to branch from"
        )
    return repo


def repository_root(repo: pygit2.Repository) -> Path:
    """The root of the user's working tree."""
    if repo.workdir is None:
        raise WorkspaceError(f"{repo.path} is a bare repository: agentdeck needs a working tree")
    return Path(repo.workdir)


def common_git_dir(repo: pygit2.Repository) -> Path:
    """The git directory shared by all worktrees (repo.path unless `repo` is a linked worktree)."""
    git_dir = Path(repo.path)
    # pygit2 exposes no commondir; a linked worktree's git dir holds a `commondir` file
    # pointing (usually relatively) at the shared one.
    pointer = git_dir / "commondir"
    if pointer.is_file():
        return (git_dir / pointer.read_text(encoding="utf-8").strip()).resolve()
    return git_dir.resolve()


def default_worktrees_dir(repo: pygit2.Repository) -> Path:
    """Where agent worktrees live by default: inside the common git dir, outside the user's tree."""
    return common_git_dir(repo) / "agentdeck" / "worktrees"


def has_changes(repo: pygit2.Repository) -> bool:
    """True when `repo`'s working tree or index differs from HEAD, ignored files aside."""
    # "normal" reports an untracked directory once instead of walking it: we only need a yes/no.
    statuses = repo.status(untracked_files="normal", ignored=False)
    return any(flags not in (FileStatus.CURRENT, FileStatus.IGNORED) for flags in statuses.values())


def user_tree_is_dirty(repo: pygit2.Repository) -> bool:
    """True when the user's tree has staged, unstaged or untracked (not ignored) changes."""
    return has_changes(repo)


def commit_at(repo: pygit2.Repository, rev: str | pygit2.Oid) -> pygit2.Commit:
    """The commit that `rev` (a commit or tag id) names; KeyError when the repository has no such object."""
    found = repo.get(rev)
    if found is None:
        raise KeyError(f"no object {rev} in the repository")
    return found.peel(pygit2.Commit)


def tree_changes(old: pygit2.Commit, new: pygit2.Commit) -> pygit2.Diff:
    """What changed from `old`'s tree to `new`'s (`git diff old new`)."""
    return old.tree.diff_to_tree(new.tree)
