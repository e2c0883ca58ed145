"""The context meter and splitting, end to end: a scripted model whose reads fill a small window.

The model reads files one by one; each read grows the context. Near the threshold the
loop asks for a handoff, runs one fresh sub-agent per brief in the same worktree, and the
parent goes on from a compacted context. Git, tools and the worktree are real.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from agentdeck.agent.budgets import Budget, BudgetMeter
from agentdeck.agent.context_meter import ContextMeter
from agentdeck.agent.splitting import SplitSettings
from agentdeck.events import (
    AgentFinished,
    ContextCompacted,
    ContextUsage,
    PlanWritten,
    SplitTriggered,
    SteerReceived,
    SubAgentFinished,
    SubAgentSpawned,
    ToolCallFinished,
)
from tests.support.agents import make_agent
from tests.support.git_repos import git, make_repo
from tests.support.scripted_model import ScriptedModel, Turn, call, conversation, finish

WINDOW = 6000
FILES = [f"notes/part{n}.md" for n in range(1, 9)]


def _files(names: list[str]) -> dict[str, str]:
    return {
        name: "".join(f"{name} line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(30))
        for name in names
    }


@pytest.fixture
def big_repo(tmp_path: Path) -> Path:
    """Eight files of about 2,000 characters: reading five of them fills 60% of the window."""
    return make_repo(tmp_path / "big", _files(FILES))


def _calls(messages: list[dict]) -> list[dict]:
    return [c for m in messages if m["role"] == "assistant" for c in m.get("tool_calls") or []]


def _read(messages: list[dict]) -> list[str]:
    return [
        json.loads(c["function"]["arguments"])["path"]
        for c in _calls(messages)
        if c["function"]["name"] == "read"
    ]


def reader(
    files_per_brief: int = 1,
    handoff: Turn | None = None,
    files: list[str] = FILES,
    one_summary_file: bool = False,
):
    """Reads every file, one a turn; hands off what is unread; a sub-agent summarises its files."""

    def script(messages: list[dict], tools: list[str]) -> Turn:
        task = messages[1]["content"]
        read = _read(messages)
        if tools == ["handoff"]:
            if handoff is not None:
                return handoff
            unread = [f for f in files if f not in read]
            groups = [unread[i : i + files_per_brief] for i in range(0, len(unread), files_per_brief)]
            briefs = [
                {"goal": f"summarise {', '.join(g)}", "files": g, "acceptance": "a summary file"}
                for g in groups
            ]
            return Turn(
                "Handing off.",
                [call("handoff", done=f"read {', '.join(read)}", remaining="the rest", briefs=briefs)],
            )
        if (
            "## Summaries from sub-agents" in task
        ):  # compacted: a sub-agent's compacted context holds its brief too
            return finish("all files summarised")
        if "## Your brief" in task:
            scope = re.search(r"^Files in scope: (.+)$", task, re.MULTILINE).group(1).split(", ")
            todo = [f for f in scope if f not in read]
            if todo:
                return Turn("Reading.", [call("read", path=todo[0])])
            name = (
                "summaries/all.txt"
                if one_summary_file
                else "summaries/" + scope[0].replace("/", "-") + ".txt"
            )
            if not any(c["function"]["name"] == "write" for c in _calls(messages)):
                return Turn(
                    "Writing.", [call("write", path=name, content=f"summary of {', '.join(scope)}\n")]
                )
            return finish(f"summarised {', '.join(scope)} into {name}")
        unread = [f for f in files if f not in read]
        if unread:
            return Turn("Reading.", [call("read", path=unread[0])])
        return finish("read everything myself")

    return script


def split_agent(repo: Path, model: ScriptedModel, **split: object):
    settings = SplitSettings(**{"threshold": 0.6, **split})  # type: ignore[arg-type]
    return make_agent(
        repo,
        model,
        task="summarise every file under notes/",
        context_window=WINDOW,
        split_settings=settings,
        budget=Budget(max_steps=200),
    )


async def test_split_fires_near_60_percent_and_sub_agents_finish_the_work_on_the_branch(
    big_repo: Path,
) -> None:
    model = ScriptedModel(reader(), count_prompt=True)
    h = split_agent(big_repo, model)
    result = await h.agent.run()

    assert result.status == "finished" and h.of(AgentFinished)[0].summary == "all files summarised"
    [split] = h.of(SplitTriggered)
    assert 0.55 <= split.fraction <= 0.65
    assert max(model.prompt_tokens) / WINDOW <= 0.7, "a request went out with more than 70% of the window"

    spawned, finished = h.of(SubAgentSpawned), h.of(SubAgentFinished)
    unread = FILES[len(FILES) - len(split.briefs) :]
    assert [s.goal for s in spawned] == [f"summarise {f}" for f in unread]
    assert [f.status for f in finished] == ["finished"] * len(unread)
    # Each sub-agent starts short, with the task and its brief, not the parent's history.
    firsts = [
        r for r in map(conversation, model.requests) if len(r) == 2 and "## Your brief" in r[1]["content"]
    ]
    assert len(firsts) == len(unread)
    for request, sub in zip(firsts, spawned):
        assert f"Goal: {sub.goal}" in request[1]["content"]
        # Briefed like every agent: its own name, the task's role.
        assert f"You are agentdeck agent {sub.sub_agent_id} (role: executor)" in request[0]["content"]
        assert "summarise every file under notes/" in request[1]["content"]
    assert all(s.first_fraction < 0.4 for s in spawned)
    # The parent goes on from the handoff and every summary, in a compacted context.
    compacted = next(
        r for r in map(conversation, model.requests) if "## Summaries from sub-agents" in r[1]["content"]
    )
    assert len(compacted) == 2
    for f in finished:
        assert f.summary in compacted[1]["content"]
    [compaction] = h.of(ContextCompacted)
    assert compaction.after_fraction < compaction.before_fraction
    # The sub-agents' work is committed on the task's branch.
    tree = git(big_repo, "ls-tree", "-r", "--name-only", h.workspace.branch, "summaries/").split()
    assert tree == sorted("summaries/" + f.replace("/", "-") + ".txt" for f in unread)


async def test_meter_events_follow_every_change_and_sub_agents_report_their_own(big_repo: Path) -> None:
    model = ScriptedModel(reader(), count_prompt=True)
    h = split_agent(big_repo, model)
    await h.agent.run()

    parent = [e for e in h.of(ContextUsage) if e.agent_id == h.agent.agent_id]
    assert all(e.limit == WINDOW and e.fraction == round(e.used / WINDOW, 4) for e in parent)
    rising = [e.used for e in parent[: parent.index(max(parent, key=lambda e: e.used)) + 1]]
    assert rising == sorted(rising) and len(rising) > 4
    sub_ids = {s.sub_agent_id for s in h.of(SubAgentSpawned)}
    assert sub_ids <= {e.agent_id for e in h.of(ContextUsage)}
    assert all(sid.startswith(h.agent.agent_id + ".") for sid in sub_ids)


async def test_fan_out_is_bounded_and_the_rest_stays_with_the_parent(big_repo: Path) -> None:
    model = ScriptedModel(reader(), count_prompt=True)
    h = split_agent(big_repo, model, max_fanout=2)
    await h.agent.run()

    [split] = h.of(SplitTriggered)
    assert len(split.briefs) == 2 and len(h.of(SubAgentSpawned)) == 2
    assert "Not handed out (fan-out bound)" in split.remaining


@pytest.mark.parametrize("max_depth", [1, 2])
async def test_depth_is_bounded_and_at_the_bound_the_agent_finishes_and_says_so(
    tmp_path: Path, max_depth: int
) -> None:
    # Many files, and one brief with all unread ones: the sub-agent fills up too and must split or stop.
    many = [f"notes/part{n:02}.md" for n in range(1, 25)]
    repo = make_repo(tmp_path / "many", _files(many))
    model = ScriptedModel(reader(files_per_brief=len(many), files=many), count_prompt=True)
    h = split_agent(repo, model, max_depth=max_depth)
    result = await h.agent.run()

    assert result.status == "finished", result.error
    depths = {s.depth for s in h.of(SubAgentSpawned)}
    assert max(depths) == max_depth
    bound_hits = [f for f in h.of(SubAgentFinished) if "split depth bound" in f.summary]
    assert bound_hits and all(f.status == "finished" for f in bound_hits)
    assert max(model.prompt_tokens) / WINDOW <= 0.7


async def test_depth_zero_means_no_sub_agents_the_agent_finishes_at_the_threshold(big_repo: Path) -> None:
    model = ScriptedModel(reader(), count_prompt=True)
    h = split_agent(big_repo, model, max_depth=0)
    result = await h.agent.run()

    assert result.status == "finished" and not h.of(SubAgentSpawned)
    assert "split depth bound (0)" in result.summary and "Done: read notes/part1.md" in result.summary


async def test_a_tool_output_that_would_cross_the_threshold_is_cut_with_a_notice(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "huge", {"huge.txt": "x" * 200 + "\n" + "word " * 8000 + "\n"})
    model = ScriptedModel([Turn("Reading.", [call("read", path="huge.txt")]), finish()], count_prompt=True)
    h = make_agent(repo, model, context_window=WINDOW)
    await h.agent.run()

    output = h.of(ToolCallFinished)[0].output
    assert "this output was cut from" in output and "past 60%" in output
    assert output.startswith("huge.txt") or "xxxx" in output  # the head of the output is kept
    assert model.prompt_tokens[1] / WINDOW <= 0.62


async def test_a_malformed_handoff_still_splits_into_one_brief_that_continues_the_task(
    big_repo: Path,
) -> None:
    bad = Turn("Here is my handoff.", [("handoff", {"done": "some", "briefs": "not a list"})])
    model = ScriptedModel(reader(handoff=bad), count_prompt=True)
    h = split_agent(big_repo, model)
    result = await h.agent.run()

    assert result.status == "finished"
    [split] = h.of(SplitTriggered)
    assert [b.goal for b in split.briefs] == [
        "Continue and complete the task: summarise every file under notes/"
    ]
    assert "could not be read" in split.remaining


async def test_steering_during_a_split_reaches_the_sub_agent_at_work(big_repo: Path) -> None:
    script = reader()
    steered = asyncio.Event()

    def hold_first_sub_agent(messages: list[dict], tools: list[str]) -> Turn:
        turn = script(messages, tools)
        first_sub_turn = len(messages) == 2 and "## Your brief" in messages[1]["content"]
        if first_sub_turn and not steered.is_set():
            return Turn("Working on my brief.", hang=True)
        return turn

    model = ScriptedModel(hold_first_sub_agent, count_prompt=True)
    h = split_agent(big_repo, model)
    spawned = h.seen(SubAgentSpawned)
    run = asyncio.create_task(h.agent.run())
    await spawned.wait()
    model.started.clear()
    await model.started.wait()
    steered.set()
    h.agent.interrupt()  # stops the hanging turn of the sub-agent, which then waits for us
    h.agent.steer("mention the fox")
    result = await asyncio.wait_for(run, 30)

    assert result.status == "finished"
    [steer] = h.of(SteerReceived)
    assert steer.agent_id == h.of(SubAgentSpawned)[0].sub_agent_id
    assert any(m["role"] == "user" and m["content"] == "mention the fox" for r in model.requests for m in r)


async def test_the_planner_writes_a_plan_that_the_executor_receives(repo: Path) -> None:
    planner = ScriptedModel([Turn("1. Write a.txt\n2. Finish.")])
    executor = ScriptedModel([Turn("Writing.", [call("write", path="a.txt", content="a\n")]), finish()])
    h = make_agent(repo, executor, planner=planner)
    await h.agent.run()

    assert planner.tool_names == [[]] and "do the task" in planner.requests[0][1]["content"]
    [plan] = h.of(PlanWritten)
    assert plan.plan == "1. Write a.txt\n2. Finish." and plan.model == "scripted"
    assert "1. Write a.txt" in executor.requests[0][1]["content"] and h.agent.plan == plan.plan


def test_meter_update_counts_only_what_was_appended(monkeypatch: pytest.MonkeyPatch) -> None:
    import agentdeck.agent.context_meter as cm

    counted: list[dict] = []
    real = cm.message_tokens
    monkeypatch.setattr(cm, "message_tokens", lambda m: counted.append(m) or real(m))
    messages = [{"role": "system", "content": "s" * 400}, {"role": "user", "content": "u" * 400}]
    meter = ContextMeter(10_000, [])
    meter.reset(messages)
    before = meter.used
    counted.clear()

    messages.append({"role": "tool", "tool_call_id": "1", "content": "t" * 4000})
    assert meter.update(messages) > before and counted == [messages[-1]]
    counted.clear()
    assert meter.update(messages) == meter.used and counted == []

    # The provider's count is exact up to the reply; later messages are added on top.
    meter.record_usage(messages, prompt_tokens=1500, completion_tokens=100)
    assert meter.used == 1600 and meter.fraction == 0.16
    messages.append({"role": "user", "content": "x" * 40})
    assert meter.update(messages) == 1600 + real(messages[-1])


async def test_a_window_too_small_for_the_instructions_fails_at_once_with_the_fix(repo: Path) -> None:
    model = ScriptedModel([finish()])
    h = make_agent(repo, model, context_window=1500)
    result = await h.agent.run()

    assert result.status == "failed" and model.requests == []
    assert (
        "context window of 1,500 tokens is too small" in result.error and "--context-window" in result.error
    )


async def test_parallel_sub_agents_work_in_child_worktrees_merged_back_into_the_branch(
    big_repo: Path,
) -> None:
    model = ScriptedModel(reader(), count_prompt=True)
    h = split_agent(big_repo, model, parallel=True)
    result = await h.agent.run()

    assert result.status == "finished"
    spawned = h.of(SubAgentSpawned)
    assert len(spawned) == 3
    assert all("merged into the task's branch" in f.summary for f in h.of(SubAgentFinished))
    tree = git(big_repo, "ls-tree", "-r", "--name-only", h.workspace.branch, "summaries/").split()
    assert len(tree) == 3
    # The children's worktrees and branches are gone; the parent's worktree has their files.
    assert git(big_repo, "branch", "--list", "--format=%(refname:short)", "agentdeck/*").split() == [
        h.workspace.branch
    ]
    assert all((Path(h.workspace.path) / name).is_file() for name in tree)


async def test_parallel_sub_agents_that_conflict_are_reported_and_their_branch_kept(big_repo: Path) -> None:
    model = ScriptedModel(reader(one_summary_file=True), count_prompt=True)
    h = split_agent(big_repo, model, parallel=True)
    result = await h.agent.run()

    assert result.status == "finished"
    finished = h.of(SubAgentFinished)
    merged = [f for f in finished if "merged into the task's branch" in f.summary]
    conflicted = [f for f in finished if "NOT merged: conflicts in summaries/all.txt" in f.summary]
    assert len(merged) == 1 and len(conflicted) == 2
    kept = set(git(big_repo, "branch", "--list", "--format=%(refname:short)", "agentdeck/*").split())
    assert {f"agentdeck/{f.sub_agent_id}" for f in conflicted} <= kept
    # The parent hears of the conflicts in its compacted context.
    compacted = next(
        r for r in map(conversation, model.requests) if "## Summaries from sub-agents" in r[1]["content"]
    )
    assert compacted[1]["content"].count("NOT merged: conflicts in summaries/all.txt") == 2


async def test_the_plan_is_counted_by_the_meter_before_the_first_request(repo: Path) -> None:
    planner = ScriptedModel([Turn("1. " + "a long step of the plan. " * 400)])
    executor = ScriptedModel([finish()], count_prompt=True)
    h = make_agent(repo, executor, planner=planner, context_window=20_000)
    await h.agent.run()

    plan_at = h.events.index(h.of(PlanWritten)[0])
    metered = next(e for e in h.events[plan_at:] if isinstance(e, ContextUsage))
    assert abs(metered.used - executor.prompt_tokens[0]) / executor.prompt_tokens[0] < 0.1


async def test_a_long_reply_past_the_threshold_still_sends_a_handoff_under_70_percent(big_repo: Path) -> None:
    script = reader()

    def write_big_after_three_reads(messages: list[dict], tools: list[str]) -> Turn:
        wrote = any(c["function"]["name"] == "write" for c in _calls(messages))
        if (
            tools != ["handoff"]
            and len(_read(messages)) == 3
            and not wrote
            and len(messages) > 2
            and "##" not in messages[1]["content"]
        ):
            return Turn(
                "Writing a long draft.", [call("write", path="draft.md", content="draft line\n" * 700)]
            )
        return script(messages, tools)

    model = ScriptedModel(write_big_after_three_reads, count_prompt=True)
    h = split_agent(big_repo, model)
    result = await h.agent.run()

    assert result.status == "finished" and h.of(SplitTriggered)[0].fraction > 0.7
    assert max(model.prompt_tokens) / WINDOW <= 0.7
    handoff = next(r for r, tools in zip(model.requests, model.tool_names) if tools == ["handoff"])
    assert any("older tool output was left out" in str(m.get("content")) for m in handoff)


async def test_parallel_children_skip_ids_whose_branch_was_kept_from_an_earlier_run(big_repo: Path) -> None:
    model = ScriptedModel(reader(), count_prompt=True)
    h = split_agent(big_repo, model, parallel=True)
    git(big_repo, "branch", f"agentdeck/{h.agent.agent_id}.1")  # left by a conflicted child before a resume
    result = await h.agent.run()

    assert result.status == "finished"
    ids = [s.sub_agent_id for s in h.of(SubAgentSpawned)]
    assert len(ids) == 3 and f"{h.agent.agent_id}.1" not in ids
    assert all("merged into the task's branch" in f.summary for f in h.of(SubAgentFinished))


def test_a_shared_budget_clock_runs_while_any_agent_works_and_stops_when_all_wait() -> None:
    now = [0.0]
    meter = BudgetMeter(Budget(max_wall_seconds=100), lambda: now[0])
    meter.start()  # the parent
    now[0] = 10
    meter.pause()  # the parent hands off to its sub-agents
    meter.start()  # a sub-agent
    now[0] = 15
    meter.pause()  # the sub-agent waits for a human
    now[0] = 60
    assert meter.wall_seconds == 15
    meter.resume()  # steered
    now[0] = 70
    meter.pause()  # the sub-agent ends
    meter.resume()  # the parent goes on
    now[0] = 75
    assert meter.wall_seconds == 30
