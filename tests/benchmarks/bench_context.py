"""Benchmark: the context meter's incremental update, and the tokens a long task spends with and without splitting.

Run from the repository root:

    .venv/bin/python -m tests.benchmarks.bench_context [--reps 300] [--litellm-reps 15] [--no-litellm]

1. Meter. A realistic OpenAI-format transcript (system prompt, task, then assistant turns
   with tool calls and tool results of varied sizes) of about 100k tokens by
   `ContextMeter`'s own count. Each repetition starts from a fresh meter anchored on that
   transcript (untimed, the state the agent loop is in after a turn), appends one new
   ~500-token tool result and times `update()`: the incremental path. Against it: a full
   recount by a fresh `ContextMeter(...).reset(...)`, and litellm's `token_counter` for
   gpt-4o (a real tokenizer) on the same transcript.
2. Splitting. The offline demo model works as an agent on a throwaway repository of 12
   files of ~2,500 characters: once with an 8,000-token window and a 0.6 split threshold,
   once with a 200,000-token window (it never splits). The events give the prompt and
   completion tokens summed over every LLM request (sub-agents included), the requests,
   the peak context fill, splits and sub-agents.

Figures are ratios from one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from agentdeck.agent.budgets import Budget
from agentdeck.agent.context_meter import ContextMeter, message_tokens
from agentdeck.agent.loop import Agent
from agentdeck.agent.prompts import system_prompt
from agentdeck.agent.splitting import SplitSettings
from agentdeck.agent.tools import Toolbox, ToolContext
from agentdeck.events import (
    AgentFailed,
    AgentFinished,
    ContextUsage,
    Event,
    SplitTriggered,
    SubAgentSpawned,
    ToolCallFinished,
    TurnFinished,
)
from agentdeck.llm.demo import DemoModel
from agentdeck.runtime.bus import EventBus
from agentdeck.workspace import create_task_workspace, new_task_id, open_repository
from tests.support.git_repos import make_repo

TARGET_TOKENS = 100_000
NEW_MESSAGE_TOKENS = 500
METER_WINDOW = 200_000

WORDS = (
    "def class return self value items config result error path agent context token message "
    "tool call request update meter window fraction split handoff summary branch commit worktree "
    "async await import from None True False if else for in while try except raise with as"
).split()


# -- 1. the meter ------------------------------------------------------------------------


def _code_text(rng: random.Random, chars: int) -> str:
    """Code-like text of about `chars` characters: numbered lines, indentation, punctuation."""
    lines: list[str] = []
    size = 0
    number = rng.randint(1, 400)
    while size < chars:
        indent = "    " * rng.randint(0, 3)
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
        if rng.random() < 0.3:
            body = f"{rng.choice(WORDS)}({rng.choice(WORDS)}, {rng.choice(WORDS)}={rng.randint(0, 999)}):"
        line = f"{number:>5}| {indent}{body}"
        lines.append(line)
        size += len(line) + 1
        number += 1
    return "\n".join(lines)[:chars]


def _assistant(rng: random.Random, index: int) -> dict:
    name, arguments = rng.choice(
        [
            ("read", {"path": f"src/module_{index % 37}.py", "start_line": 1, "end_line": 200}),
            ("search", {"pattern": rng.choice(WORDS) + "|TODO", "path": "src"}),
            ("run", {"command": "python -m pytest -q tests/test_" + rng.choice(WORDS) + ".py"}),
            ("list", {"path": "src"}),
        ]
    )
    prose = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60))).capitalize() + "."
    return {
        "role": "assistant",
        "content": prose,
        "tool_calls": [
            {
                "id": f"call_{index}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }


def _tool_result(rng: random.Random, index: int, chars: int) -> dict:
    return {"role": "tool", "tool_call_id": f"call_{index}", "content": _code_text(rng, chars)}


def build_transcript(tools: list[dict], target: int = TARGET_TOKENS) -> list[dict]:
    """About `target` tokens by ContextMeter's count, ending with an assistant turn awaiting its tool result."""
    rng = random.Random(3)
    messages = [
        {"role": "system", "content": system_prompt(Path("/tmp/agentdeck-bench/worktree"))},
        {
            "role": "user",
            "content": "Find out why the context meter drifts after compaction and fix it; add a test.",
        },
    ]
    meter = ContextMeter(METER_WINDOW, tools)
    meter.reset(messages)
    index = 0
    while True:
        index += 1
        messages.append(_assistant(rng, index))
        if meter.update(messages) >= target:
            return messages
        # Tool outputs of varied sizes: short listings and errors up to long file reads.
        chars = int(rng.choice([200, 600, 1500, 3000, 6000, 12000]) * rng.uniform(0.6, 1.4))
        messages.append(_tool_result(rng, index, chars))
        meter.update(messages)


