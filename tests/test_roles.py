"""Roles of [roles] in agentdeck.toml: a task picks one; its model, temperature, prompt and budgets reach the agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdeck.api import Enqueue, GetStatus
from agentdeck.commands.session import render_table
from agentdeck.config import ConfigError, load_settings
from agentdeck.events import AgentStarted, InboxRejected, TaskQueued
from agentdeck.runtime.command_error import CommandError
from agentdeck.runtime.inbox import Inbox, InboxTask, parse_inbox_text
from tests.support.cli import run_cli
from tests.support.git_repos import make_repo
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.support.scripted_model import budget_note_of, finish
from tests.support.scripted_session import scripted_session, state_is, wait_for

DATABASE_ROLE = """
[roles.database]
temperature = 0.1
skills = ["test-first-bug-fix"]
prompt = "You own the database layer: every migration must be reversible."

[roles.database.budgets]
max_steps = 7
"""


def repo_with(tmp_path: Path, toml: str, **files: str) -> Path:
    return make_repo(tmp_path / "repo", {"README.md": "# Demo\n", "agentdeck.toml": toml, **files})


async def test_a_queued_task_with_a_role_briefs_its_agent_with_conventions_budget_and_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, DATABASE_ROLE, **{"AGENTS.md": "Use snake_case for column names.\n"})
    session, scripted = scripted_session(repo, monkeypatch, [finish("added the index")])
    await session.start()
    task_id = (await session.execute(Enqueue(task="add an index on orders.created", role="database"))).task_id
    await wait_for(session, state_is(task_id, "finished", "failed"))
    status = await session.execute(GetStatus())
    events = list(session.store.events(0, task_id=task_id))
    await session.shutdown()

    first = scripted.requests[0]
    system, note = first[0]["content"], budget_note_of(first) or ""
    assert f"agent {task_id} (role: database)" in system
    assert (
        "## Your role: database\n\nYou own the database layer: every migration must be reversible." in system
    )
    assert "## Project conventions (AGENTS.md)\n\nUse snake_case for column names." in system
    assert note.startswith("[agentdeck budget] step 1 of 7; "), "the role's step budget"
    assert "- test-first-bug-fix [use this]:" in system, "the role's skill, marked for use"
    assert [e.role for e in events if isinstance(e, TaskQueued | AgentStarted)] == ["database", "database"]
    [row] = status.tasks
    assert row.role == "database"
    assert "database" in render_table(status.tasks).splitlines()[1]


async def test_an_unknown_role_is_refused_naming_the_defined_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, DATABASE_ROLE + '\n[roles.docs]\nprompt = "Write plainly."\n')
    session, _ = scripted_session(repo, monkeypatch, [])
    await session.start()
    with pytest.raises(CommandError) as refused:
        await session.execute(Enqueue(task="tidy up", role="dba"))
    tasks = (await session.execute(GetStatus())).tasks
    await session.shutdown()

    assert str(refused.value) == (
        "unknown role 'dba': the roles defined in agentdeck.toml are database, docs; "
        "pick one of them, or leave out --role to use the executor"
    )
    assert tasks == [], "nothing was queued"


def test_run_with_an_unknown_role_and_no_roles_says_how_to_define_one(repo: Path, agentdeck_cmd) -> None:
    result = run_cli(agentdeck_cmd, "run", "--role", "database", "tidy up", cwd=repo)

    assert result.returncode == 2
    assert (
        "unknown role 'database': no roles are defined; add a [roles.database] table to agentdeck.toml"
        in (result.stderr)
    )


def test_a_custom_roles_model_temperature_and_prompt_reach_the_providers_request(
    tmp_path: Path, agentdeck_cmd
) -> None:
    with FakeOpenAIServer([Reply(tool_calls=[("finish", {"summary": "reviewed"})])]) as server:
        toml = DATABASE_ROLE.replace(
            "[roles.database]\n",
            f'[roles.database]\nmodel = "openai/db-model"\napi_base = "{server.base_url}"\n',
        )
        repo = repo_with(tmp_path, toml)
        result = run_cli(
            agentdeck_cmd, "run", "--role", "database", "--json", "review the migrations", cwd=repo
        )
        requests = list(server.requests)

    assert result.returncode == 0, result.stderr
    started = json.loads(result.stdout.splitlines()[0])
    assert started["type"] == "agent_started" and started["role"] == "database"
    assert started["model"] == "openai/db-model"
    [request] = requests
    assert request["model"] == "db-model" and request["temperature"] == 0.1
    system = request["messages"][0]["content"]
    assert "(role: database)" in system and "every migration must be reversible" in system
    assert "\n\n[agentdeck budget] step 1 of 7; " in request["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        (
            "[roles.judge]\nprompt = 'x'\n",
            "judge is a built-in role, set as [judge]; give this role another name",
        ),
        ("[roles.'data base']\nprompt = 'x'\n", "a role name is letters, digits, - and _"),
        ("[roles.db]\ntemperature = 3\n", "roles.db.temperature: Input should be less than or equal to 2"),
        ("[roles.db]\nbudget = {max_steps = 3}\n", "roles.db.budget: unknown key"),
    ],
)
def test_a_bad_role_table_names_the_file_and_the_fix(tmp_path: Path, table: str, problem: str) -> None:
    repo = repo_with(tmp_path, table)
    with pytest.raises(ConfigError) as bad:
        load_settings(repo)
    assert "agentdeck.toml" in str(bad.value) and problem in str(bad.value)


def test_an_inbox_file_picks_a_role_in_its_front_matter() -> None:
    item = parse_inbox_text("---\nrole: database\npriority: 2\n---\nadd an index on orders.created\n")
    assert (item.role, item.priority, item.task) == ("database", 2, "add an index on orders.created")


async def test_a_role_naming_a_missing_skill_is_refused_when_the_task_picks_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, '[roles.database]\nskills = ["migrations"]\n')
    session, _ = scripted_session(repo, monkeypatch, [])
    await session.start()
    with pytest.raises(CommandError) as refused:
        await session.execute(Enqueue(task="add an index", role="database"))
    await session.shutdown()

    assert str(refused.value).startswith(
        "role 'database' of agentdeck.toml names a skill that is not there: "
    )
    assert "migrations" in str(refused.value)


async def test_a_role_added_after_the_session_started_is_refused_saying_to_restart_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _ = scripted_session(repo, monkeypatch, [])
    await session.start()
    (repo / "agentdeck.toml").write_text(DATABASE_ROLE)
    with pytest.raises(CommandError) as refused:
        await session.execute(Enqueue(task="tidy up", role="database"))
    await session.shutdown()

    assert "role 'database' was added to agentdeck.toml after this session started" in str(refused.value)
    assert "`agentdeck stop`" in str(refused.value)


async def test_an_inbox_file_with_an_unknown_role_is_moved_aside_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with(tmp_path, DATABASE_ROLE)
    session, _ = scripted_session(repo, monkeypatch, [finish("done")])
    await session.start()
    rejected: list[InboxRejected] = []

    async def enqueue(item: InboxTask) -> str:
        return (await session.execute(Enqueue(task=item.task, source="inbox", role=item.role))).task_id

    inbox = Inbox(tmp_path / "inbox", enqueue, rejected.append)
    inbox.prepare()
    (tmp_path / "inbox" / "dba.md").write_text("---\nrole: dba\n---\nAdd an index.\n")
    (tmp_path / "inbox" / "db.md").write_text("---\nrole: database\n---\nAdd an index.\n")
    await inbox.scan()
    tasks = (await session.execute(GetStatus())).tasks
    await session.shutdown()

    [why] = [r.reason for r in rejected]
    assert why.startswith("unknown role 'dba': the roles defined in agentdeck.toml are database")
    assert why in (tmp_path / "inbox" / "rejected" / "dba.md.error").read_text()
    assert [t.role for t in tasks] == ["database"]
