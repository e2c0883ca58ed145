"""Sprints end to end in a real session: scripted team at the model boundary, real git, real store."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from agentdeck.api import (
    Cancel,
    DropSprintTask,
    GetResult,
    GetReview,
    GetSprint,
    GetStatus,
    Merge,
    PlanSprint,
    StartSprint,
)
from agentdeck.events import AgentStarted, ConflictResolved, SteerReceived, TaskStateChanged, ToolCallFinished
from agentdeck.replies import SprintLaunched
from agentdeck.runtime.command_error import CommandError
from tests.support.git_repos import git
from tests.support.scripted_model import ScriptedModel
from tests.support.scripted_session import scripted_session, state_is, wait_for
from tests.support.sprint_model import FOUR_ROLES, Team


def sprint_session(repo: Path, monkeypatch: pytest.MonkeyPatch, team: Team):
    """An in-process session whose every model (planner, roles, integrator) is `team`; tests on, judge off."""
    session, _ = scripted_session(repo, monkeypatch, [])
    scripted = ScriptedModel(team)
    from agentdeck.runtime import task_start

    monkeypatch.setattr(task_start, "client_for", lambda role, settings: scripted)
    session.settings.review.verify = True
    session.settings.review.judge = False
    return session


async def start(session, feature: str = FOUR_ROLES["feature"]) -> SprintLaunched:
    planned = await session.execute(PlanSprint(feature=feature))
    return await session.execute(StartSprint(plan=planned.plan.model_dump(mode="json")))


async def test_a_four_role_sprint_runs_in_dependency_order_and_lands_as_one_merge(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Team()
    session = sprint_session(repo, monkeypatch, team)
    await session.start()
    started = await start(session)
    sprint_id, ids = started.sprint_id, started.tasks
    await wait_for(session, state_is(sprint_id, "finished"), timeout=60)

    # core published core.py: its dependants saw it in their context and, read-only, in their worktree.
    assert "### .agentdeck/artifacts/core/core.py (from core)" in team.role_tasks["api"]
    assert "def greet(name)" in team.role_tasks["api"]
    api_copy = Path(session.store.task(ids["api"]).worktree) / ".agentdeck/artifacts/core/core.py"
    assert api_copy.read_text().startswith("def greet") and api_copy.stat().st_mode & 0o222 == 0
    assert ".agentdeck/artifacts" not in git(repo, "ls-tree", "-r", "--name-only", f"agentdeck/{ids['api']}")
    assert "artifacts" not in team.role_tasks["backend"]
    events = list(session.store.events(0))

    def seq(kind, task_id, **match):
        return next(
            e.seq
            for e in events
            if isinstance(e, kind)
            and e.task_id == task_id
            and all(getattr(e, k) == v for k, v in match.items())
        )

    core_done = seq(TaskStateChanged, ids["core"], state="finished")
    assert seq(AgentStarted, ids["api"]) > core_done and seq(AgentStarted, ids["cli"]) > core_done
    docs_start = seq(AgentStarted, ids["docs"])
    assert docs_start > seq(TaskStateChanged, ids["api"], state="finished")
    assert docs_start > seq(TaskStateChanged, ids["cli"], state="finished")

    # The contracts commit, on the sprint's base branch, is where every role branch starts.
    contracts = started.contracts_commit
    assert git(repo, "rev-parse", started.contracts_branch).strip() == contracts
    for task_id in ids.values():
        assert session.store.task(task_id).base_commit == contracts
        git(repo, "merge-base", "--is-ancestor", contracts, f"agentdeck/{task_id}")
    shown = git(repo, "show", f"{contracts}:.agentdeck/sprints/{sprint_id}/CONTRACTS.md")
    assert "core.greet(name: str) -> str" in shown

    # The planted README conflict between api and cli was resolved by the integrator, in a commit that says why.
    resolved = [e for e in events if isinstance(e, ConflictResolved)]
    assert [r.path for r in resolved] == ["README.md"]
    message = git(repo, "log", "-1", "--format=%B", resolved[0].commit)
    assert "Resolved conflicts:" in message and "README.md: kept both sides' README lines" in message
    integration = session.store.task(sprint_id)
    assert integration.branch == f"agentdeck/{sprint_id}" and integration.tests["status"] == "passed"
    # One feature split by kind of work across roles: not flagged as "mixed task types".
    assert [c["ok"] for c in integration.checks or [] if c["name"] == "task_types"] == [True]

    # One result in review, with every role's part; no role shows as a result of its own.
    review = await session.execute(GetReview())
    assert [item.task_id for item in review.results] == [sprint_id]
    details = await session.execute(GetResult(agent_id=sprint_id))
    assert {part.role for part in details.sprint.tasks} == {"backend", "api", "cli", "docs"}
    assert details.sprint.integration.resolutions[0]["path"] == "README.md"
    assert {f.path for f in details.files} >= {"core.py", "api.py", "cli.py", "docs.md", "README.md"}

    main_before = git(repo, "rev-parse", "main").strip()
    report = await session.execute(Merge(task_ids=[sprint_id]))
    assert report.merged
    assert git(repo, "rev-parse", "main").strip() == integration_tip(repo, sprint_id) != main_before
    for name in ("core.py", "api.py", "cli.py", "docs.md"):
        assert (repo / name).is_file()  # main's checkout came along, all at once
    assert {session.store.task(t).state for t in [*ids.values(), sprint_id]} == {"merged"}
    await session.shutdown()


def integration_tip(repo: Path, sprint_id: str) -> str:
    return git(repo, "rev-parse", f"agentdeck/{sprint_id}").strip()


async def test_an_unresolvable_conflict_stops_the_sprint_as_needs_you_and_main_is_untouched(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = sprint_session(repo, monkeypatch, Team(refuse_conflicts=True))
    await session.start()
    main_before = git(repo, "rev-parse", "main").strip()
    sprint_id = (await start(session)).sprint_id
    failed = await wait_for(session, state_is(sprint_id, "failed"), timeout=60)
    assert failed.reason.startswith("needs you: the conflict in README.md")
    details = await session.execute(GetSprint(sprint_id=sprint_id))
    assert details.state == "needs you"
    assert "<<<<<<<" in details.integration.unresolved["hunks"]
    assert git(repo, "rev-parse", "main").strip() == main_before
    await session.shutdown()


async def test_a_bad_plan_is_refused_and_nothing_starts(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cycle = copy.deepcopy(FOUR_ROLES)
    cycle["tasks"][0]["depends_on"] = ["docs"]
    unknown = copy.deepcopy(FOUR_ROLES)
    unknown["tasks"][1]["depends_on"] = ["database"]
    session = sprint_session(repo, monkeypatch, Team([cycle, unknown]))
    await session.start()
    with pytest.raises(
        CommandError, match="refused twice: first dependency cycle: .*then task api depends on 'database'"
    ):
        await session.execute(PlanSprint(feature=FOUR_ROLES["feature"]))
    with pytest.raises(CommandError, match="the plan was refused: dependency cycle"):
        await session.execute(StartSprint(plan=cycle))
    assert session.store.tasks() == [] and session.store.sprints() == []
    assert "sprint" not in git(repo, "branch", "--list", "agentdeck/*")
    await session.shutdown()


async def test_a_failed_role_holds_the_sprint_until_it_is_dropped_and_the_rest_goes_on(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = sprint_session(repo, monkeypatch, Team(stuck="cli"))
    session.settings.budgets.max_steps = 3
    await session.start()
    started = await start(session)
    sprint_id, ids = started.sprint_id, started.tasks
    await wait_for(session, state_is(ids["cli"], "failed"), timeout=60)
    await wait_for(session, state_is(ids["api"], "finished"), timeout=60)
    status = await session.execute(GetStatus())
    waiting = {t.id: t.waiting_reason for t in status.tasks}
    assert waiting[ids["docs"]].startswith(f"blocked: its dependency {ids['cli']} failed; retry it")
    assert waiting[sprint_id].startswith(f"blocked: its dependency {ids['cli']} failed")
    assert status.sprints[0].state == f"waiting for you: {ids['cli']} failed (retry, drop or cancel)"
    assert session.store.task(ids["api"]).state == "finished"  # the other roles keep their work

    await session.execute(DropSprintTask(task_id=ids["cli"]))
    await wait_for(session, state_is(sprint_id, "finished"), timeout=60)
    details = await session.execute(GetSprint(sprint_id=sprint_id))
    assert [step["role"] for step in details.integration.steps] == ["backend", "api", "docs"]
    assert details.integration.resolutions == []  # without cli, README.md has one author
    await session.shutdown()


async def test_a_message_from_one_agent_lands_on_the_other_agents_next_turn(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = sprint_session(repo, monkeypatch, Team(chatty=True))
    await session.start()
    started = await start(session)
    sprint_id, ids = started.sprint_id, started.tasks
    await wait_for(session, state_is(sprint_id, "finished"), timeout=60)
    events = list(session.store.events(0))
    sent = next(
        e
        for e in events
        if isinstance(e, ToolCallFinished) and e.task_id == ids["api"] and e.name == "message"
    )
    assert sent.output == f"delivered to {ids['cli']}: it sees it on its next turn"
    steered = next(e for e in events if isinstance(e, SteerReceived) and e.task_id == ids["cli"])
    assert (
        steered.text
        == f"Message from {ids['api']} (api), another agent of your sprint: api serves /greet; use core.greet too"
    )
    # cli went on listing files until the message reached it: the sprint finishing proves it heard it.
    assert steered.seq < sent.seq  # steered while the tool call ran, before its result came back
    log = (await session.execute(GetSprint(sprint_id=sprint_id))).messages
    assert [(m["from"], m["to"], m["status"]) for m in log] == [(ids["api"], ids["cli"], "delivered")]
    await session.shutdown()


async def test_messages_are_rate_limited_per_pair_and_the_orchestrator_answers(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = sprint_session(repo, monkeypatch, Team(stuck="backend"))
    await session.start()
    ids = (await start(session)).tasks
    messages = session.sprints.messages
    replies = [messages.send(ids["api"], "cli", f"question {n}") for n in range(3)]
    replies.append(messages.send(ids["cli"], "api", "an answer"))
    assert replies[0] == f"{ids['cli']} has not started yet: it sees your message when it starts"
    assert messages.send(ids["api"], "cli", "one more").startswith(
        f"refused: you and {ids['cli']} have exchanged 4 messages, the most a pair may"
    )
    assert messages.send(ids["api"], "nobody", "hi").startswith("refused: 'nobody' is not another agent")
    answer = messages.send(ids["docs"], "orchestrator", "I need the greeting signature")
    assert "core.greet(name: str) -> str" in answer and f"{ids['core']} (backend): running" in answer
    assert [line.split(": ", 1)[1] for line in messages.waiting_for(ids["cli"])] == [
        "question 0",
        "question 1",
        "question 2",
    ]
    await session.shutdown()


async def test_tests_failing_on_the_merged_whole_go_to_an_integration_agent_that_fixes_them(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = sprint_session(repo, monkeypatch, Team(one_sided=True))
    await session.start()
    sprint_id = (await start(session)).sprint_id
    await wait_for(session, state_is(sprint_id, "finished"), timeout=60)
    details = await session.execute(GetSprint(sprint_id=sprint_id))
    row = session.store.task(sprint_id)
    assert session.store.sprint(sprint_id).data["merged_tests"]["status"] == "failed"
    assert row.tests["status"] == "passed"  # verification ran them again, after the fix
    assert "the integration agent: put the CLI line back into README.md" in row.summary
    assert "CLI: greet NAME" in git(repo, "show", f"agentdeck/{sprint_id}:README.md")
    assert details.integration.resolutions[0]["why"] == "kept ours"
    await session.shutdown()


async def test_cancelling_a_sprint_cancels_every_role_not_yet_ended(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = sprint_session(repo, monkeypatch, Team(stuck="backend"))
    await session.start()
    started = await start(session)
    sprint_id, ids = started.sprint_id, started.tasks
    await wait_for(session, lambda e: isinstance(e, AgentStarted) and e.task_id == ids["core"])
    await session.execute(Cancel(agent_id=sprint_id))
    await wait_for(session, state_is(ids["core"], "cancelled"), timeout=30)
    assert {session.store.task(t).state for t in [*ids.values(), sprint_id]} == {"cancelled"}
    assert (await session.execute(GetSprint(sprint_id=sprint_id))).state == "cancelled"
    assert session.store.task(ids["core"]).branch == f"agentdeck/{ids['core']}"  # its work is kept
    await session.shutdown()
