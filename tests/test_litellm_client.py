"""LiteLLMClient over real HTTP, through real litellm, against the fake OpenAI server.

These go through `litellm.acompletion` for real, so a packaging break in litellm (like
1.106's missing `mcp` dependency) fails here rather than in a user's first run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from agentdeck.llm.litellm_client import LiteLLMClient
from agentdeck.llm.types import ModelError
from tests.support.openai_server import FakeOpenAIServer, Reply

MODEL = "openai/test-model"
HI = [{"role": "user", "content": "hi"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name} a thing",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
        },
    }
    for name in ("read", "run")
]
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def client(server: FakeOpenAIServer, model: str = MODEL, **kwargs: Any) -> LiteLLMClient:
    kwargs.setdefault("backoff_base_s", 0.01)
    return LiteLLMClient(model, api_base=server.base_url, **kwargs)


def ignore(fragment: str) -> None:
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_streamed_text_reaches_on_text_in_order() -> None:
    text = "Hello there, this answer arrives in several pieces."
    fragments: list[str] = []

    async def on_text(fragment: str) -> None:  # an async callback is awaited
        fragments.append(fragment)

    with FakeOpenAIServer([Reply(text=text)]) as server:
        result = await client(server).stream_turn(HI, [], on_text)

    assert len(fragments) > 3
    assert "".join(fragments) == text
    assert result.text == text
    assert result.tool_calls == []
    assert result.finish_reason == "stop"
    request = server.requests[0]
    assert request["model"] == "test-model"
    assert request["stream"] is True
    assert request["stream_options"] == {"include_usage": True}
    assert "tools" not in request  # an empty tool list is not sent


async def test_parallel_tool_calls_split_across_chunks_are_assembled_exactly() -> None:
    first = {"path": 'src/"quoted" näme.py', "lines": [1, 20], "nested": {"a": None}}
    second = {"path": "run me", "cmd": "pytest -q && echo ok\n"}
    reply = Reply(text="Let me look.", tool_calls=[("read", first), ("run", second)])
    with FakeOpenAIServer([reply]) as server:
        result = await client(server).stream_turn(HI, TOOLS, ignore)

    assert result.text == "Let me look."
    assert [(c.id, c.name) for c in result.tool_calls] == [
        ("call_fake_0", "read"),
        ("call_fake_1", "run"),
    ]
    assert json.loads(result.tool_calls[0].arguments) == first
    assert json.loads(result.tool_calls[1].arguments) == second
    assert server.requests[0]["tools"] == TOOLS
    message = result.as_message()
    assert [c["function"]["name"] for c in message["tool_calls"]] == ["read", "run"]


async def test_tool_calls_without_ids_get_generated_ids() -> None:
    reply = Reply(tool_calls=[("read", {"path": "a"}), ("read", {"path": "b"})], send_tool_call_ids=False)
    with FakeOpenAIServer([reply]) as server:
        result = await client(server).stream_turn(HI, TOOLS, ignore)

    assert [c.id for c in result.tool_calls] == ["call_0", "call_1"]
    assert [json.loads(c.arguments)["path"] for c in result.tool_calls] == ["a", "b"]


async def test_usage_comes_from_the_usage_chunk_and_unknown_model_has_no_cost() -> None:
    with FakeOpenAIServer([Reply(text="ok", usage=(123, 45))]) as server:
        result = await client(server).stream_turn(HI, [], ignore)

    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (123, 45)
    assert result.usage.estimated is False
    assert result.usage.cost_usd is None


async def test_usage_is_estimated_when_the_provider_reports_none() -> None:
    with FakeOpenAIServer([Reply(text="a reply of some length", send_usage=False)]) as server:
        result = await client(server).stream_turn(HI, [], ignore)

    assert result.usage.estimated is True
    assert result.usage.prompt_tokens > 0
    assert result.usage.completion_tokens > 0


async def test_cost_is_computed_for_a_priced_model() -> None:
    with FakeOpenAIServer([Reply(text="ok", usage=(1000, 1000))]) as server:
        result = await client(server, "openai/gpt-4o-mini").stream_turn(HI, [], ignore)

    assert result.usage.cost_usd is not None and result.usage.cost_usd > 0


async def test_rate_limit_then_success_is_retried() -> None:
    with FakeOpenAIServer([Reply(status=429), Reply(text="after the wait")]) as server:
        result = await client(server).stream_turn(HI, [], ignore)

    assert result.text == "after the wait"
    assert len(server.requests) == 2


async def test_server_error_after_all_retries_is_one_line_naming_the_status() -> None:
    script = [Reply(status=500, error_message="upstream exploded")] * 3 + [Reply(text="too late")]
    with FakeOpenAIServer(script) as server:
        with pytest.raises(ModelError) as caught:
            await client(server, max_retries=2).stream_turn(HI, [], ignore)

    message = str(caught.value)
    assert "\n" not in message
    assert "server error (500) after 3 attempts" in message
    assert "upstream exploded" in message
    assert len(server.requests) == 3


async def test_rate_limit_after_all_retries_says_so() -> None:
    with FakeOpenAIServer([Reply(status=429)] * 2) as server:
        with pytest.raises(ModelError, match=r"rate limited \(429\) after 2 attempts"):
            await client(server, max_retries=1).stream_turn(HI, [], ignore)


async def test_a_silent_server_times_out_after_the_retries() -> None:
    with FakeOpenAIServer([Reply(text="slow", delay_per_chunk_s=10)] * 2) as server:
        started = time.monotonic()
        with pytest.raises(ModelError, match=r"no response within 0.2 s after 2 attempts"):
            await client(server, request_timeout_s=0.2, max_retries=1).stream_turn(HI, [], ignore)
    assert time.monotonic() - started < 3


async def test_a_stream_that_breaks_after_output_is_not_retried() -> None:
    fragments: list[str] = []
    script = [Reply(text="partial answer here", disconnect=True), Reply(text="a duplicate")]
    with FakeOpenAIServer(script) as server:
        with pytest.raises(ModelError, match="broke off") as caught:
            await client(server).stream_turn(HI, [], fragments.append)

    assert fragments == ["partial "]
    assert len(server.requests) == 1
    assert "\n" not in str(caught.value)


async def test_an_exception_in_on_text_propagates_unchanged() -> None:
    def broken(fragment: str) -> None:
        raise KeyError("a bug in the caller")

    with FakeOpenAIServer([Reply(text="some text")]) as server:
        with pytest.raises(KeyError, match="a bug in the caller"):
            await client(server).stream_turn(HI, [], broken)
    assert len(server.requests) == 1


async def test_model_not_found_is_one_line_with_the_provider_message() -> None:
    reply = Reply(status=404, error_message="The model `test-model` does not exist " + "x" * 400)
    with FakeOpenAIServer([reply]) as server:
        with pytest.raises(ModelError) as caught:
            await client(server).stream_turn(HI, [], ignore)

    message = str(caught.value)
    assert message.startswith("model openai/test-model: not found — The model `test-model`")
    assert "\n" not in message and len(message) < 300
    assert len(server.requests) == 1  # not retried


async def test_connection_refused_is_unreachable_quickly() -> None:
    api_base = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        await LiteLLMClient("openai/x", api_base, backoff_base_s=0.01).stream_turn(HI, [], ignore)

    assert str(caught.value) == (
        f"model openai/x at {api_base} is unreachable (connection refused): "
        "check --api-base and that the server is running"
    )
    assert time.monotonic() - started < 5


async def test_missing_key_for_a_hosted_provider_fails_without_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    attempts: list[object] = []

    def no_network(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network attempted in a test")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", no_network)

    model = "anthropic/claude-3-5-haiku-latest"
    with pytest.raises(ModelError) as caught:
        await LiteLLMClient(model, backoff_base_s=0.01).stream_turn(HI, [], ignore)

    assert str(caught.value) == (
        f"model {model}: authentication failed — set ANTHROPIC_API_KEY (or the provider's "
        "key variable) or choose another model with --model"
    )
    assert attempts == []


async def test_rejected_key_is_an_authentication_error_and_not_retried() -> None:
    with FakeOpenAIServer([Reply(status=401, error_message="Incorrect API key")]) as server:
        with pytest.raises(ModelError, match="authentication failed — the key was refused"):
            await client(server).stream_turn(HI, [], ignore)
    assert len(server.requests) == 1


async def test_interrupt_stops_streaming_within_one_second() -> None:
    first_text = asyncio.Event()
    with FakeOpenAIServer([Reply(text="this never finishes", hang=True)]) as server:
        task = asyncio.create_task(client(server).stream_turn(HI, [], lambda fragment: first_text.set()))
        await asyncio.wait_for(first_text.wait(), timeout=10)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=1.0)

        assert task in done and task.cancelled()
        # The HTTP stream was closed, not left running: the server saw the client go.
        assert await asyncio.to_thread(server.client_disconnected.wait, 2.0)


async def test_interrupt_before_the_first_chunk_stops_at_once() -> None:
    received = threading.Event()

    def script(body: dict[str, Any]) -> Reply:
        received.set()
        return Reply(text="slow", delay_per_chunk_s=30)

    with FakeOpenAIServer(script) as server:
        task = asyncio.create_task(client(server).stream_turn(HI, [], ignore))
        assert await asyncio.to_thread(received.wait, 10)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=1.0)
        assert task in done and task.cancelled()


async def test_no_litellm_banner_or_log_line_is_printed(capfd: pytest.CaptureFixture[str]) -> None:
    with FakeOpenAIServer([Reply(status=404), Reply(status=400), Reply(text="ok")]) as server:
        for _ in range(2):
            with pytest.raises(ModelError):
                await client(server).stream_turn(HI, [], ignore)
        await client(server).stream_turn(HI, [], ignore)
    # An unknown provider is what prints litellm's "Provider List" banner.
    with pytest.raises(ModelError):
        await LiteLLMClient("nosuchprovider/model").stream_turn(HI, [], ignore)

    logging.getLogger("LiteLLM").error("a litellm log line")  # its handler was removed

    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_importing_the_client_does_not_import_litellm() -> None:
    code = (
        "import sys, agentdeck.llm.litellm_client; "
        "assert 'litellm' not in sys.modules, 'litellm imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT, timeout=60)


def test_fake_server_answers_models_and_unstreamed_completions() -> None:
    reply = Reply(text="plain", tool_calls=[("read", {"path": "x"})], usage=(3, 4))
    with FakeOpenAIServer([reply]) as server:
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=5) as response:
            assert json.load(response)["data"][0]["id"] == "test-model"
        request = urllib.request.Request(
            f"{server.base_url}/chat/completions",
            data=json.dumps({"model": "test-model", "messages": HI}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.load(response)

    message = body["choices"][0]["message"]
    assert message["content"] == "plain"
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {"path": "x"}
    assert body["usage"]["total_tokens"] == 7
    assert server.requests == [{"model": "test-model", "messages": HI}]


def test_fake_server_says_done_when_the_script_runs_out() -> None:
    with FakeOpenAIServer([]) as server:
        request = urllib.request.Request(
            f"{server.base_url}/chat/completions",
            data=json.dumps({"model": "m", "messages": HI}).encode(),
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["choices"][0]["message"]["content"] == "done"


async def test_each_retry_is_reported_with_the_providers_words_and_the_last_one_ends_the_call() -> None:
    from agentdeck.llm.types import RetryNotice, retry_listener

    heard: list[RetryNotice] = []
    token = retry_listener.set(heard.append)
    try:
        with FakeOpenAIServer(
            lambda body: Reply(status=429, error_message="Rate limit reached: 3 RPM")
        ) as server:
            with pytest.raises(ModelError) as caught:
                await client(server, max_retries=2, backoff_base_s=0).stream_turn(HI, [], ignore)
    finally:
        retry_listener.reset(token)
    assert [(n.attempt, n.max_retries, n.cause, n.error) for n in heard] == [
        (1, 2, "rate limits (429)", "Rate limit reached: 3 RPM"),
        (2, 2, "rate limits (429)", "Rate limit reached: 3 RPM"),
    ]
    assert "rate limited (429) after 3 attempts: Rate limit reached: 3 RPM" in str(caught.value)
