"""The budget note: each request ends with what is left of the budgets, and near the end it says to wrap up."""

from __future__ import annotations

from pathlib import Path

from agentdeck.agent import budget_note as note_module
from agentdeck.agent.budget_note import BUDGET_NOTE_PREFIX, WRAP_UP, budget_line
from agentdeck.agent.budgets import Budget, BudgetMeter
from agentdeck.events import AgentFailed
from agentdeck.llm import demo
from agentdeck.llm.demo import DemoModel
from tests.support.agents import make_agent
from tests.support.scripted_model import ScriptedModel, Turn, budget_note_of, call, finish


def notes_in(messages: list[dict]) -> int:
    return sum(str(m.get("content", "")).count(BUDGET_NOTE_PREFIX) for m in messages)


async def test_every_request_ends_with_a_fresh_budget_note_and_the_transcript_keeps_none(repo: Path) -> None:
    model = ScriptedModel(
        [Turn("Looking.", [call("list")]), Turn("Reading.", [call("read", path="README.md")]), finish()]
    )
    h = make_agent(repo, model, budget=Budget(max_steps=20, max_cost_usd=2.0, max_wall_seconds=600))
    result = await h.agent.run()

    assert result.status == "finished"
    lines = [budget_note_of(request) or "" for request in model.requests]
    assert all(notes_in(request) == 1 for request in model.requests), "one note a request, the latest"
    assert lines[0].startswith("[agentdeck budget] step 1 of 20; ")
    assert lines[1].startswith("[agentdeck budget] step 2 of 20; ")
    assert "of 10m00s left; $2.00 of $2.00 left; context " in lines[0]
    assert not any(WRAP_UP in line for line in lines)
    assert notes_in(h.agent.messages) == 0
    # After the task (a user message) the note joins it; after a tool result it is a message of its own.
    assert model.requests[0][1]["content"] == f"do the task\n\n{lines[0]}" and len(model.requests[0]) == 2
    assert model.requests[1][-2]["role"] == "tool" and model.requests[1][-1] == {
        "role": "user",
        "content": lines[1],
    }


async def test_near_the_step_limit_the_agent_is_told_to_wrap_up_and_finishes(repo: Path) -> None:
    def script(messages: list[dict]) -> Turn:
        if WRAP_UP in (budget_note_of(messages) or ""):
            return finish("stopped with what I had: read README.md")
        return Turn("Reading again.", [call("read", path="README.md")])

    model = ScriptedModel(script)
    h = make_agent(repo, model, budget=Budget(max_steps=5))
    result = await h.agent.run()

    assert result.status == "finished" and result.summary == "stopped with what I had: read README.md"
    told = [i for i, request in enumerate(model.requests) if WRAP_UP in (budget_note_of(request) or "")]
    assert told == [3], "told at step 4 of 5, with two steps left"
    assert "steps nearly spent" in (budget_note_of(model.requests[3]) or "")
    assert h.of(AgentFailed) == []


async def test_the_demo_model_wraps_up_with_real_tool_calls_when_told(repo: Path) -> None:
    h = make_agent(repo, DemoModel(tokens_per_second=0), budget=Budget(max_steps=4))
    result = await h.agent.run()

    assert result.status == "finished" and result.steps == 3
    assert "budget is nearly spent" in result.summary and "list ×1" in result.summary


def test_little_time_or_cost_left_also_says_wrap_up() -> None:
    now = [0.0]
    meter = BudgetMeter(Budget(max_steps=50, max_cost_usd=1.0, max_wall_seconds=1000), lambda: now[0])
    meter.start()
    assert WRAP_UP not in budget_line(meter, 0.3)
    now[0] = 950.0
    assert "(time nearly spent)" in budget_line(meter, 0.3)
    meter.add_cost(0.95)
    assert "(time and cost nearly spent)" in budget_line(meter, None)
    assert "context" not in budget_line(meter, None)
    meter.steps = 49
    assert "this is your last step" in budget_line(meter, None)


def test_the_demo_model_knows_the_note_by_the_same_words() -> None:
    assert (demo.BUDGET_NOTE_PREFIX, demo.WRAP_UP) == (note_module.BUDGET_NOTE_PREFIX, note_module.WRAP_UP)
