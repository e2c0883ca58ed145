"""Review through the Session (in-process, the interface the daemon serves): verify, rank, merge, reject, send back, clean up."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from agentdeck.api import (
    Cancel,
    Cleanup,
    CreatePullRequest,
    Enqueue,
    GetResult,
    GetReview,
    Merge,
    Reject,
    RequestChanges,
    Retry,
)
from agentdeck.events import (
    AgentStarted,
    ChangesRequested,
    Merged,
    PullRequestCreated,
    Rejected,
    TaskStateChanged,
    VerificationFinished,
)
from agentdeck.runtime import task_start
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.review import editor_command
from agentdeck.runtime.session import Session
from agentdeck.runtime.store import TaskRow
from agentdeck.workspace import create_task_workspace, open_repository
from tests.support.git_repos import git
from tests.support.scripted_model import ScriptedModel, Turn, call, finish
from tests.test_session import make_session, wait_for

NOTES = "agentdeck-demo-notes.md"


def state_is(task_id: str, *states: str):
    return lambda e: isinstance(e, TaskStateChanged) and e.task_id == task_id and e.state in states


async def run_to_review(session: Session, task: str) -> str:
    task_id = (await session.execute(Enqueue(task=task))).task_id
    await wait_for(session, state_is(task_id, "finished", "failed"))
    return task_id


def finished_row(session: Session, repo: Path, task_id: str, files: dict[str, str]) -> str:
    """A finished task whose branch holds `files`, stored as the session would have left it."""
    workspace = create_task_workspace(open_repository(repo), task_id)
    for name, text in files.items():
        (Path(workspace.path) / name).write_text(text)
    workspace.checkpoint(f"{task_id}: {', '.join(files)}")
    session.store.add_task(
        TaskRow(
            id=task_id,
            task=f"write {', '.join(files)}",
            state="finished",
            branch=workspace.branch,
            worktree=str(workspace.path),
            base_commit=workspace.base_commit,
            base_branch="main",
            summary="done",
        )
    )
    return task_id


async def test_a_finished_agent_is_verified_then_waits_for_a_decision(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    task_id = await run_to_review(session, "take notes")
    states = [e.state for e in session.store.events(0, task_id=task_id) if isinstance(e, TaskStateChanged)]
    assert states == ["running", "verifying", "finished"]
    row = session.store.task(task_id)
    assert (
        row.verdict["kind"] == "approve"
        and row.tests["status"] == "not_configured"
        and row.base_branch == "main"
    )
    assert row.reason.startswith("verified: judge approves · tests not configured · +")
    verification = next(
        e for e in session.store.events(0, task_id=task_id) if isinstance(e, VerificationFinished)
    )
    assert "judge of the executor's family" in verification.flags  # the demo judged the demo
    listing = await session.execute(GetReview())
    item = listing.results[0]
    assert (
        item.task_id == task_id
        and item.needs_decision
        and item.bucket == "approved, untested"
        and item.verdict == "approve"
    )
    assert listing.summary.done == 1 and listing.summary.approved == 1 and listing.summary.to_review == 1
    details = await session.execute(GetResult(agent_id=task_id))
    assert details.plan and details.verdict.findings and details.verdict.findings[0].file == NOTES
    assert (
        f"+++ b/{NOTES}" in details.diff
        and details.files[0].path == NOTES
        and details.worktree == row.worktree
    )
    await session.shutdown()


async def test_merge_lands_the_result_and_the_merged_poll_agrees(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    task_id = await run_to_review(session, "take notes")
    report = await session.execute(Merge(task_ids=[task_id]))
    assert report.merged and report.target == "main" and [s.method for s in report.steps] == ["fast-forward"]
    assert (
        report.checkout == str(repo) and (repo / NOTES).exists() and git(repo, "status", "--porcelain") == ""
    )
    merged = next(e for e in session.store.events(0, task_id=task_id) if isinstance(e, Merged))
    assert merged.into == "main" and merged.commit == git(repo, "rev-parse", "main").strip()
    await asyncio.sleep(1.5)  # a tick of the merged-branch poll
    row = session.store.task(task_id)
    assert row.state == "merged" and row.decision["method"] == "fast-forward"
    with pytest.raises(CommandError, match="it is already merged"):
        await session.execute(Merge(task_ids=[task_id]))
    await session.shutdown()


async def test_a_branch_you_merged_by_hand_is_seen_as_decided(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    task_id = await run_to_review(session, "take notes")
    git(repo, "merge", "-q", "--no-edit", f"agentdeck/{task_id}")
    await wait_for(session, state_is(task_id, "merged"))
    assert session.store.task(task_id).decision["method"] == "outside agentdeck"
    with pytest.raises(CommandError, match="cannot reject task .*: it is already merged"):
        await session.execute(Reject(agent_id=task_id))
    await session.shutdown()


async def test_two_results_that_conflict_are_reported_pair_by_pair_and_nothing_is_written(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    first, second = (
        await run_to_review(session, "take notes"),
        await run_to_review(session, "take other notes"),
    )
    before = git(repo, "rev-parse", "main")
    report = await session.execute(Merge(task_ids=[first, second]))
    assert not report.merged and "nothing was merged" in report.reason
    assert [(c.path, c.between) for c in report.pair_conflicts] == [
        (NOTES, [f"agentdeck/{first}", f"agentdeck/{second}"])
    ]
    assert [c.path for c in report.conflicts] == [NOTES]
    assert git(repo, "rev-parse", "main") == before and git(repo, "status", "--porcelain") == ""
    assert {session.store.task(t).state for t in (first, second)} == {"finished"}
    await session.shutdown()


async def test_a_dirty_checkout_of_the_base_branch_is_refused(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    task_id = await run_to_review(session, "take notes")
    (repo / "README.md").write_text("my own work in progress\n")
    with pytest.raises(
        CommandError, match=r"main is checked out in .* with uncommitted changes \(README.md\)"
    ) as caught:
        await session.execute(Merge(task_ids=[task_id]))
    assert caught.value.code == "failed"
    assert (
        session.store.task(task_id).state == "finished"
        and (repo / "README.md").read_text() == "my own work in progress\n"
    )
    await session.shutdown()


async def test_integration_pass_runs_the_tests_on_the_combined_result_before_landing(repo: Path) -> None:
    session = make_session(repo)
    session.settings.test_command = "test -f a.txt && test -f b.txt"
    await session.start()
    a = finished_row(session, repo, "a-1", {"a.txt": "a\n"})
    b = finished_row(session, repo, "b-1", {"b.txt": "b\n"})
    report = await session.execute(Merge(task_ids=[a, b]))
    assert (
        report.merged
        and report.tests.status == "passed"
        and [s.method for s in report.steps] == ["fast-forward", "merge commit"]
    )
    assert (repo / "a.txt").exists() and (repo / "b.txt").exists()
    merged = [e for e in session.store.events(0) if isinstance(e, Merged)]
    assert [(e.task_id, e.together) for e in merged] == [(a, [b]), (b, [a])]
    assert "integration" not in git(repo, "branch", "--list", "agentdeck/*")  # the temporary worktree is gone
    await session.shutdown()


async def test_integration_pass_with_failing_tests_lands_nothing(repo: Path) -> None:
    session = make_session(repo)
    session.settings.test_command = "echo '1 failed, 2 passed in 0.1s'; exit 1"
    await session.start()
    a = finished_row(session, repo, "a-2", {"a.txt": "a\n"})
    b = finished_row(session, repo, "b-2", {"b.txt": "b\n"})
    before = git(repo, "rev-parse", "main")
    report = await session.execute(Merge(task_ids=[a, b]))
    assert not report.merged and report.tests.status == "failed" and report.tests.failed == 1
    assert report.reason.startswith("the tests failed on the combined result (2 passed, 1 failed")
    assert git(repo, "rev-parse", "main") == before and "integration" not in git(
        repo, "branch", "--list", "agentdeck/*"
    )
    await session.shutdown()


async def test_reject_keeps_the_branch_and_cleanup_refuses_unmerged_work_until_forced(repo: Path) -> None:
    session = make_session(repo)
    await session.start()
    task_id = await run_to_review(session, "take notes")
    await session.execute(Reject(agent_id=task_id, reason="not needed"))
    row = session.store.task(task_id)
    assert row.state == "rejected" and row.decision["reason"] == "not needed"
    assert any(
        isinstance(e, Rejected) and e.reason == "not needed" for e in session.store.events(0, task_id=task_id)
    )
    report = await session.execute(Cleanup())
    [entry] = report.results
    assert entry.worktree_removed and not entry.branch_deleted and "on no other branch" in entry.kept
    assert len(entry.unmerged) == len(git(repo, "log", "--format=%h", f"main..agentdeck/{task_id}").split())
    assert not Path(row.worktree).exists() and git(repo, "branch", "--list", f"agentdeck/{task_id}").strip()
    forced = await session.execute(Cleanup(force=True))
    assert forced.results[0].branch_deleted and forced.results[0].dropped == len(entry.unmerged)
    assert not git(repo, "branch", "--list", f"agentdeck/{task_id}").strip()
    assert (await session.execute(Cleanup())).results == []
    with pytest.raises(CommandError, match="cleanup removed its worktree"):
        await session.execute(Retry(agent_id=task_id, feedback="try again"))
    await session.shutdown()


async def test_request_changes_reruns_on_the_same_branch_with_the_feedback_visible(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted = ScriptedModel(
        [
            Turn(calls=[call("write", path="hello.txt", content="hello\n")]),
            finish("wrote hello.txt"),
            Turn(calls=[call("write", path="hello.txt", content="hello, world\n")]),
            finish("greeted the world, as asked"),
        ]
    )
    original = task_start.client_for
    monkeypatch.setattr(
        task_start,
        "client_for",
        lambda role, settings: scripted if role.model == "scripted" else original(role, settings),
    )
    session = make_session(repo)
    session.settings.executor.model = "scripted"
    session.settings.judge.model = "demo"
    session.settings.plan.background = False
    await session.start()
    task_id = await run_to_review(session, "write hello.txt")
    first_branch = session.store.task(task_id).branch
    seq = session.store.last_seq
    await session.execute(RequestChanges(agent_id=task_id, feedback="say hello to the world, not just hello"))
    await wait_for(session, state_is(task_id, "finished", "failed"), from_seq=seq)
    feedback_request = scripted.requests[2][1]["content"]
    assert (
        "## Changes requested" in feedback_request
        and "- say hello to the world, not just hello" in feedback_request
    )
    assert f"committed on branch {first_branch}" in feedback_request
    events = list(session.store.events(seq, task_id=task_id))
    assert isinstance(events[0], ChangesRequested)
    started = [e for e in events if isinstance(e, AgentStarted)]
    assert started[0].branch == first_branch
    row = session.store.task(task_id)
    assert row.state == "finished" and row.feedback[0]["delivered"] and row.verdict["kind"] == "approve"
    assert git(repo, "show", f"{first_branch}:hello.txt") == "hello, world\n"
    # The judge checked the change against the feedback too.
    details = await session.execute(GetResult(agent_id=task_id))
    assert (
        details.feedback[0].text == "say hello to the world, not just hello"
        and details.verdict.same_family_warning == ""
    )
    await session.shutdown()


async def test_stopping_during_verification_verifies_again_on_the_next_start(repo: Path) -> None:
    session = make_session(repo)
    session.settings.test_command = "sleep 30"
    await session.start()
    task_id = (await session.execute(Enqueue(task="take notes"))).task_id
    await wait_for(session, state_is(task_id, "verifying"))
    await asyncio.sleep(0.3)
    started = asyncio.get_running_loop().time()
    await session.shutdown()
    assert asyncio.get_running_loop().time() - started < 10
    assert session.store.task(task_id).state == "verifying"
    session.store.close()
    again = make_session(repo)
    again.settings.test_command = "true"
    await again.start()
    await wait_for(again, state_is(task_id, "finished"))
    assert again.store.task(task_id).tests["status"] == "passed"
    assert git(repo, "-C", again.store.task(task_id).worktree, "status", "--porcelain") == ""
    await again.shutdown()


async def test_retry_and_reject_refuse_tasks_that_are_not_done(repo: Path) -> None:
    session = make_session(repo, background_concurrency=1)
    session.settings.demo.tokens_per_second = 5
    await session.start()
    busy = (await session.execute(Enqueue(task="busy"))).task_id
    queued = (await session.execute(Enqueue(task="later"))).task_id
    with pytest.raises(CommandError, match="cannot reject task .*: its agent is still running"):
        await session.execute(Reject(agent_id=busy))
    with pytest.raises(CommandError, match="cannot merge task .*: it has not run yet"):
        await session.execute(Merge(task_ids=[queued]))
    with pytest.raises(CommandError, match="unknown task id 'nope'"):
        await session.execute(Retry(agent_id="nope"))
    await session.execute(Cancel(agent_id=busy))
    await session.shutdown()


async def test_a_pull_request_is_pushed_and_opened_with_gh(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = make_session(repo)
    await session.start()
    task_id = await run_to_review(session, "take notes")
    path = os.environ.get("PATH", "")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(CommandError, match="`gh` is not installed"):
        await session.execute(CreatePullRequest(agent_id=task_id))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(
        f'#!/bin/sh\necho "$@" > {tmp_path / "gh-args"}\necho https://github.com/example/repo/pull/7\n'
    )
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{path}")
    with pytest.raises(CommandError, match="has no remote"):
        await session.execute(CreatePullRequest(agent_id=task_id))
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    reply = await session.execute(CreatePullRequest(agent_id=task_id))
    assert reply.url == "https://github.com/example/repo/pull/7"
    assert (
        git(tmp_path / "remote.git", "rev-parse", f"agentdeck/{task_id}").strip()
        == git(repo, "rev-parse", f"agentdeck/{task_id}").strip()
    )
    args = (tmp_path / "gh-args").read_text()
    assert args.startswith(
        f"pr create --head agentdeck/{task_id} --base main --title take notes --body Task: take notes"
    )
    assert any(isinstance(e, PullRequestCreated) for e in session.store.events(0, task_id=task_id))
    await session.shutdown()


def test_editor_command_follows_visual_then_editor() -> None:
    assert editor_command("/w", {"VISUAL": "code --wait", "EDITOR": "vim"}) == ["code", "--wait", "/w"]
    assert editor_command("/w", {"EDITOR": "nano"}) == ["nano", "/w"]
    assert editor_command("/w", {}) == ["vi", "/w"]
