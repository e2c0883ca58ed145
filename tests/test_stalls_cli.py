"""A stalled agent as a person sees it: a real daemon, real litellm, a local OpenAI-compatible server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.openai_server import FakeOpenAIServer, Reply
from tests.support.session import kill_daemon


@pytest.fixture
def session_repo(repo: Path):
    yield repo
    kill_daemon(repo)


def hangs_then_finishes(request: dict) -> Reply:
    if not any(m["role"] == "tool" for m in request["messages"]):
        return Reply(text="Running it.", tool_calls=[("run", {"command": "sleep 60"})])
    return Reply(tool_calls=[("finish", {"summary": "stopped waiting"})])


def status_of(agentdeck_cmd, repo: Path, env: dict[str, str], task_id: str) -> dict:
    result = run_cli(agentdeck_cmd, "status", "--json", cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    return next(t for t in json.loads(result.stdout)["tasks"] if t["id"] == task_id)


def test_status_and_logs_say_stalled_and_why_and_cancel_ends_it(session_repo: Path, agentdeck_cmd) -> None:
    with FakeOpenAIServer(hangs_then_finishes) as server:
        env = {
            "AGENTDECK_EXECUTOR__MODEL": "openai/test-model",
            "AGENTDECK_EXECUTOR__API_BASE": server.base_url,
            "AGENTDECK_EXECUTOR__CONTEXT_WINDOW": "100000",
            "AGENTDECK_PLAN__BACKGROUND": "false",
            "AGENTDECK_REVIEW__VERIFY": "false",
            "AGENTDECK_SESSION__STALL_SECONDS": "1",
        }
        queued = run_cli(
            agentdeck_cmd, "queue", "add", "--json", "run the slow thing", cwd=session_repo, env=env
        )
        assert queued.returncode == 0, queued.stderr
        task_id = json.loads(queued.stdout)["task_id"]

        deadline = time.monotonic() + 90
        row = status_of(agentdeck_cmd, session_repo, env, task_id)
        # Polled on observable state, with a deadline (litellm's first import alone takes seconds).
        while not (row["state"] == "stalled" and "sleep 60" in row["reason"]):
            assert time.monotonic() < deadline, f"never stalled on the command: {row}"
            time.sleep(0.2)
            row = status_of(agentdeck_cmd, session_repo, env, task_id)
        assert (
            row["reason"].startswith("no result for ")
            and "from `sleep 60` (run tool, started" in row["reason"]
        )

        text = run_cli(agentdeck_cmd, "status", cwd=session_repo, env=env).stdout
        line = next(line for line in text.splitlines() if line.startswith(task_id))
        assert " stalled " in line and "sleep 60" in line

        logs = run_cli(agentdeck_cmd, "logs", cwd=session_repo, env=env).stdout
        assert f"[{task_id}] stalled: no result for " in logs

        cancelled = run_cli(agentdeck_cmd, "cancel", task_id, cwd=session_repo, env=env)
        assert cancelled.returncode == 0, cancelled.stderr
        deadline = time.monotonic() + 30
        while (row := status_of(agentdeck_cmd, session_repo, env, task_id))["state"] != "cancelled":
            assert time.monotonic() < deadline, f"not cancelled: {row}"
            time.sleep(0.1)
        run_cli(agentdeck_cmd, "stop", cwd=session_repo, env=env)
