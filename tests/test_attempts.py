"""Best-of-N through the Session: N attempts in N worktrees, ranked side by side by the judge, one merged."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

from agentdeck.api import Enqueue, Merge, Retry
from agentdeck.config import ModelRole, load_settings
from agentdeck.events import AgentStarted, AttemptsRanked, Rejected, TaskQueued
from agentdeck.replies import Enqueued
from agentdeck.runtime import task_start
from agentdeck.runtime.attempt_ranking import RANKING_HEADING
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.review import review_list
from agentdeck.runtime.session import Session
from agentdeck.runtime.store import Store
from tests.support.cli import run_cli
from tests.support.git_repos import git, make_repo
from tests.support.scripted_model import ScriptedModel, Turn, call, finish
from tests.support.scripted_session import wait_for
from tests.support.session import kill_daemon

PROJECT = {
    "calc.py": "def add(a, b):\n    return a + b\n",
    "tests/__init__.py": "",
    "tests/test_calc.py": (
        "import unittest\n\nfrom calc import add\n\n\n"
        "class AddTest(unittest.TestCase):\n"
        "    def test_adds(self):\n        self.assertEqual(add(2, 3), 5)\n"
    ),
}
# What each attempt writes: two valid ways, and one that breaks the tests.
CHANGES = {
    1: "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    2: "def add(a, b):\n    return a - b\n",
    3: "def add(a, b):\n    '''Add two numbers.'''\n    return a + b\n",
}


def attempt_of(messages) -> int:
    found = re.search(r"## Attempt (\d+) of \d+", json.dumps(messages))
    assert found, "each attempt's agent is told which attempt it is"
    return int(found.group(1))


def executor_turn(messages) -> Turn:
    if any(m.get("role") == "tool" for m in messages):
        return finish(f"attempt {attempt_of(messages)} done")
    return Turn("Editing.", [call("write", path="calc.py", content=CHANGES[attempt_of(messages)])])


def ranking_reply(order: list[str]) -> Turn:
    return Turn(
        json.dumps({"ranking": [{"id": task_id, "reason": f"reason for {task_id}"} for task_id in order]})
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "calc", PROJECT)


def best_of_n_session(
    repo: Path, monkeypatch: pytest.MonkeyPatch, judge: ScriptedModel, executors: dict[str, ScriptedModel]
) -> Session:
    """Executors by model name and a scripted judge; real worktrees, tests, store."""
    original = task_start.client_for

    def client_for(role, settings):
        if role.model == "scripted-judge":
            return judge
        return executors.get(role.model) or original(role, settings)

    monkeypatch.setattr(task_start, "client_for", client_for)
    settings = load_settings(repo)
    settings.executor = ModelRole(model="scripted", context_window=100_000)
    settings.judge = ModelRole(model="scripted-judge")
    settings.plan.background = settings.plan.foreground = False
    settings.test_command = f"{sys.executable} -m unittest -q"
    settings.session.background_concurrency = 3
    return Session(repo, settings, Store(repo / ".git" / "agentdeck" / "session.db"))


def judge_script(ranking: list):
    """The judge: a verdict per attempt, then the ranking turns in order (a function gets the attempts' ids)."""
    turns = iter(ranking)

    def script(messages) -> Turn:
        if RANKING_HEADING not in messages[1]["content"]:
            return Turn('{"decision": "approve", "summary": "fine"}')
        turn = next(turns)
        return (
            turn(re.findall(r"^## Attempt (\S+)$", messages[1]["content"], re.MULTILINE))
            if callable(turn)
            else turn
        )

    return ScriptedModel(script)


def ranking_requests(judge: ScriptedModel) -> list:
    return [r for r in judge.requests if RANKING_HEADING in r[1]["content"]]


async def run_group(session: Session, attempts: int = 3, **enqueue) -> tuple[Enqueued, AttemptsRanked]:
    await session.start()
    reply = await session.execute(Enqueue(task="make calc better", attempts=attempts, **enqueue))
    ranked = await wait_for(session, lambda e: isinstance(e, AttemptsRanked), timeout=60)
    return reply, ranked


async def test_best_of_n_runs_each_attempt_in_its_own_worktree_and_the_judge_compares_all_in_one_request(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The judge puts the third attempt first, then the first, then the second.
    judge = judge_script([lambda ids: ranking_reply([ids[2], ids[0], ids[1]])])
    session = best_of_n_session(project, monkeypatch, judge, {"scripted": ScriptedModel(executor_turn)})
    reply, ranked = await run_group(session)
    ids = [attempt.task_id for attempt in reply.attempts]
    group = reply.attempt_group
    assert ids == [f"{group}-1", f"{group}-2", f"{group}-3"]
    order = [ids[2], ids[0], ids[1]]

    started = [e for e in session.store.events() if isinstance(e, AgentStarted)]
    assert sorted(e.task_id for e in started) == sorted(ids)
    assert len({e.worktree for e in started}) == 3 and len({e.branch for e in started}) == 3
    for task_id, number in zip(ids, (1, 2, 3), strict=True):
        assert git(project, "show", f"agentdeck/{task_id}:calc.py") == CHANGES[number]

    # One request holds all three diffs and all three test results.
    (request,) = ranking_requests(judge)
    text = request[1]["content"]
    for task_id in ids:
        assert f"## Attempt {task_id}" in text
    assert "+def sub(a, b):" in text and "+    return a - b" in text and "Add two numbers." in text
    assert text.count("Test result: passed") == 2 and text.count("Test result: failed") == 1

    assert [entry.task_id for entry in ranked.ranking.order] == order
    assert ranked.ranking.fallback == "" and ranked.ranking.judge_model == "scripted"
    assert ranked.ranking.same_family_warning.startswith("the judge (scripted) is of the executor's family")
    assert session.store.rankings()[group]["order"][0]["task_id"] == ids[2]

    listing = review_list(session.store.tasks(), session.store.rankings())
    (entry,) = listing.results
    assert entry.task_id == ids[2] and entry.needs_decision and entry.attempt_group == group
    assert [(a.task_id, a.rank, a.reason) for a in entry.attempts] == [
        (task_id, place, f"reason for {task_id}") for place, task_id in enumerate(order, start=1)
    ]
    assert [a.tests for a in entry.attempts] == ["passed", "passed", "failed"]
    assert listing.summary.to_review == 1
    await session.shutdown()


async def test_merging_one_attempt_rejects_the_others_of_its_group_in_the_same_step(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = judge_script([lambda ids: ranking_reply([ids[2], ids[0], ids[1]])])
    session = best_of_n_session(project, monkeypatch, judge, {"scripted": ScriptedModel(executor_turn)})
    reply, ranked = await run_group(session)
    ids = [attempt.task_id for attempt in reply.attempts]
    assert ranked.ranking.pick == ids[2]
    with pytest.raises(CommandError, match="attempts at the same task"):
        await session.execute(Merge(task_ids=[ids[0], ids[2]]))

    report = await session.execute(Merge(task_ids=[ids[2]]))
    assert report.merged and report.rejected == [ids[0], ids[1]]
    assert git(project, "show", "main:calc.py") == CHANGES[3]
    states = {task_id: session.store.task(task_id).state for task_id in ids}
    assert states == {ids[0]: "rejected", ids[1]: "rejected", ids[2]: "merged"}
    rejected = [e for e in session.store.events() if isinstance(e, Rejected)]
    assert {e.task_id for e in rejected} == {ids[0], ids[1]}
    assert all(f"attempt {ids[2]} of its group was merged instead" in e.reason for e in rejected)
    assert review_list(session.store.tasks(), session.store.rankings()).summary.to_review == 0
    await session.shutdown()


async def test_a_bad_ranking_is_asked_again_once_then_ordered_by_test_results(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = judge_script([Turn("I like the second one best."), Turn('{"ranking": [{"id": "nope"}]}')])
    session = best_of_n_session(project, monkeypatch, judge, {"scripted": ScriptedModel(executor_turn)})
    reply, ranked = await run_group(session)
    ids = [attempt.task_id for attempt in reply.attempts]

    first, second = ranking_requests(judge)
    assert "Your reply could not be used: the reply held no JSON object" in second[-1]["content"]
    assert second[-2] == {"role": "assistant", "content": "I like the second one best."}
    ranking = ranked.ranking
    assert ranking.fallback.startswith("ordered by test results: the judge's ranking could not be used")
    assert "nope" in ranking.fallback
    # Green tests first (the smaller change ahead), the failing attempt last.
    assert [entry.task_id for entry in ranking.order] == [ids[2], ids[0], ids[1]]
    assert ranking.order[2].reason.startswith("tests failed")
    item = review_list(session.store.tasks(), session.store.rankings()).results[0]
    assert item.ranking_note == ranking.fallback
    await session.shutdown()


async def test_models_are_spread_over_the_attempts_round_robin(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executors = {"fam-a/one": ScriptedModel(executor_turn), "fam-b/two": ScriptedModel(executor_turn)}
    judge = judge_script([lambda ids: ranking_reply(ids)])
    session = best_of_n_session(project, monkeypatch, judge, executors)
    reply, ranked = await run_group(session, models=["fam-a/one", "fam-b/two"])
    ids = [attempt.task_id for attempt in reply.attempts]
    queued = {e.task_id: e for e in session.store.events() if isinstance(e, TaskQueued)}
    assert [queued[task_id].model for task_id in ids] == ["fam-a/one", "fam-b/two", "fam-a/one"]
    started = {e.task_id: e.model for e in session.store.events() if isinstance(e, AgentStarted)}
    assert [started[task_id] for task_id in ids] == ["fam-a/one", "fam-b/two", "fam-a/one"]
    # Each model family did its own attempts: two requests' worth for one, one for the other.
    assert {attempt_of(r) for r in executors["fam-a/one"].requests} == {1, 3}
    assert {attempt_of(r) for r in executors["fam-b/two"].requests} == {2}
    (request,) = ranking_requests(judge)
    assert "Model: fam-a/one" in request[1]["content"] and "Model: fam-b/two" in request[1]["content"]
    await session.shutdown()


async def test_models_without_attempts_and_too_many_attempts_are_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = best_of_n_session(project, monkeypatch, judge_script([]), {})
    with pytest.raises(CommandError, match="give --attempts N"):
        await session.execute(Enqueue(task="x", models=["a", "b"]))
    with pytest.raises(Exception, match="less than or equal to 5"):
        await session.execute(Enqueue(task="x", attempts=6))
    assert session.store.tasks() == []


async def test_demo_attempts_make_different_valid_changes_and_the_demo_judge_ranks_them(repo: Path) -> None:
    settings = load_settings(repo)
    settings.demo.tokens_per_second = 0
    session = Session(repo, settings, Store(repo / ".git" / "agentdeck" / "session.db"))
    reply, ranked = await run_group(session, model="demo")
    ids = [attempt.task_id for attempt in reply.attempts]
    notes = [git(repo, "show", f"agentdeck/{task_id}:agentdeck-demo-notes.md") for task_id in ids]
    assert len(set(notes)) == 3
    assert all("- [x] Write these notes" in text for text in notes)  # each ran its whole way
    assert "File by file:" in notes[1] and "Short notes" in notes[2]
    ranking = ranked.ranking
    assert ranking.fallback == "" and ranking.judge_model == "demo"
    assert {entry.task_id for entry in ranking.order} == set(ids)
    # The demo judge keeps the smallest change when no tests tell them apart: the short notes.
    assert ranking.pick == ids[2] and "smallest change" in ranking.order[0].reason
    assert "the demo model judged the demo model's work" in ranking.same_family_warning
    await session.shutdown()


def test_queue_add_attempts_ends_in_one_review_entry_with_three_ranked_attempts(
    repo: Path, agentdeck_cmd
) -> None:
    def cli(*args: str):
        return run_cli(agentdeck_cmd, *args, cwd=repo)

    try:
        queued = cli("queue", "add", "--attempts", "3", "--model", "demo", "write notes on the app")
        assert queued.returncode == 0, queued.stderr
        assert "queued 3 attempts as group" in queued.stdout
        ids = re.findall(r"^  (\S+) \(demo\)$", queued.stdout, re.MULTILINE)
        assert len(ids) == 3
        deadline = time.monotonic() + 90
        while True:  # the ranking is stored before AttemptsRanked goes out: the list shows it then
            listing = json.loads(cli("review", "--json").stdout)
            if listing["results"] and listing["results"][0]["attempts"][0]["rank"]:
                break
            assert time.monotonic() < deadline, f"no ranking: {listing}"
            time.sleep(0.3)
        (entry,) = listing["results"]
        assert [a["rank"] for a in entry["attempts"]] == [1, 2, 3]
        assert {a["task_id"] for a in entry["attempts"]} == set(ids)
        assert all(a["reason"] and a["tests"] == "not_configured" for a in entry["attempts"])
        pick = entry["attempts"][0]["task_id"]
        assert entry["task_id"] == pick and entry["ranking_note"] == ""

        plain = cli("review", "--plain").stdout
        assert "best of 3: write notes on the app" in plain
        assert f"1. {pick} (judge's pick) · demo · finished" in plain
        assert "1 to review" in plain

        merged = cli("merge", pick)
        assert merged.returncode == 0, merged.stderr
        others = [task_id for task_id in ids if task_id != pick]
        assert f"rejected the other attempts of its group: {', '.join(others)}" in merged.stdout
        status = {t["id"]: t["state"] for t in json.loads(cli("status", "--json").stdout)["tasks"]}
        assert status == {pick: "merged", **{task_id: "rejected" for task_id in others}}
    finally:
        kill_daemon(repo)


def stored_attempt(session: Session, repo: Path, group: str, number: int, state: str, files: dict) -> str:
    """An attempt as the session leaves it when it ended, with its change on its branch."""
    from agentdeck.runtime.store import TaskRow
    from agentdeck.workspace import create_task_workspace, open_repository

    task_id = f"{group}-{number}"
    workspace = create_task_workspace(open_repository(repo), task_id)
    for name, text in files.items():
        (Path(workspace.path) / name).write_text(text)
    workspace.checkpoint(f"attempt {number}")
    session.store.add_task(
        TaskRow(
            id=task_id,
            task="make calc better",
            state=state,
            branch=workspace.branch,
            worktree=str(workspace.path),
            base_commit=workspace.base_commit,
            base_branch="main",
            error="boom: the model went away" if state == "failed" else None,
            tests={"status": "passed", "message": "1 passed"} if state == "finished" else None,
            attempt_group=group,
            attempt=number,
        )
    )
    return task_id


async def test_a_group_that_ended_while_the_daemon_was_down_is_ranked_at_start_failed_attempts_last(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = judge_script([lambda ids: ranking_reply(ids[::-1])])
    session = best_of_n_session(project, monkeypatch, judge, {})
    ids = [
        stored_attempt(session, project, "calc-0000", number, state, {"calc.py": CHANGES[number]})
        for number, state in ((1, "finished"), (2, "failed"), (3, "finished"))
    ]
    await session.start()
    ranked = await wait_for(session, lambda e: isinstance(e, AttemptsRanked))
    (request,) = ranking_requests(judge)
    # The judge compares the two that finished; the failed one comes last, with why.
    assert f"## Attempt {ids[0]}" in request[1]["content"] and f"## Attempt {ids[2]}" in request[1]["content"]
    assert f"## Attempt {ids[1]}" not in request[1]["content"]
    assert [(e.task_id, e.reason) for e in ranked.ranking.order] == [
        (ids[2], f"reason for {ids[2]}"),
        (ids[0], f"reason for {ids[0]}"),
        (ids[1], "the agent failed: boom: the model went away"),
    ]
    await session.shutdown()


async def test_an_attempt_sent_back_drops_the_ranking_and_the_group_is_ranked_again_when_it_ends(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = judge_script([lambda ids: ranking_reply(ids), lambda ids: ranking_reply(ids[::-1])])
    session = best_of_n_session(project, monkeypatch, judge, {"scripted": ScriptedModel(executor_turn)})
    reply, first = await run_group(session)
    ids = [attempt.task_id for attempt in reply.attempts]
    group = reply.attempt_group
    seq = session.store.last_seq
    await session.execute(Retry(agent_id=ids[1], feedback="make the tests pass"))
    assert group not in session.store.rankings()
    item = review_list(session.store.tasks(), session.store.rankings()).results[0]
    assert item.ranking_note.startswith("not ranked yet: 1 of 3 attempts still at work")
    second = await wait_for(session, lambda e: isinstance(e, AttemptsRanked), from_seq=seq, timeout=60)
    assert [e.task_id for e in second.ranking.order] == ids[::-1]
    assert len(ranking_requests(judge)) == 2
    await session.shutdown()


def test_models_without_attempts_is_a_usage_error_before_any_daemon_starts(repo: Path, agentdeck_cmd) -> None:
    result = run_cli(agentdeck_cmd, "queue", "add", "--models", "a,b", "write notes", cwd=repo)
    assert result.returncode == 2
    assert "--models spreads attempts over models: give --attempts N (2 or more) too" in result.stderr
    assert "started the session daemon" not in result.stderr
    too_many = run_cli(agentdeck_cmd, "queue", "add", "--attempts", "6", "write notes", cwd=repo)
    assert too_many.returncode == 2 and "6 attempts: give 2 to 5" in too_many.stderr
