"""`agentdeck run` talking to a real OpenAI-compatible server on 127.0.0.1 through real litellm."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from agentdeck.events import (
    AgentFailed,
    AgentFinished,
    AgentStarted,
    ContextUsage,
    SplitTriggered,
    TurnFinished,
    parse_event,
)
from tests.support.cli import run_cli
from tests.support.git_repos import git
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.support.scripted_model import conversation


def scripted_session(request: dict) -> Reply:
    """React to the conversation: write, then edit after seeing the write's result, then finish."""
    tool_results = [m for m in request["messages"] if m["role"] == "tool"]
    if not tool_results:
        return Reply(
            text="I'll add a changelog and look around.",
            tool_calls=[
                ("write", {"path": "CHANGELOG.md", "content": "# Changelog\n\n- nothing yet\n"}),
                ("list", {}),
            ],
            usage=(900, 40),
        )
    if len(tool_results) == 2:
        return Reply(
            text="Now the entry.",
            tool_calls=[
                ("edit", {"path": "CHANGELOG.md", "old_text": "- nothing yet", "new_text": "- first entry"})
            ],
            usage=(1100, 30),
        )
    return Reply(
        tool_calls=[("finish", {"summary": "added CHANGELOG.md with a first entry"})], usage=(1200, 20)
    )


def test_run_against_a_local_openai_compatible_server(repo: Path, agentdeck_cmd) -> None:
    with FakeOpenAIServer(scripted_session) as server:
        result = run_cli(
            agentdeck_cmd,
            "run",
            "--model",
            "openai/test-model",
            "--api-base",
            server.base_url,
            "--json",
            "add a changelog",
            cwd=repo,
        )
        requests = list(server.requests)

    assert result.returncode == 0, result.stderr
    events = [parse_event(line) for line in result.stdout.splitlines()]
    assert (
        isinstance(events[0], AgentStarted) and not events[0].demo and events[0].model == "openai/test-model"
    )
    assert (
        isinstance(events[-1], AgentFinished)
        and events[-1].summary == "added CHANGELOG.md with a first entry"
    )
    assert [e.prompt_tokens for e in events if isinstance(e, TurnFinished)] == [900, 1100, 1200]
    assert git(repo, "show", f"{events[0].branch}:CHANGELOG.md") == "# Changelog\n\n- first entry\n"
    assert git(repo, "status", "--porcelain") == ""

    # What went over the wire: our tool schemas, the task, and a reply for every tool call.
    assert len(requests) == 3 and all(r["stream"] is True for r in requests)
    assert {t["function"]["name"] for t in requests[0]["tools"]} == {
        "list",
        "read",
        "search",
        "write",
        "edit",
        "run",
        "finish",
        "load_skill",  # the built-in skills are there to load (docs/skills.md)
    }
    # The task, and the budget note joined to it for this request (conversation() takes it off).
    assert conversation(requests[0]["messages"])[1] == {"role": "user", "content": "add a changelog"}
    assert requests[0]["messages"][1]["content"].startswith(
        "add a changelog\n\n[agentdeck budget] step 1 of 50; "
    )
    second = requests[1]["messages"]
    call_ids = [c["id"] for c in second[2]["tool_calls"]]
    assert [m["tool_call_id"] for m in second[3:5]] == call_ids
    assert json.loads(second[2]["tool_calls"][0]["function"]["arguments"])["path"] == "CHANGELOG.md"
    assert "created CHANGELOG.md" in second[3]["content"]


