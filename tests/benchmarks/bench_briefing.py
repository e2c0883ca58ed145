"""Benchmark: the tokens an agent's briefing adds to its first request, without a conventions file.

Run from the repository root:

    .venv/bin/python -m tests.benchmarks.bench_briefing [--no-litellm]

A real agent (real worktree of a throwaway repository with no conventions file, the real
loop and tools) makes its first request to a scripted model, which records it. Against it:
the first request as it was before agents were briefed (the system prompt of commit cc214fc,
copied below, and the task). Tokens are counted two ways: `message_tokens`, the context
meter's estimate (JSON characters / 4), and litellm's `token_counter` for gpt-4o (a real
tokenizer) unless --no-litellm. The note joins the task (the last user message) in the first request; the wrap-up note
(the longest one) is measured as a message of its own, as it is sent after a tool result.
The tool schemas are the same in both and are left out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from agentdeck.agent.budget_note import budget_line, without_budget_note
from agentdeck.agent.budgets import Budget, BudgetMeter
from agentdeck.agent.context_meter import message_tokens
from agentdeck.llm.types import Message
from tests.support.agents import make_agent
from tests.support.git_repos import make_repo
from tests.support.scripted_model import ScriptedModel, finish

TASK = "fix the off-by-one in src/app.py and add a test for it"
GOAL_TOKENS = 300


def baseline_system_prompt(worktree: Path) -> str:
    """agentdeck/agent/prompts.py:system_prompt at commit cc214fc, the last one before the briefing."""
    return (
        "You are a coding agent working in a git worktree of the user's repository. "
        f"The worktree root is {worktree}; give every path relative to it. "
        "You cannot reach files outside it.\n"
        "Work in small steps: look around (list, search, read), change files (write, or edit "
        "with an exact unique piece of old text), and check your work (run the project's "
        "tests or a command). Every step that changes files is committed on your branch.\n"
        "A message from the user may arrive between your turns: take it into account.\n"
        "When the task is done, call finish with a short summary of what changed and how "
        "you checked it."
    )


def first_request(root: Path) -> tuple[list[Message], Path]:
    repo = make_repo(root / "repo")
    model = ScriptedModel([finish()])
    h = make_agent(repo, model, task=TASK, context_window=128_000)
    asyncio.run(h.agent.run())
    return model.requests[0], Path(h.workspace.path)


def counters(use_litellm: bool):
    yield "meter estimate", lambda messages: sum(message_tokens(m) for m in messages)
    if use_litellm:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        yield "gpt-4o tokenizer", lambda messages: litellm.token_counter(model="gpt-4o", messages=messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-litellm", action="store_true", help="only the meter's estimate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agentdeck-bench-briefing-") as tmp:
        request, worktree = first_request(Path(tmp))
    baseline: list[Message] = [
        {"role": "system", "content": baseline_system_prompt(worktree)},
        {"role": "user", "content": TASK},
    ]
    meter = BudgetMeter(Budget(max_steps=50), lambda: 0.0)
    meter.steps = 48
    wrap_up: list[Message] = [{"role": "user", "content": budget_line(meter, 0.42)}]
    stored, line = without_budget_note(request)
    print(f"first request: {len(request)} messages; the note (joined to the task): {line!r}")
    for name, count in counters(not args.no_litellm):
        now, before = count(request), count(baseline)
        system = count(request[:1]) - count(baseline[:1])
        note = now - count(stored)
        print(
            f"{name:>16}: {now} tokens vs {before} before: +{now - before} "
            f"(system prompt +{system}, budget note {note}, wrap-up note {count(wrap_up)}); goal ≤ {GOAL_TOKENS}"
        )


if __name__ == "__main__":
    main()
