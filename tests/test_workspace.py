"""The workspace package against real git repositories."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import ConfigLevel

from agentdeck.workspace import (
    DiffStats,
    TaskWorkspace,
    WorkspaceError,
    create_task_workspace,
    default_worktrees_dir,
    list_task_workspaces,
    new_task_id,
    open_repository,
    open_task_workspace,
    prune_worktrees,
    remove_task_workspace,
    repository_root,
    user_tree_is_dirty,
)
from tests.support.git_repos import USER_EMAIL, USER_NAME, git, make_repo


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "project")


@pytest.fixture
def repo(user_repo: Path) -> pygit2.Repository:
    return open_repository(user_repo)


def snapshot_files(root: Path) -> dict[str, bytes]:
    """Every file under root except .git, with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def assert_one_line(error: WorkspaceError) -> str:
    message = str(error)
    assert message and "\n" not in message
    return message


# --- opening the repository ------------------------------------------------------------


def test_open_repository_from_subdirectory_finds_working_tree_root(user_repo: Path) -> None:
    repo = open_repository(user_repo / "src")
    assert repository_root(repo) == user_repo


def test_open_repository_outside_git_says_to_git_init_in_one_line(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(WorkspaceError) as info:
        open_repository(plain)
    message = assert_one_line(info.value)
    assert "not inside a git repository" in message and "git init" in message


def test_open_repository_on_missing_path_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError) as info:
        open_repository(tmp_path / "nope")
    assert "does not exist" in assert_one_line(info.value)


