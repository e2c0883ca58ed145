"""A task names skills; its agent sees them listed by description and loads one in full only on request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdeck.api import Enqueue
from agentdeck.events import TaskQueued, ToolCallFinished, ToolCallStarted
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.inbox import parse_inbox_text
from agentdeck.skills import load_catalog
from tests.support.scripted_model import Turn, finish
from tests.support.scripted_session import scripted_session, state_is, wait_for
from tests.test_skills import skill_text, write

BODY = "Step one: run the migration backwards on a copy of the database first."


def system_of(request: list[dict]) -> str:
    return str(request[0]["content"])


def whole(request: list[dict]) -> str:
    return json.dumps(request)


async def test_a_named_skill_is_listed_by_description_and_its_body_arrives_only_after_load_skill(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        repo / ".agentdeck" / "skills" / "db" / "SKILL.md",
        skill_text("db-migration", "Write a reversible schema migration.", BODY, tools="[read, run]"),
    )
    session, scripted = scripted_session(
        repo,
        monkeypatch,
        [Turn(text="Loading it.", calls=[("load_skill", {"name": "db-migration"})]), finish("migrated")],
    )
    await session.start()
    reply = await session.execute(Enqueue(task="add a column for the user's locale", skills=["db-migration"]))
    task_id = reply.task_id
    await wait_for(session, state_is(task_id, "finished", "failed"))
    await session.shutdown()

    queued = next(e for e in session.store.events(0, task_id=task_id) if isinstance(e, TaskQueued))
    assert queued.skills == ["db-migration"]
    assert session.store.task(task_id).skills == ["db-migration"]

    first, second = scripted.requests[0], scripted.requests[1]
    system = system_of(first)
    assert "- db-migration [use this]: Write a reversible schema migration." in system
    assert "Use these skills for this task: db-migration" in system
    # The built-in ones are listed too, by description only, and not marked.
    assert "- test-first-bug-fix: Fix a bug by first writing a test" in system
    assert BODY not in whole(first)
    assert "Write the failing test" not in whole(first)
    assert "load_skill" in scripted.tool_names[0]

    loaded = [m for m in second if m.get("role") == "tool"]
    assert len(loaded) == 1 and BODY in loaded[0]["content"]
    assert "It works with the tools: read, run." in loaded[0]["content"]

    events = list(session.store.events(0, task_id=task_id))
    started = next(e for e in events if isinstance(e, ToolCallStarted) and e.name == "load_skill")
    done = next(e for e in events if isinstance(e, ToolCallFinished) and e.name == "load_skill")
    assert json.loads(started.arguments) == {"name": "db-migration"} and done.ok

    from agentdeck.event_text import describe

    assert describe(started) == "→ load_skill db-migration: reads the skill's instructions in full"
    assert describe(queued).endswith("with skill db-migration: add a column for the user's locale")


async def test_an_agent_without_named_skills_still_sees_the_list_and_an_unknown_load_is_a_tool_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, scripted = scripted_session(
        repo, monkeypatch, [Turn(calls=[("load_skill", {"name": "no-such-skill"})]), finish()]
    )
    await session.start()
    task_id = (await session.execute(Enqueue(task="tidy the readme"))).task_id
    await wait_for(session, state_is(task_id, "finished", "failed"))
    await session.shutdown()

    system = system_of(scripted.requests[0])
    assert "- write-docs-for-a-change: " in system
    assert "[use this]" not in system and "Use these skills" not in system
    [answer] = [m for m in scripted.requests[1] if m.get("role") == "tool"]
    assert answer["content"].startswith("error: unknown skill 'no-such-skill'; the skills are: ")


async def test_enqueueing_an_unknown_skill_is_refused_with_the_list_and_nothing_is_queued(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _ = scripted_session(repo, monkeypatch, [finish()])
    await session.start()
    with pytest.raises(CommandError) as caught:
        await session.execute(Enqueue(task="fix it", skills=["fix-bug"]))
    await session.shutdown()
    assert str(caught.value).startswith(
        "unknown skill 'fix-bug': the skills are review-comments-to-changes, "
    )
    assert session.store.tasks() == []


async def test_a_named_skills_model_runs_the_task_unless_the_task_gives_one(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        repo / ".agentdeck" / "skills" / "quick.md",
        skill_text("quick-look", "A quick look.", model="scripted"),
    )
    session, _ = scripted_session(repo, monkeypatch, [finish(), finish()])
    await session.start()
    own = (await session.execute(Enqueue(task="look", skills=["quick-look"]))).task_id
    given = (await session.execute(Enqueue(task="look again", skills=["quick-look"], model="demo"))).task_id
    await session.shutdown()
    assert session.store.task(own).model == "scripted"
    assert session.store.task(given).model == "demo"


def test_inbox_front_matter_names_skills() -> None:
    item = parse_inbox_text("---\nskills: test-first-bug-fix, write-docs-for-a-change\n---\nFix the crash\n")
    assert item.skills == ["test-first-bug-fix", "write-docs-for-a-change"]
    assert parse_inbox_text("---\nskills: [test-first-bug-fix]\n---\nFix it\n").skills == [
        "test-first-bug-fix"
    ]
    assert parse_inbox_text("Fix it\n").skills == []


def test_the_listing_is_small() -> None:
    """Three built-in skills add a few lines, not their instructions, to every agent's prompt."""
    from agentdeck.agent.task_skills import TaskSkills, skills_prompt
    from agentdeck.llm.types import estimate_tokens

    listing = skills_prompt(TaskSkills(load_catalog(None), ("test-first-bug-fix",)))
    bodies = sum(len(s.body) for s in load_catalog(None).skills.values())
    assert estimate_tokens(len(listing)) < 200 and len(listing) < bodies / 4


def test_a_sub_agent_is_told_only_the_tasks_own_skills(repo: Path) -> None:
    from agentdeck.agent.task_skills import TaskSkills
    from tests.support.agents import make_agent
    from tests.support.scripted_model import ScriptedModel

    def child_of(named: tuple[str, ...]):
        skills = TaskSkills.for_task(repo, list(named))
        parent = make_agent(repo, ScriptedModel([]), skills=skills).agent
        assert "load_skill" in [spec["function"]["name"] for spec in parent.toolbox.specs()]
        return parent.spawn_child(parent.new_child_id(), "## Your brief\nReview README.md")

    child = child_of(("test-first-bug-fix",))
    system = system_of(child.messages)
    assert "- test-first-bug-fix [use this]: " in system and "write-docs-for-a-change" not in system
    assert "load_skill" in [spec["function"]["name"] for spec in child.toolbox.specs()]

    plain = child_of(())
    assert "Skills" not in system_of(plain.messages)
    assert "load_skill" not in [spec["function"]["name"] for spec in plain.toolbox.specs()]


async def test_the_planner_gets_the_tasks_named_skills_in_full(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo / ".agentdeck" / "skills" / "db.md", skill_text("db-migration", "Write a migration.", BODY))
    session, scripted = scripted_session(repo, monkeypatch, [Turn(text="1. Add the migration."), finish()])
    session.settings.plan.background = True
    await session.start()
    task_id = (await session.execute(Enqueue(task="add a locale column", skills=["db-migration"]))).task_id
    await wait_for(session, state_is(task_id, "finished", "failed"))
    await session.shutdown()
    planning, executing = scripted.requests[0], scripted.requests[1]
    assert scripted.tool_names[0] == []  # the planner's turn
    assert "## Skills the task names" in planning[1]["content"] and BODY in planning[1]["content"]
    assert BODY not in whole(executing) and "1. Add the migration." in executing[1]["content"]
