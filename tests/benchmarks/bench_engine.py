"""Benchmark: the engine's overhead per step against a bare litellm loop, and `agentdeck --help`.

Run from the repository root:

    .venv/bin/python -m tests.benchmarks.bench_engine [--steps 40] [--rounds 5]

Both loops talk to the same scripted OpenAI-compatible server on 127.0.0.1 through real
litellm, with the same replies (prose, then one `read` tool call) and transcripts of the
same size. The engine adds what a user gets from it: events, the tool run in a real
worktree, budgets, the context meter. Rounds alternate the two loops, and the medians are
compared, so both see the same machine noise. Figures are ratios from one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from agentdeck.agent.briefing import brief_agent
from agentdeck.agent.budget_note import budget_line, with_budget_note
from agentdeck.agent.budgets import Budget, BudgetMeter
from agentdeck.agent.prompts import system_prompt
from agentdeck.agent.tools import ToolContext
from agentdeck.agent.tools.files import ReadArgs, read_file
from agentdeck.events import AgentFinished
from agentdeck.llm.litellm_client import LiteLLMClient
from agentdeck.llm.litellm_loader import load_litellm
from agentdeck.workspace import new_task_id
from tests.benchmarks.timing import median_wall_time
from tests.support.agents import make_agent
from tests.support.git_repos import make_repo
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.support.scripted_model import ScriptedModel, Turn, call, finish

PROSE = "Let me read the README again to check one detail before I go on with the task."


def script(steps: int):
    def reply(request: dict) -> Reply:
        done = sum(1 for m in request["messages"] if m["role"] == "assistant")
        if done + 1 >= steps:
            return Reply(text="Done.", tool_calls=[("finish", {"summary": "benchmark"})], usage=(1000, 20))
        return Reply(text=PROSE, tool_calls=[("read", {"path": "README.md"})], usage=(1000, 20))

    return reply


async def engine_loop(repo: Path, base_url: str, steps: int) -> float:
    """Seconds per step for the real agent loop."""
    model = LiteLLMClient("openai/test-model", base_url, max_retries=0)
    harness = make_agent(
        repo, model, task="benchmark task", budget=Budget(max_steps=steps + 5), context_window=100_000
    )
    started = time.perf_counter()
    result = await harness.agent.run()
    elapsed = time.perf_counter() - started
    assert result.status == "finished" and harness.of(AgentFinished), result
    return elapsed / result.steps


async def engine_own_work(repo: Path, steps: int) -> float:
    """Seconds per step of the engine alone: the same turns from a model that answers instantly."""
    turns = [Turn(PROSE, [call("read", path="README.md")]) for _ in range(steps - 1)] + [finish("benchmark")]
    model = ScriptedModel(turns)
    model.record = False
    harness = make_agent(
        repo, model, task="benchmark task", budget=Budget(max_steps=steps + 5), context_window=100_000
    )
    started = time.perf_counter()
    result = await harness.agent.run()
    assert result.status == "finished", result
    return (time.perf_counter() - started) / result.steps


async def bare_loop(repo: Path, base_url: str, steps: int, tools: list[dict]) -> float:
    """Seconds per step for the least a litellm agent loop must do: stream, assemble, append."""
    litellm = load_litellm()
    # The very transcript the engine sends (same prompt, same tool output), made up front,
    # so that only the engine's own work differs between the two loops.
    read_result = await read_file(ToolContext(worktree=repo), ReadArgs(path="README.md"))
    messages = [
        {"role": "system", "content": system_prompt(repo, brief_agent(new_task_id("benchmark task"), repo))},
        {"role": "user", "content": "benchmark task"},
    ]
    # The engine ends each request with a budget note (sent, not kept): after a tool result, a
    # message of its own, made up front; the first request's joins the task, as the engine's does.
    meter = BudgetMeter(Budget(max_steps=steps + 5), time.monotonic)
    meter.start()
    first = with_budget_note(messages, meter, 0.01)
    notes = []
    for step in range(steps):
        meter.steps = step
        notes.append({"role": "user", "content": budget_line(meter, 0.01)})
    started = time.perf_counter()
    for step in range(steps):
        stream = await litellm.acompletion(
            model="openai/test-model",
            messages=first if step == 0 else [*messages, notes[step]],
            tools=tools,
            stream=True,
            stream_options={"include_usage": True},
            api_base=base_url,
            api_key="no-key",
            max_retries=0,
        )
        text, calls = [], {}
        async for chunk in stream:
            if not chunk.choices:
                continue
            delta = chunk.choices[0].delta
            if delta.content:
                text.append(delta.content)
            for fragment in delta.tool_calls or []:
                entry = calls.setdefault(fragment.index, {"id": fragment.id, "name": "", "arguments": ""})
                entry["name"] += fragment.function.name or ""
                entry["arguments"] += fragment.function.arguments or ""
        messages.append(
            {
                "role": "assistant",
                "content": "".join(text),
                "tool_calls": [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": c["arguments"]},
                    }
                    for c in calls.values()
                ],
            }
        )
        for c in calls.values():
            messages.append({"role": "tool", "tool_call_id": c["id"], "content": read_result.output})
        if any(c["name"] == "finish" for c in calls.values()):
            return (time.perf_counter() - started) / (step + 1)
    raise AssertionError("the script never finished")


def help_wall_time(runs: int) -> tuple[float, float]:
    """Median seconds of `agentdeck --help` and of a bare `python -c pass`, in fresh processes."""
    return median_wall_time([sys.executable, "-m", "agentdeck", "--help"], runs), median_wall_time(
        [sys.executable, "-c", "pass"], runs
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from agentdeck.agent.tools import Toolbox

    tools = Toolbox().specs()
    engine, bare, own = [], [], []
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAIServer(script(args.steps)) as server:
        load_litellm()
        # Warm up both paths (litellm loads more code on its first call).
        await bare_loop(make_repo(Path(tmp) / "warm-bare"), server.base_url, args.steps, tools)
        await engine_loop(make_repo(Path(tmp) / "warm-engine"), server.base_url, args.steps)
        for round_ in range(args.rounds):
            repo = make_repo(Path(tmp) / f"repo-{round_}")
            bare.append(await bare_loop(repo, server.base_url, args.steps, tools))
            engine.append(await engine_loop(repo, server.base_url, args.steps))
            own.append(await engine_own_work(make_repo(Path(tmp) / f"own-{round_}"), args.steps))

    engine_s, bare_s, own_s = statistics.median(engine), statistics.median(bare), statistics.median(own)
    help_s, python_s = help_wall_time(runs=15)
    print(
        f"steps per run: {args.steps}, rounds: {args.rounds}, python {sys.version.split()[0]}, {os.cpu_count()} cores"
    )
    print(f"bare litellm loop   {bare_s * 1000:8.2f} ms/step (median)")
    print(f"agentdeck engine    {engine_s * 1000:8.2f} ms/step (median)")
    print(f"engine overhead     {(engine_s / bare_s - 1) * 100:+8.2f} %  end to end (goal <= 5 %)")
    print(
        f"engine's own work   {own_s * 1000:8.3f} ms/step with an instant model = {own_s / bare_s * 100:.2f} % of a bare litellm step"
    )
    print(
        f"agentdeck --help    {help_s * 1000:8.1f} ms  = {help_s / python_s:.2f} x a bare `python -c pass` ({python_s * 1000:.1f} ms); goal < 300 ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