def _new_result(rng: random.Random, call_id: str) -> dict:
    """A tool result of about NEW_MESSAGE_TOKENS by the meter's count."""
    message = {"role": "tool", "tool_call_id": call_id, "content": ""}
    message["content"] = _code_text(rng, 4 * NEW_MESSAGE_TOKENS - 60)
    return message


def _ms_stats(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return statistics.median(ms), p95


@dataclass
class MeterFigures:
    messages: int
    tokens: int
    new_tokens: int
    incremental: tuple[float, float]
    full: tuple[float, float]
    litellm: tuple[float, float] | None = None
    litellm_tokens: int | None = None
    litellm_note: str = ""


def bench_meter(reps: int, litellm_reps: int, use_litellm: bool) -> MeterFigures:
    tools = Toolbox().specs()
    base = build_transcript(tools)
    call_id = base[-1]["tool_calls"][0]["id"]
    rng = random.Random(7)
    news = [_new_result(rng, call_id) for _ in range(reps)]
    incremental: list[float] = []
    full: list[float] = []
    used = 0
    for new in news:
        # The state the loop is in after a turn: provider usage anchored on the transcript.
        messages = base.copy()
        meter = ContextMeter(METER_WINDOW, tools)
        meter.reset(messages)
        meter.record_usage(messages, meter.used - message_tokens(messages[-1]), message_tokens(messages[-1]))
        messages.append(new)
        started = time.perf_counter()
        used = meter.update(messages)
        incremental.append(time.perf_counter() - started)
        # A full recount of the same transcript, from scratch.
        started = time.perf_counter()
        ContextMeter(METER_WINDOW, tools).reset(messages)
        full.append(time.perf_counter() - started)
    figures = MeterFigures(
        messages=len(base) + 1,
        tokens=used,
        new_tokens=message_tokens(news[0]),
        incremental=_ms_stats(incremental),
        full=_ms_stats(full),
    )
    if not use_litellm:
        figures.litellm_note = "skipped (--no-litellm)"
        return figures
    try:
        from agentdeck.llm.litellm_loader import load_litellm

        litellm = load_litellm()
        messages = [*base, news[0]]
        figures.litellm_tokens = litellm.token_counter(
            model="gpt-4o", messages=messages
        )  # warm-up: loads the tokenizer
        times = []
        for new in news[:litellm_reps]:
            messages = [*base, new]
            started = time.perf_counter()
            litellm.token_counter(model="gpt-4o", messages=messages)
            times.append(time.perf_counter() - started)
        figures.litellm = _ms_stats(times)
    except Exception as exc:  # offline without a tokenizer, or litellm missing: the rest still stands
        figures.litellm_note = f"skipped: {type(exc).__name__}: {exc}"[:200]
    return figures


# -- 2. splitting --------------------------------------------------------------------------


def _file_text(rng: random.Random, name: str, chars: int = 2500) -> str:
    lines = [f"# {name}: part of the benchmark project", ""]
    size = sum(len(line) + 1 for line in lines)
    while size < chars:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        if rng.random() < 0.05:
            line = "# TODO: " + line
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)[:chars] + "\n"


def bench_files() -> dict[str, str]:
    rng = random.Random(11)
    names = [
        "README.md",
        *[f"src/module_{i:02}.py" for i in range(1, 9)],
        "docs/design.md",
        "docs/usage.md",
        "NOTES.txt",
    ]
    return {name: _file_text(rng, name) for name in names}


