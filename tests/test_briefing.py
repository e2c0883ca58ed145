"""What every task's own agent is told besides its task: name, role, conventions, how to work."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdeck.api import Enqueue
from agentdeck.event_text import describe
from agentdeck.events import AgentStarted, TextDelta
from agentdeck.llm.demo import DemoModel
from tests.support.agents import make_agent
from tests.support.git_repos import make_repo
from tests.support.scripted_model import finish
from tests.support.scripted_session import scripted_session, state_is, wait_for

CONVENTIONS = "# House rules\n\nEvery function has a docstring. Run `make check` before finishing.\n"


async def test_the_main_agent_sees_the_conventions_its_name_and_how_to_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# Demo\n", "AGENTS.md": CONVENTIONS})
    session, scripted = scripted_session(repo, monkeypatch, [finish("nothing to do")])
    await session.start()
    task_id = (await session.execute(Enqueue(task="tidy the README"))).task_id
    await wait_for(session, state_is(task_id, "finished", "failed"))
    [started] = [e for e in session.store.events(0, task_id=task_id) if isinstance(e, AgentStarted)]
    await session.shutdown()

    # The logs say what the agent was given.
    assert (started.conventions, started.max_steps) == ("AGENTS.md", 50)
    assert "· conventions AGENTS.md · budget 50 steps, $5.00, 30 min ·" in describe(started)
    system = scripted.requests[0][0]
    assert system["role"] == "system"
    assert "## Project conventions (AGENTS.md)" in system["content"]
    assert "Run `make check` before finishing." in system["content"]
    assert f"agent {task_id} (role: executor)" in system["content"]
    assert "Read the code you will change" in system["content"]
    assert "verify the change with the project's tests" in system["content"]


async def test_without_a_conventions_file_the_prompt_has_no_conventions_section(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, scripted = scripted_session(repo, monkeypatch, [finish("nothing to do")])
    await session.start()
    task_id = (await session.execute(Enqueue(task="tidy the README"))).task_id
    await wait_for(session, state_is(task_id, "finished", "failed"))
    await session.shutdown()

    assert "Project conventions" not in scripted.requests[0][0]["content"]


async def test_the_demo_model_says_it_follows_the_conventions_it_was_given(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# Demo\n", "CLAUDE.md": CONVENTIONS})
    h = make_agent(repo, DemoModel(tokens_per_second=0), task="take notes")
    await h.agent.run()

    said = "".join(e.text for e in h.of(TextDelta))
    assert "I'll follow the project's conventions in CLAUDE.md." in said
