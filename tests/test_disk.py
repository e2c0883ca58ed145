"""Disk kept in check: worktree disk use in status, `agentdeck gc`, the budget that pauses background starts.

Real repositories, worktrees and files; the session in-process (the interface the daemon
serves) and, for what a user sees on the command line, a real daemon.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pygit2
import pytest

from agentdeck.api import Cleanup, Enqueue, Gc, GetStatus, Reject
from agentdeck.commands.session import render_status
from agentdeck.events import CleanedUp, DiskUsageChanged, TaskStateChanged
from agentdeck.replies import DiskStatus, Status
from agentdeck.runtime.scheduler import Limits, decide
from agentdeck.runtime.session import Session
from agentdeck.runtime.store import TaskRow
from agentdeck.tui.cockpit_state import CockpitState
from agentdeck.workspace import create_task_workspace, open_repository
from agentdeck.workspace.disk import measure
from tests.support.cli import run_cli
from tests.support.git_repos import git, make_repo
from tests.support.session import attach, kill_daemon
from tests.test_session import make_session, wait_for

MB = 1024 * 1024


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose build output (build/) is ignored, as most projects' is."""
    return make_repo(
        tmp_path / "repo", {"README.md": "# Demo\n", "src/app.py": "x = 1\n", ".gitignore": "build/\n"}
    )


def build_output(worktree: Path | str, size: int, name: str = "out.bin") -> Path:
    target = Path(worktree) / "build" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(os.urandom(size))
    return target


def task_with_commits(
    session: Session, repo: Path, task_id: str, state: str, decided: float | None, commits: int = 2
) -> list[str]:
    """A task in `state` whose branch holds `commits` commits of its own; their ids, oldest first."""
    workspace = create_task_workspace(open_repository(repo), task_id)
    ids = []
    for n in range(commits):
        (Path(workspace.path) / f"{task_id}-{n}.txt").write_text(f"work {n} of {task_id}\n")
        ids.append(workspace.checkpoint(f"{task_id}: step {n}"))
    decision = {"kind": state, "ts": decided} if state in ("merged", "rejected") else None
    session.store.add_task(
        TaskRow(
            id=task_id,
            task=f"task {task_id}",
            state=state,
            branch=workspace.branch,
            worktree=str(workspace.path),
            base_commit=workspace.base_commit,
            base_branch="main",
            decision=decision,
            ended=decided,
        )
    )
    return ids


def reachable_from_some_ref(repo: Path, commit: str) -> bool:
    """Walk every ref (branches, tags, refs/agentdeck/...): is `commit` one of them or an ancestor of one?"""
    r = pygit2.Repository(str(repo))
    target = pygit2.Oid(hex=commit)
    for name in r.references:
        try:
            tip = r.references[name].peel(pygit2.Commit).id
        except (pygit2.GitError, ValueError, KeyError):
            continue
        if tip == target or r.descendant_of(tip, target):
            return True
    return False


# -- measuring -----------------------------------------------------------------------------