@dataclass
class RunFigures:
    label: str
    window: int
    status: str = ""
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    peak_fraction: float = 0.0  # the meter's fill before a request
    peak_prompt_fraction: float = 0.0  # the request's own prompt_tokens / window
    splits: int = 0
    sub_agents: int = 0
    reads: int = 0
    cut: int = 0  # tool outputs cut to stay under the split threshold
    seconds: float = 0.0
    events: list[Event] = field(default_factory=list)


async def run_demo(repo: Path, label: str, window: int, threshold: float) -> RunFigures:
    figures = RunFigures(label=label, window=window)
    last_fill: dict[str, float] = {}

    def on_event(event: Event) -> None:
        figures.events.append(event)
        if isinstance(event, ContextUsage):
            last_fill[event.agent_id] = event.fraction
        elif isinstance(event, TurnFinished):
            # The agent's last ContextUsage before a TurnFinished is the fill of that request.
            figures.requests += 1
            figures.prompt_tokens += event.prompt_tokens
            figures.completion_tokens += event.completion_tokens
            figures.peak_fraction = max(figures.peak_fraction, last_fill.get(event.agent_id, 0.0))
            figures.peak_prompt_fraction = max(figures.peak_prompt_fraction, event.prompt_tokens / window)
        elif isinstance(event, SplitTriggered):
            figures.splits += 1
        elif isinstance(event, SubAgentSpawned):
            figures.sub_agents += 1
        elif isinstance(event, ToolCallFinished):
            figures.reads += event.name == "read"
            figures.cut += "[agentdeck: this output was cut" in event.output

    bus = EventBus()
    bus.subscribe(on_event)
    task = "Review this project and write notes on what it does and its loose ends"
    task_id = new_task_id(task)
    workspace = create_task_workspace(open_repository(repo), task_id)
    agent = Agent(
        agent_id=task_id,
        task_id=task_id,
        task=task,
        model=DemoModel(tokens_per_second=0),
        workspace=workspace,
        tool_context=ToolContext(worktree=Path(workspace.path), run_timeout_s=30.0),
        budget=Budget(max_steps=200, max_cost_usd=1.0, max_wall_seconds=600.0),
        emit=bus.publish,
        context_window=window,
        split_settings=SplitSettings(threshold=threshold),
    )
    started = time.perf_counter()
    result = await agent.run()
    figures.seconds = time.perf_counter() - started
    figures.status = result.status
    finished = [e for e in figures.events if isinstance(e, AgentFinished)]
    failed = [e for e in figures.events if isinstance(e, AgentFailed)]
    if result.status != "finished" or not finished:
        figures.status = f"{result.status}: {failed[0].error if failed else result.error}"
    return figures


async def bench_splitting(
    split_window: int, threshold: float, plain_window: int
) -> tuple[RunFigures, RunFigures]:
    with tempfile.TemporaryDirectory() as tmp:
        files = bench_files()
        split_run = await run_demo(
            make_repo(Path(tmp) / "split", files), "with splitting", split_window, threshold
        )
        plain_run = await run_demo(
            make_repo(Path(tmp) / "plain", files), "without splitting", plain_window, threshold
        )
    return split_run, plain_run