def test_open_repository_refuses_bare_repository_in_one_line(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    with pytest.raises(WorkspaceError) as info:
        open_repository(bare)
    assert "bare repository" in assert_one_line(info.value)


def test_open_repository_without_commits_asks_for_first_commit_in_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    with pytest.raises(WorkspaceError) as info:
        open_repository(empty)
    message = assert_one_line(info.value)
    assert "has no commits yet" in message and "first commit" in message


def test_default_worktrees_dir_is_in_common_git_dir_outside_user_tree(
    repo: pygit2.Repository, user_repo: Path
) -> None:
    assert default_worktrees_dir(repo) == user_repo / ".git" / "agentdeck" / "worktrees"


def test_default_worktrees_dir_from_linked_worktree_uses_common_git_dir(
    user_repo: Path, tmp_path: Path
) -> None:
    git(user_repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    linked = open_repository(tmp_path / "side")
    assert repository_root(linked) == tmp_path / "side"
    assert default_worktrees_dir(linked) == user_repo / ".git" / "agentdeck" / "worktrees"


# --- user_tree_is_dirty -------------------------------------------------------------------


def test_clean_user_tree_is_not_dirty(repo: pygit2.Repository) -> None:
    assert user_tree_is_dirty(repo) is False


@pytest.mark.parametrize("change", ["staged", "unstaged", "untracked", "deleted"])
def test_user_tree_is_dirty_for_each_kind_of_change(user_repo: Path, change: str) -> None:
    if change == "staged":
        (user_repo / "README.md").write_text("staged\n")
        git(user_repo, "add", "README.md")
    elif change == "unstaged":
        (user_repo / "README.md").write_text("unstaged\n")
    elif change == "untracked":
        (user_repo / "notes.txt").write_text("new\n")
    else:
        (user_repo / "README.md").unlink()
    assert user_tree_is_dirty(open_repository(user_repo)) is True


def test_ignored_files_do_not_make_user_tree_dirty(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "p", {".gitignore": "build/\n", "a.txt": "a\n"})
    (root / "build").mkdir()
    (root / "build" / "out.bin").write_text("x")
    assert user_tree_is_dirty(open_repository(root)) is False


# --- creating a task workspace ---------------------------------------------------------------


def test_create_makes_branch_and_worktree_outside_user_tree_with_head_files(
    repo: pygit2.Repository, user_repo: Path
) -> None:
    head = git(user_repo, "rev-parse", "HEAD").strip()
    ws = create_task_workspace(repo, "fix-typo-1a2b")

    assert isinstance(ws, TaskWorkspace)
    assert ws.branch == "agentdeck/fix-typo-1a2b"
    assert ws.path == default_worktrees_dir(repo) / "fix-typo-1a2b"
    assert ws.base_commit == head and ws.head() == head
    assert ws.repo_root == user_repo
    assert git(user_repo, "rev-parse", "agentdeck/fix-typo-1a2b").strip() == head
    assert git(user_repo, "rev-parse", "refs/agentdeck/base/fix-typo-1a2b").strip() == head
    # Outside the user's tree as far as git is concerned: nothing new in their status.
    assert git(user_repo, "status", "--porcelain") == ""
    assert snapshot_files(ws.path) == snapshot_files(user_repo)
    assert git(ws.path, "symbolic-ref", "--short", "HEAD").strip() == "agentdeck/fix-typo-1a2b"
    assert git(ws.path, "status", "--porcelain") == ""
    assert str(ws.path) in git(user_repo, "worktree", "list")


def test_create_in_custom_worktrees_dir_creates_missing_parent(
    repo: pygit2.Repository, tmp_path: Path
) -> None:
    ws = create_task_workspace(repo, "t1", worktrees_dir=tmp_path / "trees" / "nested")
    assert ws.path == tmp_path / "trees" / "nested" / "t1"
    assert (ws.path / "README.md").is_file()


def test_create_leaves_dirty_user_tree_byte_identical_and_agent_starts_from_head(
    user_repo: Path,
) -> None:
    committed_readme = (user_repo / "README.md").read_bytes()
    (user_repo / "README.md").write_text("staged edit\n")
    git(user_repo, "add", "README.md")
    (user_repo / "README.md").write_text("staged edit\nthen an unstaged one\n")
    (user_repo / "src" / "app.py").write_text("# unstaged only\n")
    (user_repo / "staged_new.txt").write_text("brand new, staged\n")
    git(user_repo, "add", "staged_new.txt")
    (user_repo / "scratch.txt").write_text("untracked\n")

    def state() -> tuple:
        return (
            snapshot_files(user_repo),
            git(user_repo, "status", "--porcelain"),
            git(user_repo, "diff"),
            git(user_repo, "diff", "--cached"),
            git(user_repo, "ls-files", "-s"),
            git(user_repo, "symbolic-ref", "HEAD"),
            git(user_repo, "rev-parse", "HEAD"),
        )

    before = state()
    repo = open_repository(user_repo)
    ws = create_task_workspace(repo, "dirty-1")
    (ws.path / "agent.txt").write_text("agent work\n")
    ws.checkpoint("agent step")
    ws.diff_stats()
    remove_task_workspace(repo, "dirty-1", delete_branch=True)
    assert state() == before

    # The agent saw the committed tree, none of the user's uncommitted work.
    ws2 = create_task_workspace(repo, "dirty-2")
    assert (ws2.path / "README.md").read_bytes() == committed_readme
    assert not (ws2.path / "scratch.txt").exists()
    assert not (ws2.path / "staged_new.txt").exists()
    assert state() == before


def test_create_refuses_existing_branch(repo: pygit2.Repository, user_repo: Path) -> None:
    git(user_repo, "branch", "agentdeck/taken")
    with pytest.raises(WorkspaceError) as info:
        create_task_workspace(repo, "taken")
    assert "already exists" in assert_one_line(info.value)


def test_create_refuses_existing_worktree_directory_and_leaves_no_branch(
    repo: pygit2.Repository, tmp_path: Path, user_repo: Path
) -> None:
    (tmp_path / "trees" / "t1").mkdir(parents=True)
    with pytest.raises(WorkspaceError) as info:
        create_task_workspace(repo, "t1", worktrees_dir=tmp_path / "trees")
    assert "already exists" in assert_one_line(info.value)
    assert git(user_repo, "branch", "--list", "agentdeck/*") == ""


def test_create_twice_with_same_id_is_refused(repo: pygit2.Repository) -> None:
    create_task_workspace(repo, "once")
    with pytest.raises(WorkspaceError):
        create_task_workspace(repo, "once")


def test_create_refuses_worktrees_dir_inside_user_tree(repo: pygit2.Repository, user_repo: Path) -> None:
    with pytest.raises(WorkspaceError) as info:
        create_task_workspace(repo, "t1", worktrees_dir=user_repo / "trees")
    assert "inside your working tree" in assert_one_line(info.value)
    assert not (user_repo / "trees").exists()


@pytest.mark.parametrize("bad_id", ["", "a/b", "..", "-x", "a..b", "x.lock", "with space"])
def test_create_rejects_task_ids_that_are_not_valid_names(repo: pygit2.Repository, bad_id: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        create_task_workspace(repo, bad_id)
    assert "invalid task id" in assert_one_line(info.value)


# --- checkpoints and diffs -------------------------------------------------------------------


def test_checkpoint_commits_new_modified_and_deleted_files(repo: pygit2.Repository) -> None:
    ws = create_task_workspace(repo, "cp")
    (ws.path / "new.txt").write_text("new\n")
    (ws.path / "README.md").write_text("# Changed\n")
    (ws.path / "src" / "app.py").unlink()

    commit = ws.checkpoint("Agent step 1")

    assert commit is not None and ws.head() == commit
    assert git(ws.path, "log", "-1", "--format=%s", "agentdeck/cp").strip() == "Agent step 1"
    assert git(ws.path, "rev-parse", "agentdeck/cp^").strip() == ws.base_commit
    changes = git(ws.path, "show", "--name-status", "--format=", commit).split("\n")
    assert sorted(filter(None, changes)) == ["A\tnew.txt", "D\tsrc/app.py", "M\tREADME.md"]
    assert git(ws.path, "status", "--porcelain") == ""


def test_checkpoint_returns_none_when_nothing_changed(repo: pygit2.Repository) -> None:
    ws = create_task_workspace(repo, "noop")
    assert ws.checkpoint("nothing") is None
    (ws.path / "a.txt").write_text("a\n")
    first = ws.checkpoint("one")
    assert first is not None
    assert ws.checkpoint("again") is None
    assert ws.head() == first


def test_checkpoint_respects_gitignore(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "p", {".gitignore": "*.log\nbuild/\n", "main.py": "print(1)\n"})
    ws = create_task_workspace(open_repository(root), "ign")
    (ws.path / "debug.log").write_text("noise\n")
    (ws.path / "build").mkdir()
    (ws.path / "build" / "out.o").write_text("bin")
    assert ws.checkpoint("only ignored files") is None

    (ws.path / "kept.py").write_text("x = 1\n")
    commit = ws.checkpoint("real change")
    assert commit is not None
    assert ws.changed_files() == ["kept.py"]
    assert "debug.log" not in git(root, "ls-tree", "-r", "--name-only", commit)


def test_checkpoint_author_is_the_repositorys_configured_user(repo: pygit2.Repository) -> None:
    ws = create_task_workspace(repo, "who")
    (ws.path / "a.txt").write_text("a\n")
    commit = ws.checkpoint("step")
    assert git(ws.path, "log", "-1", "--format=%an <%ae>|%cn <%ce>", commit).strip() == (
        f"{USER_NAME} <{USER_EMAIL}>|{USER_NAME} <{USER_EMAIL}>"
    )


@pytest.fixture
def no_global_git_config(tmp_path: Path):
    """Point libgit2's global/XDG/system config at an empty directory for one test."""
    empty = tmp_path / "empty-config"
    empty.mkdir()
    levels = [ConfigLevel.GLOBAL, ConfigLevel.XDG, ConfigLevel.SYSTEM]
    saved = {level: pygit2.settings.search_path[level] for level in levels}
    for level in levels:
        pygit2.settings.search_path[level] = str(empty)
    yield
    for level, value in saved.items():
        pygit2.settings.search_path[level] = value


def test_checkpoint_author_falls_back_to_agentdeck_without_configured_user(
    user_repo: Path, no_global_git_config: None
) -> None:
    git(user_repo, "config", "--unset", "user.name")
    git(user_repo, "config", "--unset", "user.email")
    ws = create_task_workspace(open_repository(user_repo), "anon")
    (ws.path / "a.txt").write_text("a\n")
    commit = ws.checkpoint("step")
    author = pygit2.Repository(str(ws.path))[commit].author
    assert (author.name, author.email) == ("agentdeck", "agentdeck@localhost")


def test_checkpoint_refuses_when_worktree_was_switched_off_its_branch(
    repo: pygit2.Repository,
) -> None:
    ws = create_task_workspace(repo, "moved")
    git(ws.path, "switch", "-q", "-c", "elsewhere")
    (ws.path / "a.txt").write_text("a\n")
    with pytest.raises(WorkspaceError) as info:
        ws.checkpoint("step")
    assert "no longer on branch agentdeck/moved" in assert_one_line(info.value)
    assert ws.head() == ws.base_commit


def test_diff_stats_and_changed_files_compare_branch_tip_with_base(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "p", {"a.txt": "1\n2\n3\n", "b.txt": "gone\n", "c.txt": "same\n"})
    ws = create_task_workspace(open_repository(root), "stats")
    assert ws.diff_stats() == DiffStats(0, 0, 0)
    assert ws.changed_files() == []

    (ws.path / "a.txt").write_text("1\nTWO\n3\n4\n")  # 1 line changed, 1 added: +2 -1
    (ws.path / "b.txt").unlink()  # -1
    (ws.path / "d.txt").write_text("x\ny\n")  # +2
    ws.checkpoint("first")
    (ws.path / "e.txt").write_text("e\n")  # +1, in a second checkpoint
    ws.checkpoint("second")
    (ws.path / "uncommitted.txt").write_text("not counted\n")

    assert ws.diff_stats() == DiffStats(files_changed=4, insertions=5, deletions=2)
    assert ws.changed_files() == ["a.txt", "b.txt", "d.txt", "e.txt"]
    numstat = git(root, "diff", "--shortstat", ws.base_commit, "agentdeck/stats")
    assert "4 files changed, 5 insertions(+), 2 deletions(-)" in numstat


# --- reopening and listing -------------------------------------------------------------------


def test_reopen_after_restart_finds_base_path_and_head(user_repo: Path) -> None:
    ws = create_task_workspace(open_repository(user_repo), "resume")
    (ws.path / "a.txt").write_text("a\n")
    tip = ws.checkpoint("before restart")

    # A new process: nothing survives but what is on disk.
    reopened = open_task_workspace(open_repository(user_repo / "src"), "resume")
    assert reopened == ws
    assert reopened.base_commit == ws.base_commit and reopened.head() == tip
    assert reopened.diff_stats() == DiffStats(1, 1, 0)


def test_reopen_unknown_task_is_one_line_error(repo: pygit2.Repository) -> None:
    with pytest.raises(WorkspaceError) as info:
        open_task_workspace(repo, "never-made")
    assert "no workspace for task never-made" in assert_one_line(info.value)


def test_reopen_after_worktree_directory_deleted_says_how_to_clean_up(
    repo: pygit2.Repository,
) -> None:
    ws = create_task_workspace(repo, "vanished")
    shutil.rmtree(ws.path)
    with pytest.raises(WorkspaceError) as info:
        open_task_workspace(repo, "vanished")
    assert "was deleted" in assert_one_line(info.value)


def test_list_returns_agentdeck_tasks_but_not_users_own_worktrees(
    repo: pygit2.Repository, user_repo: Path, tmp_path: Path
) -> None:
    git(user_repo, "worktree", "add", "-q", "-b", "mine", str(tmp_path / "mine"))
    b = create_task_workspace(repo, "b-task")
    a = create_task_workspace(repo, "a-task")
    assert list_task_workspaces(open_repository(user_repo)) == [a, b]


def test_list_is_empty_without_tasks(repo: pygit2.Repository) -> None:
    assert list_task_workspaces(repo) == []


# --- removing and pruning --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["modified", "untracked", "staged"])
def test_remove_refuses_when_worktree_has_uncommitted_changes(repo: pygit2.Repository, kind: str) -> None:
    ws = create_task_workspace(repo, "unsaved")
    if kind == "modified":
        (ws.path / "README.md").write_text("edited\n")
    elif kind == "untracked":
        (ws.path / "new.txt").write_text("new\n")
    else:
        (ws.path / "new.txt").write_text("new\n")
        git(ws.path, "add", "new.txt")
    before = snapshot_files(ws.path)

    with pytest.raises(WorkspaceError) as info:
        remove_task_workspace(repo, "unsaved", delete_branch=True)
    message = assert_one_line(info.value)
    assert "uncommitted changes" in message and "force" in message
    assert snapshot_files(ws.path) == before
    assert open_task_workspace(repo, "unsaved") == ws


def test_remove_with_force_deletes_dirty_worktree_and_keeps_branch(
    repo: pygit2.Repository, user_repo: Path
) -> None:
    ws = create_task_workspace(repo, "forced")
    (ws.path / "a.txt").write_text("a\n")
    tip = ws.checkpoint("saved work")
    (ws.path / "b.txt").write_text("unsaved\n")

    remove_task_workspace(repo, "forced", force=True)

    assert not ws.path.exists()
    assert "forced" not in repo.list_worktrees()
    assert str(ws.path) not in git(user_repo, "worktree", "list")
    assert git(user_repo, "rev-parse", "agentdeck/forced").strip() == tip
    assert ws.head() == tip and ws.changed_files() == ["a.txt"]  # reviewable after cleanup
    assert list_task_workspaces(repo) == []


def test_remove_clean_worktree_needs_no_force(repo: pygit2.Repository) -> None:
    ws = create_task_workspace(repo, "clean")
    (ws.path / "a.txt").write_text("a\n")
    ws.checkpoint("all saved")
    remove_task_workspace(repo, "clean")
    assert not ws.path.exists()


def test_remove_with_delete_branch_deletes_branch_and_base_ref(
    repo: pygit2.Repository, user_repo: Path
) -> None:
    ws = create_task_workspace(repo, "gone")
    remove_task_workspace(repo, "gone", delete_branch=True)
    assert not ws.path.exists()
    assert git(user_repo, "branch", "--list", "agentdeck/gone") == ""
    assert git(user_repo, "for-each-ref", "refs/agentdeck/") == ""
    # The id is free again.
    create_task_workspace(repo, "gone")


def test_remove_deletes_read_only_files_left_by_an_agent(repo: pygit2.Repository) -> None:
    ws = create_task_workspace(repo, "ro")
    locked = ws.path / "cache"
    locked.mkdir()
    (locked / "f").write_text("x")
    os.chmod(locked / "f", stat.S_IRUSR)
    os.chmod(locked, stat.S_IRUSR | stat.S_IXUSR)
    remove_task_workspace(repo, "ro", force=True)
    assert not ws.path.exists()


def test_remove_unknown_task_is_one_line_error(repo: pygit2.Repository) -> None:
    with pytest.raises(WorkspaceError) as info:
        remove_task_workspace(repo, "nothing-here")
    assert "nothing to remove" in assert_one_line(info.value)


def test_remove_after_directory_deleted_by_hand_cleans_metadata(
    repo: pygit2.Repository,
) -> None:
    ws = create_task_workspace(repo, "handgone")
    shutil.rmtree(ws.path)
    remove_task_workspace(repo, "handgone", delete_branch=True)
    assert "handgone" not in repo.list_worktrees()
    assert repo.lookup_branch("agentdeck/handgone") is None


def test_prune_drops_metadata_of_worktrees_deleted_by_hand_only(
    repo: pygit2.Repository, user_repo: Path, tmp_path: Path
) -> None:
    gone = create_task_workspace(repo, "gone-1")
    kept = create_task_workspace(repo, "kept-1")
    git(user_repo, "worktree", "add", "-q", "-b", "mine", str(tmp_path / "mine"))
    shutil.rmtree(gone.path)
    shutil.rmtree(tmp_path / "mine")

    assert prune_worktrees(repo) == ["gone-1"]

    worktree_list = git(user_repo, "worktree", "list")
    assert str(gone.path) not in worktree_list and str(kept.path) in worktree_list
    # The user's own worktree is left to git, and branches survive pruning.
    assert "mine" in repo.list_worktrees()
    assert repo.lookup_branch("agentdeck/gone-1") is not None
    assert prune_worktrees(repo) == []


# --- task ids --------------------------------------------------------------------------------

TASK_ID_SHAPE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{4}")


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Add a CONTRIBUTING note", "add-a-contributing-note"),
        ("Fix: the `--help` output (again!) for every command", "fix-the-help-output"),
        ("", "task"),
        ("!!! ??? ...", "task"),
        ("Ünïcödé only ✨", "unicode-only"),
        ("x" * 60, "x" * 24),
    ],
)
def test_new_task_id_is_slug_of_first_words_plus_four_hex(text: str, slug: str) -> None:
    task_id = new_task_id(text)
    assert TASK_ID_SHAPE.fullmatch(task_id), task_id
    assert task_id.rsplit("-", 1)[0] == slug
    assert len(slug) <= 24
    assert pygit2.reference_is_valid_name(f"refs/heads/agentdeck/{task_id}")


def test_new_task_id_never_repeats_within_a_process() -> None:
    ids = [new_task_id("same task text") for _ in range(2000)]
    assert len(set(ids)) == len(ids)


def test_new_task_id_works_as_branch_and_worktree_name(repo: pygit2.Repository) -> None:
    task_id = new_task_id("Refactor the parser: split tokens/AST")
    ws = create_task_workspace(repo, task_id)
    assert ws.branch == f"agentdeck/{task_id}" and ws.path.name == task_id