def test_unreachable_server_is_one_clear_line_and_exit_status_1(repo: Path, agentdeck_cmd) -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli(
        agentdeck_cmd,
        "run",
        "--model",
        "openai/test-model",
        "--api-base",
        f"http://127.0.0.1:{port}/v1",
        "anything",
        cwd=repo,
        env={"AGENTDECK_RETRIES__MAX_RETRIES": "0"},
    )

    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("✘")]
    assert len(failed) == 1 and "unreachable" in failed[0] and f"127.0.0.1:{port}" in failed[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert "Provider List" not in result.stdout + result.stderr
    # Nothing was changed, so nothing is left behind to clean up.
    assert "were removed" in result.stderr
    assert git(repo, "branch", "--list", "agentdeck/*") == ""
    assert git(repo, "worktree", "list").count("\n") == 1


def test_missing_provider_key_is_a_usage_error_before_any_worktree(repo: Path, agentdeck_cmd) -> None:
    result = run_cli(agentdeck_cmd, "run", "--model", "anthropic/claude-sonnet-4-5", "anything", cwd=repo)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs ANTHROPIC_API_KEY" in lines[0]
    assert result.stdout == ""
    assert git(repo, "branch", "--list", "agentdeck/*") == ""


def test_json_mode_reports_a_model_failure_as_an_event(repo: Path, agentdeck_cmd) -> None:
    with FakeOpenAIServer([Reply(status=404, error_message="model 'nope' not found")]) as server:
        result = run_cli(
            agentdeck_cmd,
            "run",
            "--model",
            "openai/nope",
            "--api-base",
            server.base_url,
            "--json",
            "x",
            cwd=repo,
            env={"AGENTDECK_RETRIES__MAX_RETRIES": "0"},
        )
    assert result.returncode == 1
    last = parse_event(result.stdout.splitlines()[-1])
    assert isinstance(last, AgentFailed) and last.kind == "model" and "not found" in last.error


def metered_session(request: dict) -> Reply:
    """Reported usage crosses 60% of a 4,000-token window on the second turn; then a handoff and one sub-agent."""
    messages = request["messages"]
    offered = [t["function"]["name"] for t in request.get("tools") or []]
    first = messages[1]["content"]
    did_something = any(m["role"] == "tool" for m in messages)
    if offered == ["handoff"]:
        brief = {"goal": "write b.txt", "files": ["b.txt"], "acceptance": "b.txt exists"}
        return Reply(
            tool_calls=[("handoff", {"done": "wrote a.txt", "remaining": "b.txt", "briefs": [brief]})],
            usage=(2600, 30),
        )
    if "## Summaries from sub-agents" in first:
        return Reply(tool_calls=[("finish", {"summary": "a.txt and b.txt written"})], usage=(700, 10))
    if "## Your brief" in first:
        if not did_something:
            return Reply(
                text="On it.", tool_calls=[("write", {"path": "b.txt", "content": "b\n"})], usage=(500, 20)
            )
        return Reply(tool_calls=[("finish", {"summary": "wrote b.txt"})], usage=(600, 10))
    if not did_something:
        return Reply(
            text="Writing a.", tool_calls=[("write", {"path": "a.txt", "content": "a\n"})], usage=(1900, 40)
        )
    return Reply(text="Looking around.", tool_calls=[("list", {})], usage=(2450, 20))


def test_the_meter_uses_reported_usage_and_splits_on_the_real_litellm_path(repo: Path, agentdeck_cmd) -> None:
    with FakeOpenAIServer(metered_session) as server:
        result = run_cli(
            agentdeck_cmd,
            "run",
            "--model",
            "openai/test-model",
            "--api-base",
            server.base_url,
            "--context-window",
            "4000",
            "--json",
            "write a.txt and b.txt",
            cwd=repo,
        )
        requests = list(server.requests)

    assert result.returncode == 0, result.stderr
    events = [parse_event(line) for line in result.stdout.splitlines()]
    top = events[0].agent_id
    # Right after each of the agent's turns, the meter shows the provider's reported usage.
    for i, event in enumerate(events):
        if isinstance(event, TurnFinished) and event.agent_id == top and event.prompt_tokens != 2600:
            usage = next(e for e in events[i:] if isinstance(e, ContextUsage) and e.agent_id == top)
            assert (usage.used, usage.limit) == (event.prompt_tokens + event.completion_tokens, 4000)
    [split] = [e for e in events if isinstance(e, SplitTriggered)]
    assert split.fraction >= 0.6 and [b.goal for b in split.briefs] == ["write b.txt"]
    sub_first = [r for r in requests if "## Your brief" in r["messages"][1]["content"]][0]
    # The system prompt and the brief (the budget note joined to it): nothing of the parent's history.
    assert len(sub_first["messages"]) == 2 and "Goal: write b.txt" in sub_first["messages"][1]["content"]
    assert "\n\n[agentdeck budget] step " in sub_first["messages"][1]["content"]
    assert isinstance(events[-1], AgentFinished) and events[-1].summary == "a.txt and b.txt written"
    assert git(repo, "show", f"{events[0].branch}:b.txt") == "b\n"
