"""The demo model's agents follow their own task: parallel demo agents differ in what they do and say."""

from __future__ import annotations

import json
from pathlib import Path

from agentdeck.events import TextDelta, ToolCallStarted
from agentdeck.llm.demo import DemoModel
from agentdeck.workspace.sample_repo import create_sample_repository
from tests.support.agents import make_agent

ROUNDING = "Review how amounts are rounded against docs/invoicing-rules.md"
TODOS = "Find the TODOs in invoice_tools and propose a fix for each"
CONTRIBUTING = "Write a short CONTRIBUTING note on how to run the tests"


async def steps_of(repo: Path, task: str) -> tuple[list[tuple[str, dict]], str]:
    harness = make_agent(repo, DemoModel(tokens_per_second=0), task=task, context_window=200_000)
    await harness.agent.run()
    calls = [(e.name, json.loads(e.arguments)) for e in harness.of(ToolCallStarted)]
    return calls, "".join(e.text for e in harness.of(TextDelta))


async def test_each_demo_task_reads_searches_and_talks_about_its_own_task(tmp_path: Path) -> None:
    repo = tmp_path / "sample"
    create_sample_repository(repo)
    rounding, rounding_text = await steps_of(repo, ROUNDING)
    todos, todos_text = await steps_of(repo, TODOS)
    contributing, _ = await steps_of(repo, CONTRIBUTING)

    def first_read(calls):
        return next(args["path"] for name, args in calls if name == "read")

    def search(calls):
        return next(args["pattern"] for name, args in calls if name == "search")

    assert first_read(rounding) == "docs/invoicing-rules.md"
    assert first_read(todos).startswith("invoice_tools/")
    assert first_read(contributing) == "tests/test_totals.py"
    assert search(todos) == "TODO|FIXME"
    assert "round" in search(rounding) and "amount" in search(rounding)
    assert "which the task names" in rounding_text and "review how amounts are rounded" in rounding_text
    first_lines = {text.splitlines()[0] for text in (rounding_text, todos_text)}
    assert len(first_lines) == 2  # not the same words in every pane


async def test_a_demo_agent_that_splits_finishes_within_its_budget(tmp_path: Path) -> None:
    # The demo's own window (4,000 tokens): it splits at 60% and must then finish from the
    # summaries, not search again, refill its context and split over and over.
    from agentdeck.agent.splitting import SplitSettings
    from agentdeck.events import ContextCompacted

    repo = tmp_path / "sample"
    create_sample_repository(repo)
    harness = make_agent(
        repo,
        DemoModel(tokens_per_second=0),
        task="Suggest clearer names for the helpers in invoice_tools",
        context_window=4000,
        split_settings=SplitSettings(threshold=0.6),
    )
    result = await harness.agent.run()
    assert result.status == "finished", result.error
    assert len(harness.of(ContextCompacted)) == 1