# -- output ----------------------------------------------------------------------------------


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=300, help="incremental updates and full recounts timed")
    parser.add_argument("--litellm-reps", type=int, default=15, help="litellm.token_counter calls timed")
    parser.add_argument("--no-litellm", action="store_true", help="skip litellm.token_counter")
    parser.add_argument("--split-window", type=int, default=8000)
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--plain-window", type=int, default=200_000)
    args = parser.parse_args()

    meter = bench_meter(args.reps, args.litellm_reps, not args.no_litellm)
    split_run, plain_run = await bench_splitting(args.split_window, args.threshold, args.plain_window)

    inc_med, inc_p95 = meter.incremental
    full_med, full_p95 = meter.full
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print()
    print(
        f"1. context meter on a {meter.tokens:,}-token transcript ({meter.messages} messages), "
        f"one new tool result of {meter.new_tokens} tokens; {args.reps} reps"
    )
    print(f"   {'':34} {'median ms':>10} {'p95 ms':>10}")
    print(f"   {'ContextMeter.update (incremental)':34} {inc_med:10.4f} {inc_p95:10.4f}   goal <= 1 ms")
    print(
        f"   {'fresh ContextMeter.reset (full)':34} {full_med:10.4f} {full_p95:10.4f}   = {full_med / inc_med:,.0f} x incremental"
    )
    if meter.litellm:
        lit_med, lit_p95 = meter.litellm
        print(
            f"   {'litellm.token_counter gpt-4o':34} {lit_med:10.4f} {lit_p95:10.4f}   = {lit_med / inc_med:,.0f} x incremental "
            f"({args.litellm_reps} reps; counts {meter.litellm_tokens:,} tokens = {meter.litellm_tokens / meter.tokens:.2f} x the meter's)"
        )
    else:
        print(f"   litellm.token_counter: {meter.litellm_note}")
    print()
    print(f"2. demo model on 12 files of ~2,500 chars; split threshold {args.threshold}")
    header = f"   {'run':18} {'window':>7} {'status':>9} {'requests':>8} {'prompt tok':>10} {'compl tok':>9} {'peak fill':>9} {'peak req':>8} {'splits':>6} {'subs':>4} {'reads':>5} {'cut':>3} {'s':>5}"
    print(header)
    for run in (split_run, plain_run):
        print(
            f"   {run.label:18} {run.window:>7} {run.status[:9]:>9} {run.requests:>8} {run.prompt_tokens:>10,} "
            f"{run.completion_tokens:>9,} {run.peak_fraction:>9.3f} {run.peak_prompt_fraction:>8.3f} "
            f"{run.splits:>6} {run.sub_agents:>4} {run.reads:>5} {run.cut:>3} {run.seconds:>5.1f}"
        )
    ratio = split_run.prompt_tokens / plain_run.prompt_tokens
    print(f"   prompt tokens with / without splitting: {ratio:.2f}")
    problems = []
    for run in (split_run, plain_run):
        if run.status != "finished":
            problems.append(f"{run.label} did not finish: {run.status}")
    if not split_run.splits:
        problems.append("the split run never split")
    if plain_run.splits:
        problems.append("the run without splitting split")
    for problem in problems:
        print(f"   PROBLEM: {problem}")

    print()
    print("--- for docs/benchmarks.md ---")
    print("| figure | result |")
    print("| --- | --- |")
    print(
        f"| `ContextMeter.update`, one {meter.new_tokens}-token message on {meter.tokens:,} tokens | "
        f"{inc_med:.3f} ms median, {inc_p95:.3f} ms p95 (goal ≤ 1 ms) |"
    )
    print(
        f"| full recount, fresh `ContextMeter.reset` | {full_med:.2f} ms median = {full_med / inc_med:,.0f} × incremental |"
    )
    if meter.litellm:
        print(
            f'| `litellm.token_counter(model="gpt-4o")` | {meter.litellm[0]:.1f} ms median = '
            f"{meter.litellm[0] / inc_med:,.0f} × incremental |"
        )
    print(
        f"| demo task, prompt tokens with / without splitting | {split_run.prompt_tokens:,} / {plain_run.prompt_tokens:,} = {ratio:.2f} |"
    )
    print(
        f"| demo task, LLM requests with / without splitting | {split_run.requests} / {plain_run.requests} |"
    )
    print(
        f"| demo task, peak context fill with / without splitting | {split_run.peak_fraction:.2f} of {split_run.window:,} / "
        f"{plain_run.peak_fraction:.3f} of {plain_run.window:,} |"
    )
    print(
        f"| demo task, splits and sub-agents (split run) | {split_run.splits} split, {split_run.sub_agents} sub-agents, "
        f"{split_run.reads} reads of which {split_run.cut} cut at the threshold (without: {plain_run.reads} reads) |"
    )
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
