"""The agent loop end to end on real worktrees, with a scripted model at the model boundary."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from agentdeck.agent.budgets import Budget
from agentdeck.agent.loop import INTERRUPTED_TOOL_RESULT
from agentdeck.events import (
    AgentFailed,
    AgentFinished,
    AgentWaiting,
    Checkpointed,
    ContextUsage,
    SteerReceived,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    parse_event,
)
from agentdeck.llm.types import ModelError
from tests.support.agents import make_agent
from tests.support.git_repos import git
from tests.support.scripted_model import ScriptedModel, Turn, call, conversation, finish

# Long enough that a test would visibly hang if an interrupt did not land.
WAIT = 5.0


async def test_edits_land_on_the_agent_branch_and_never_in_the_user_tree(repo: Path) -> None:
    model = ScriptedModel(
        [
            Turn("Writing.", [call("write", path="notes/new.md", content="# New\n")]),
            Turn("Editing.", [call("edit", path="README.md", old_text="# Demo", new_text="# Demo, edited")]),
            finish("wrote notes/new.md and edited README.md"),
        ]
    )
    h = make_agent(repo, model)
    result = await h.agent.run()

    assert result.status == "finished" and result.summary == "wrote notes/new.md and edited README.md"
    branch = h.workspace.branch
    assert git(repo, "show", f"{branch}:notes/new.md") == "# New\n"
    assert "# Demo, edited" in git(repo, "show", f"{branch}:README.md")
    # The user's tree: untouched, still on main, nothing new.
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert not (repo / "notes").exists()
    assert (repo / "README.md").read_text().startswith("# Demo\n")
    # One checkpoint per step that changed files.
    assert len(h.of(Checkpointed)) == 2
    assert git(repo, "rev-list", "--count", f"main..{branch}").strip() == "2"
    done = h.of(AgentFinished)[0]
    assert (done.files_changed, done.insertions, done.deletions) == (2, 2, 1)


async def test_interrupt_during_streaming_stops_at_once_and_waits(repo: Path) -> None:
    model = ScriptedModel([Turn("Thinking very hard about this", hang=True)])
    h = make_agent(repo, model)
    run = asyncio.create_task(h.agent.run())
    await asyncio.wait_for(model.started.wait(), WAIT)

    h.agent.interrupt()
    await asyncio.wait_for(h.seen(AgentWaiting).wait(), WAIT)

    assert model.cancelled.is_set()
    assert h.agent.waiting and not run.done()
    assert h.of(AgentWaiting)[0].reason == "interrupted by the user"
    # What the model had said so far is kept, marked as interrupted.
    assert h.agent.messages[-1]["content"].endswith("[interrupted]")
    h.agent.stop()
    result = await asyncio.wait_for(run, WAIT)
    assert result.status == "interrupted"


async def test_interrupt_during_a_long_run_kills_the_command(repo: Path, tmp_path: Path) -> None:
    started = tmp_path / "started.fifo"
    os.mkfifo(started)
    model = ScriptedModel([Turn("Running.", [call("run", command=f"echo $$ > {started}; exec sleep 60")])])
    h = make_agent(repo, model)
    run = asyncio.create_task(h.agent.run())
    # Reading the FIFO blocks until the command is really running.
    pid = int(await asyncio.wait_for(asyncio.to_thread(started.read_text), WAIT))

    h.agent.interrupt()
    await asyncio.wait_for(h.seen(AgentWaiting).wait(), WAIT)

    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    # The interrupted call still gets a tool reply, or the next request would be rejected.
    assert h.agent.messages[-1]["role"] == "tool"
    assert h.agent.messages[-1]["content"] == INTERRUPTED_TOOL_RESULT
    h.agent.stop()
    assert (await asyncio.wait_for(run, WAIT)).status == "interrupted"


async def test_steer_is_seen_on_the_next_turn(repo: Path) -> None:
    model = ScriptedModel([Turn("Looking.", [call("list")]), finish()])
    h = make_agent(repo, model)
    steered = False

    def steer_on_first_tool(event) -> None:
        nonlocal steered
        if isinstance(event, ToolCallStarted) and not steered:
            steered = True
            h.agent.steer("please use British spelling")

    h.bus.subscribe(steer_on_first_tool)
    await h.agent.run()

    first, second = model.requests
    assert not any(m.get("content") == "please use British spelling" for m in first)
    assert conversation(second)[-1] == {"role": "user", "content": "please use British spelling"}
    assert conversation(second)[-2]["role"] == "tool"
    assert h.of(SteerReceived)[0].text == "please use British spelling"


async def test_steer_wakes_an_interrupted_agent_which_then_continues(repo: Path) -> None:
    model = ScriptedModel([Turn("Hmm", hang=True), finish("finished after the steer")])
    h = make_agent(repo, model)
    run = asyncio.create_task(h.agent.run())
    await asyncio.wait_for(model.started.wait(), WAIT)
    h.agent.interrupt()
    await asyncio.wait_for(h.seen(AgentWaiting).wait(), WAIT)

    h.agent.steer("go on, but be brief")
    result = await asyncio.wait_for(run, WAIT)

    assert result.status == "finished" and result.summary == "finished after the steer"
    assert conversation(model.requests[1])[-1] == {"role": "user", "content": "go on, but be brief"}


async def test_step_budget_stops_the_agent_with_a_clear_reason(repo: Path) -> None:
    model = ScriptedModel(lambda messages: Turn("Looking again.", [call("list")]))
    h = make_agent(repo, model, budget=Budget(max_steps=3))
    result = await h.agent.run()

    assert result.status == "failed" and len(model.requests) == 3
    failed = h.of(AgentFailed)[0]
    assert failed.kind == "budget"
    assert "step budget reached: 3 of 3 steps" in failed.error


async def test_cost_budget_stops_the_agent(repo: Path) -> None:
    model = ScriptedModel(lambda messages: Turn("Costly.", [call("list")], cost_usd=0.4))
    h = make_agent(repo, model, budget=Budget(max_cost_usd=1.0))
    result = await h.agent.run()

    assert result.status == "failed" and len(model.requests) == 3
    assert "cost budget reached: $1.2000 of $1.00" in h.of(AgentFailed)[0].error


async def test_wall_time_budget_cancels_the_step_in_flight(repo: Path) -> None:
    model = ScriptedModel([Turn("Never ends", hang=True)])
    h = make_agent(repo, model, budget=Budget(max_wall_seconds=0.2))
    result = await asyncio.wait_for(h.agent.run(), WAIT)

    assert result.status == "failed" and model.cancelled.is_set()
    assert h.of(AgentFailed)[0].error.startswith("wall-time budget reached")


async def test_text_only_replies_are_nudged_then_the_agent_waits(repo: Path) -> None:
    model = ScriptedModel(lambda messages: Turn("I think I am done?"))
    h = make_agent(repo, model)
    run = asyncio.create_task(h.agent.run())
    await asyncio.wait_for(h.seen(AgentWaiting).wait(), WAIT)

    assert len(model.requests) == 3
    assert conversation(model.requests[1])[-1]["content"].startswith("Continue with the task")
    assert "without calling finish" in h.of(AgentWaiting)[0].reason
    h.agent.stop()
    await asyncio.wait_for(run, WAIT)


async def test_model_error_fails_the_agent_with_its_message(repo: Path) -> None:
    class Broken(ScriptedModel):
        async def stream_turn(self, messages, tools, on_text):
            raise ModelError("model openai/x at http://127.0.0.1:9/v1 is unreachable")

    h = make_agent(repo, Broken([]))
    result = await h.agent.run()
    assert result.status == "failed"
    failed = h.of(AgentFailed)[0]
    assert failed.kind == "model" and "unreachable" in failed.error


async def test_tool_errors_go_back_to_the_model(repo: Path) -> None:
    model = ScriptedModel([Turn("Reading outside.", [call("read", path="../../etc/passwd")]), finish()])
    h = make_agent(repo, model)
    await h.agent.run()

    finished = h.of(ToolCallFinished)[0]
    assert not finished.ok and "outside the worktree" in finished.output
    assert (
        conversation(model.requests[1])[-1]["role"] == "tool"
        and "outside the worktree" in conversation(model.requests[1])[-1]["content"]
    )


async def test_events_are_numbered_json_and_parse_back(repo: Path) -> None:
    model = ScriptedModel(
        [Turn("Hello there, writing.", [call("write", path="a.txt", content="a\n")]), finish()]
    )
    h = make_agent(repo, model)
    await h.agent.run()

    seqs = [e.seq for e in h.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] == 1
    for event in h.events:
        line = event.model_dump_json()
        again = parse_event(json.loads(line))
        assert again == event and again.agent_id == h.agent.agent_id
    assert "".join(e.text for e in h.of(TextDelta)).startswith("Hello there, writing.")
    # Estimated before the first request; the provider's exact figure right after the turn.
    first_turn = h.events.index(h.of(TurnFinished)[0])
    usage = next(e for e in h.events[first_turn:] if isinstance(e, ContextUsage))
    assert (usage.used, usage.limit, usage.fraction) == (120, 10_000, 0.012)
    assert h.of(ContextUsage)[0].seq < h.of(TurnFinished)[0].seq


async def test_stop_from_a_waiting_handler_is_not_reported_as_a_user_interrupt(repo: Path) -> None:
    model = ScriptedModel(lambda messages: Turn("Only talking."))
    h = make_agent(repo, model)
    h.bus.subscribe(lambda e: h.agent.stop() if isinstance(e, AgentWaiting) else None)
    result = await asyncio.wait_for(h.agent.run(), WAIT)

    assert result.status == "interrupted"
    assert [e.reason for e in h.of(AgentWaiting)] == [
        "the model stopped without calling finish; steer it to continue"
    ]


async def test_interrupt_between_steps_is_not_lost(repo: Path) -> None:
    model = ScriptedModel([Turn("Looking.", [call("list")]), finish()])
    h = make_agent(repo, model)
    h.agent.interrupt()  # no step in flight yet: it must hold until the first step would start
    run = asyncio.create_task(h.agent.run())
    await asyncio.wait_for(h.seen(AgentWaiting).wait(), WAIT)

    assert model.requests == [] and h.of(AgentWaiting)[0].reason == "interrupted by the user"
    h.agent.steer("carry on")
    assert (await asyncio.wait_for(run, WAIT)).status == "finished"


async def test_a_refused_checkpoint_fails_the_agent_with_an_event(repo: Path) -> None:
    model = ScriptedModel(
        [Turn("Switching.", [call("run", command="git switch -q -c elsewhere && echo x > x.txt")]), finish()]
    )
    h = make_agent(repo, model)
    result = await asyncio.wait_for(h.agent.run(), WAIT)

    assert result.status == "failed"
    failed = h.of(AgentFailed)[0]
    assert failed.kind == "error" and failed.error.count("no longer on branch") == 1


class SplitInFlight(ScriptedModel):
    """The first turn stands for a split between its sub-agents: the agent is asked to resume meanwhile."""

    def __init__(self, agent_of) -> None:
        super().__init__([finish()])
        self.agent_of = agent_of
        self.split_cancelled = False

    async def stream_turn(self, messages, tools, on_text):
        agent = self.agent_of()
        if not self.requests:
            try:
                with agent.sub_agents_at_work():
                    resumed = asyncio.Event()
                    asyncio.get_running_loop().call_soon(lambda: (agent.resume("go on"), resumed.set()))
                    await resumed.wait()
            except asyncio.CancelledError:
                self.split_cancelled = True
                raise
        return await super().stream_turn(messages, tools, on_text)


async def test_a_resume_between_sub_agents_does_not_cancel_the_split(repo: Path) -> None:
    holder: list = []
    model = SplitInFlight(lambda: holder[0])
    h = make_agent(repo, model)
    holder.append(h.agent)
    result = await asyncio.wait_for(h.agent.run(), WAIT)

    assert not model.split_cancelled, "the resume cancelled the split and its sub-agents' summaries"
    assert result.status == "finished"