def test_disk_use_counts_ignored_build_output_hard_links_once_and_no_symlink_targets(tmp_path: Path) -> None:
    worktrees = tmp_path / "worktrees"
    task, child, outside = worktrees / "fix-1a2b", worktrees / "fix-1a2b.1", tmp_path / "elsewhere"
    for directory in (task / "build", child, outside):
        directory.mkdir(parents=True)
    (task / "build" / "big.bin").write_bytes(os.urandom(2 * MB))
    os.link(task / "build" / "big.bin", task / "build" / "same.bin")  # a hard link: counted once
    (outside / "huge.bin").write_bytes(os.urandom(4 * MB))
    os.symlink(outside, task / "link")  # not followed
    (child / "sub.bin").write_bytes(os.urandom(MB))  # a sub-agent's worktree counts toward its task
    (worktrees / "stray").mkdir()
    (worktrees / "stray" / "x.bin").write_bytes(os.urandom(MB // 2))
    usage = measure([worktrees], ["fix-1a2b", "other-9f9f"])
    assert 3 * MB <= usage.per_task["fix-1a2b"] < 3 * MB + 256 * 1024
    assert usage.per_task["other-9f9f"] == 0
    assert (
        MB // 2 <= usage.other_bytes < MB
        and usage.total_bytes == usage.per_task["fix-1a2b"] + usage.other_bytes
    )


def test_a_paused_queue_holds_background_starts_and_never_foreground_ones() -> None:
    tasks = [
        TaskRow(id="bg-1", task="b", state="queued", created=1.0),
        TaskRow(id="fg-1", task="f", state="queued", foreground=True, created=2.0),
    ]
    reason = "paused: worktrees use 12.3 GB of the 10 GB budget (session.max_worktree_gb); run `agentdeck gc` or merge/reject results"
    decision = decide(tasks, Limits(paused=reason))
    assert decision.start == ["fg-1"] and decision.waiting == {"bg-1": reason}


# -- status ---------------------------------------------------------------------------------


async def test_status_shows_each_tasks_disk_use_and_it_grows_with_build_output(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    task_id = (await session.execute(Enqueue(task="take notes"))).task_id
    await wait_for(
        session, lambda e: isinstance(e, TaskStateChanged) and e.task_id == task_id and e.state == "finished"
    )
    status = await session.execute(GetStatus())
    [row] = status.tasks
    before = row.disk_bytes
    assert before and before > 0 and status.disk.total_bytes >= before
    build_output(row.worktree, 3 * MB)
    deadline = time.monotonic() + 20
    while True:
        status = await session.execute(GetStatus())
        grown = status.tasks[0].disk_bytes
        if grown >= before + 3 * MB or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert grown >= before + 3 * MB, (before, grown)
    assert status.disk.total_bytes >= grown and status.disk.paused is None
    text = render_status(status)
    assert "DISK" in text.splitlines()[2] and "worktrees: 3." in text and " MB" in text
    await session.shutdown()


# -- gc ---------------------------------------------------------------------------------------


async def test_gc_frees_merged_and_rejected_worktrees_oldest_first_and_reports_the_bytes(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    now = time.time()
    task_with_commits(session, repo, "newer-rejected-1111", "rejected", now - 100)
    merged = task_with_commits(session, repo, "older-merged-2222", "merged", now - 1000)
    git(repo, "merge", "-q", "--no-edit", "agentdeck/older-merged-2222")
    task_with_commits(session, repo, "undecided-3333", "finished", None)
    task_with_commits(session, repo, "cancelled-4444", "cancelled", now - 5000)
    sizes = {
        "newer-rejected-1111": 2 * MB,
        "older-merged-2222": 3 * MB,
        "undecided-3333": MB,
        "cancelled-4444": MB,
    }
    for task_id, size in sizes.items():
        build_output(session.store.task(task_id).worktree, size)

    dry = await session.execute(Gc(dry_run=True))
    assert [e.task_id for e in dry.results] == ["older-merged-2222", "newer-rejected-1111"]
    assert all(Path(session.store.task(t).worktree).exists() for t in sizes)  # --dry-run deletes nothing
    assert dry.freed_bytes >= 5 * MB and not any(e.removed for e in dry.results)

    report = await session.execute(Gc())
    assert [e.task_id for e in report.results] == ["older-merged-2222", "newer-rejected-1111"]
    for entry in report.results:
        assert (
            entry.removed
            and entry.freed_bytes >= sizes[entry.task_id]
            and not Path(session.store.task(entry.task_id).worktree).exists()
        )
    assert report.freed_bytes == sum(e.freed_bytes for e in report.results) >= 5 * MB
    assert (
        report.total_bytes_after is not None
        and report.total_bytes_after <= report.total_bytes_before - report.freed_bytes + 64 * 1024
    )
    # Only a person's decisions are collected: the finished and the cancelled task keep their worktrees.
    assert (
        Path(session.store.task("undecided-3333").worktree).exists()
        and Path(session.store.task("cancelled-4444").worktree).exists()
    )
    # Every branch stays, merged or not.
    for task_id in sizes:
        assert git(repo, "branch", "--list", f"agentdeck/{task_id}").strip()
    assert reachable_from_some_ref(repo, merged[-1])
    cleaned = [e for e in session.store.events(0) if isinstance(e, CleanedUp)]
    assert [(e.task_id, e.by, e.branch_deleted) for e in cleaned] == [
        ("older-merged-2222", "gc", False),
        ("newer-rejected-1111", "gc", False),
    ]
    assert all(e.bytes_freed > 0 for e in cleaned)
    status = await session.execute(GetStatus())
    disk = {t.id: t.disk_bytes for t in status.tasks}
    assert disk["older-merged-2222"] == 0 and disk["undecided-3333"] >= MB
    assert (await session.execute(Gc())).results == []
    await session.shutdown()


async def test_no_unmerged_commit_is_ever_lost_by_gc(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    now = time.time()
    commits: dict[str, list[str]] = {}
    commits["rejected"] = task_with_commits(session, repo, "rejected-aaaa", "rejected", now - 400, commits=3)
    commits["merged"] = task_with_commits(session, repo, "merged-bbbb", "merged", now - 300)
    git(repo, "merge", "-q", "--no-edit", "agentdeck/merged-bbbb")
    commits["failed"] = task_with_commits(session, repo, "failed-cccc", "failed", now - 200)
    # A task whose newest commit only a ref under refs/agentdeck/ reaches: its branch was moved back.
    only_ref = task_with_commits(session, repo, "moved-back-dddd", "rejected", now - 100, commits=2)
    worktree = Path(session.store.task("moved-back-dddd").worktree)
    git(repo, "update-ref", "refs/agentdeck/checkpoints/moved-back-dddd", only_ref[-1])
    git(worktree, "reset", "-q", "--hard", only_ref[0])
    commits["only-ref"] = only_ref
    # A task whose worktree's HEAD left its branch: a commit that only that HEAD reaches.
    commits["detached"] = task_with_commits(session, repo, "detached-eeee", "rejected", now - 50)
    detached = Path(session.store.task("detached-eeee").worktree)
    git(detached, "checkout", "-q", "--detach")
    (detached / "loose.txt").write_text("work on no branch\n")
    git(detached, "add", "loose.txt")
    git(detached, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "on a detached HEAD")
    loose = git(detached, "rev-parse", "HEAD").strip()
    commits["detached"].append(loose)
    assert not reachable_from_some_ref(repo, loose)  # before gc, only the worktree's HEAD holds it
    for task_id in ("rejected-aaaa", "merged-bbbb", "failed-cccc", "moved-back-dddd", "detached-eeee"):
        build_output(session.store.task(task_id).worktree, MB)

    report = await session.execute(Gc())
    removed = {e.task_id for e in report.results if e.removed}
    assert removed == {"rejected-aaaa", "merged-bbbb", "moved-back-dddd", "detached-eeee"}
    assert (
        next(e for e in report.results if e.task_id == "detached-eeee").kept_ref
        == "refs/agentdeck/kept/detached-eeee"
    )
    await session.execute(Cleanup())  # and the cleanup that deletes fully merged branches, after it
    for kind, ids in commits.items():
        for commit in ids:
            assert reachable_from_some_ref(repo, commit), f"{kind} commit {commit} is on no ref after gc"
    assert git(repo, "rev-parse", "refs/agentdeck/kept/detached-eeee").strip() == loose
    await session.shutdown()


def test_the_cockpit_shows_the_total_and_the_pause_it_is_told_about() -> None:
    state = CockpitState()
    state.load_status(
        Status(
            pid=1,
            last_seq=3,
            foreground_slots=2,
            background_concurrency=2,
            disk=DiskStatus(total_bytes=5 * MB, budget_bytes=1024**3),
        )
    )
    assert state.disk_summary() == "worktrees 5.0 MB of 1.0 GB"
    reason = "paused: worktrees use 1.2 GB of the 1 GB budget (session.max_worktree_gb); run `agentdeck gc` or merge/reject results"
    state.apply(DiskUsageChanged(seq=4, total_bytes=1288490188, budget_bytes=1024**3, paused=reason))
    assert state.disk_summary() == reason


# -- the budget, on a real daemon ------------------------------------------------------------


@pytest.fixture
def daemon_repo(repo: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AGENTDECK_DEMO__TOKENS_PER_SECOND", "0")
    yield repo
    kill_daemon(repo)


async def _status_until(client, predicate, what: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = await client.execute(GetStatus())
        if predicate(status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out waiting until {what}; last status: {status.model_dump_json()[:2000]}"
            )
        await asyncio.sleep(0.2)


def _state(status: Status, task_id: str) -> str:
    return next(t.state for t in status.tasks if t.id == task_id)


async def test_over_budget_pauses_new_background_starts_until_gc_frees_the_space(
    daemon_repo: Path, monkeypatch: pytest.MonkeyPatch, agentdeck_cmd
) -> None:
    monkeypatch.setenv("AGENTDECK_SESSION__MAX_WORKTREE_GB", "0.002")  # ~2 MB
    client = await attach(daemon_repo)
    first = (await client.execute(Enqueue(task="take notes"))).task_id
    status = await _status_until(client, lambda s: _state(s, first) == "finished", f"{first} finished")
    worktree = next(t.worktree for t in status.tasks if t.id == first)
    build_output(worktree, 3 * MB)  # undecided: gc may not take it, so the session must pause
    status = await _status_until(client, lambda s: s.disk.paused, "background starts pause")
    assert (
        status.disk.paused.startswith("paused: worktrees use 3.")
        and "of the 0.002 GB budget (session.max_worktree_gb)" in status.disk.paused
    )

    second = (await client.execute(Enqueue(task="take notes again"))).task_id
    foreground = (await client.execute(Enqueue(task="take notes in front", foreground=True))).task_id
    status = await _status_until(
        client, lambda s: _state(s, foreground) in ("verifying", "finished"), "the foreground task ran"
    )
    row = next(t for t in status.tasks if t.id == second)
    assert row.state == "queued" and row.waiting_reason == status.disk.paused
    shown = run_cli(agentdeck_cmd, "queue", "list", cwd=daemon_repo)
    assert shown.returncode == 0 and "paused: worktrees use" in shown.stdout
    text = run_cli(agentdeck_cmd, "status", cwd=daemon_repo).stdout
    assert (
        "no new background task starts: paused: worktrees use" in text
        and "(foreground tasks still start)" in text
    )

    # You decide: the rejected task's worktree is collected by itself, and the queue goes on.
    await client.execute(Reject(agent_id=first, reason="not needed"))
    status = await _status_until(client, lambda s: _state(s, second) != "queued", f"{second} started")
    assert status.disk.paused is None
    events = [e async for e in client.subscribe(0, follow=False)]
    [cleaned] = [e for e in events if isinstance(e, CleanedUp)]
    assert (
        cleaned.task_id == first
        and cleaned.by == "budget"
        and cleaned.bytes_freed >= 3 * MB
        and not cleaned.branch_deleted
    )
    assert not Path(worktree).exists() and git(daemon_repo, "branch", "--list", f"agentdeck/{first}").strip()
    pauses = [e.paused for e in events if isinstance(e, DiskUsageChanged)]
    assert any(pauses) and pauses[-1] is None
    await client.close()


def test_gc_on_the_command_line_lists_with_dry_run_then_frees(daemon_repo: Path, agentdeck_cmd) -> None:
    added = run_cli(agentdeck_cmd, "queue", "add", "--json", "take notes", cwd=daemon_repo)
    task_id = json.loads(added.stdout)["task_id"]

    async def finish_and_reject() -> str:
        client = await attach(daemon_repo)
        status = await _status_until(client, lambda s: _state(s, task_id) == "finished", "finished")
        await client.execute(Reject(agent_id=task_id, reason=""))
        await client.close()
        return next(t.worktree for t in status.tasks if t.id == task_id)

    worktree = asyncio.run(finish_and_reject())
    build_output(worktree, 2 * MB)
    dry = run_cli(agentdeck_cmd, "gc", "--dry-run", cwd=daemon_repo)
    assert dry.returncode == 0, dry.stderr
    assert (
        f"would remove {task_id} (rejected): 2." in dry.stdout
        and "nothing was deleted (--dry-run)" in dry.stdout
    )
    assert Path(worktree, "build", "out.bin").exists()
    done = run_cli(agentdeck_cmd, "gc", "--json", cwd=daemon_repo)
    report = json.loads(done.stdout)
    assert [(e["task_id"], e["removed"]) for e in report["results"]] == [(task_id, True)]
    assert report["freed_bytes"] >= 2 * MB and not Path(worktree).exists()
    again = run_cli(agentdeck_cmd, "gc", cwd=daemon_repo)
    assert again.returncode == 0 and again.stdout.startswith("nothing to collect")
    assert git(daemon_repo, "branch", "--list", f"agentdeck/{task_id}").strip()
