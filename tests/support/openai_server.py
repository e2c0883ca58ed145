"""A small, real OpenAI-compatible HTTP server for tests and benchmarks.

It listens on 127.0.0.1 with an OS-assigned port, in a background thread, and speaks
enough of the OpenAI API for litellm's `openai/...` provider:

- `POST /v1/chat/completions`: with `stream: true` it answers with server-sent events
  (`chat.completion.chunk` objects, then `data: [DONE]`), including a final usage chunk
  when `stream_options.include_usage` is set; otherwise with one JSON `chat.completion`.
- `GET /v1/models`: one model, `test-model`.

What it answers is scripted: a list of `Reply` objects served in order, or a callable
`(request_body) -> Reply` that can react to the conversation. When the list runs out,
every further request gets a plain text reply "done". Every request body is recorded in
`server.requests`, in arrival order.

    with FakeOpenAIServer([Reply(text="hello there"), Reply(status=429)]) as server:
        ... litellm.acompletion(model="openai/test-model", api_base=server.base_url, ...)
"""

from __future__ import annotations

import json
import re
import select
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer to a chat completion request.

    text: streamed in several chunks (one word per chunk, whitespace kept).
    tool_calls: (name, arguments) pairs; streamed as deltas whose arguments JSON is split
        mid-string across chunks, with the calls' indexes interleaving.
    usage: (prompt_tokens, completion_tokens); default: a rough count (chars / 4).
    send_usage: False omits the usage chunk even when the client asks for it.
    send_tool_call_ids: False leaves `id` out of the tool-call deltas (some local servers).
    status: non-200 answers with an OpenAI-style error body (429, 500, 404, ...).
    delay_per_chunk_s: sleep before each streamed chunk.
    hang: send the first chunk with text or a tool call (or the first chunk if there is
        none), then block until the client disconnects or the server is closed.
    disconnect: send that same first chunk, then drop the connection mid-stream.
    """

    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    usage: tuple[int, int] | None = None
    send_usage: bool = True
    send_tool_call_ids: bool = True
    status: int = 200
    error_message: str = "scripted error"
    delay_per_chunk_s: float = 0.0
    hang: bool = False
    disconnect: bool = False
    finish_reason: str | None = None  # default: "tool_calls" if there are calls, else "stop"


Script = list[Reply] | Callable[[dict[str, Any]], Reply]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


def _split_words(text: str) -> list[str]:
    return re.findall(r"\s*\S+\s*|\s+", text) if text else []


def _split_in(text: str, parts: int) -> list[str]:
    """Split `text` into about `parts` pieces, cutting anywhere (mid-string, mid-escape)."""
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class FakeOpenAIServer:
    """An OpenAI-compatible chat server on 127.0.0.1, used as a context manager."""

    def __init__(self, script: Script | None = None, model: str = "test-model") -> None:
        self.script: Script = script if script is not None else []
        self.model = model
        self.requests: list[dict[str, Any]] = []
        # Exceptions raised while handling a request (bugs in a script callable, say);
        # dropped connections are normal and not recorded.
        self.errors: list[BaseException] = []
        # Set when the client hangs up mid-stream (an interrupt reached the server).
        self.client_disconnected = threading.Event()
        self._lock = threading.Lock()
        self._served = 0
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "the server is not running"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._httpd.errors = self.errors
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving: releases hanging replies and closes kept-alive connections."""
        self._closing.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            if not callable(self.script):
                index, self._served = self._served, self._served + 1
                return self.script[index] if index < len(self.script) else Reply(text="done")
        return self.script(body)


class _QuietServer(ThreadingHTTPServer):
    """Records handler errors instead of printing tracebacks to stderr."""

    daemon_threads = True
    errors: list[BaseException]

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, OSError):
            self.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, like real servers

    def setup(self) -> None:
        super().setup()
        # Small SSE writes would otherwise meet Nagle + delayed ACK: ~40 ms stalls per turn.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.fake._lock:
            self.fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.fake._lock:
            self.fake._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            model = {"id": self.fake.model, "object": "model", "created": 0, "owned_by": "fake"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_json(404, _error_body(404, f"no route {self.path}"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send_json(400, _error_body(400, "request body is not JSON"))
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, _error_body(404, f"no route {self.path}"))
            return
        reply = self.fake._next_reply(body)
        if reply.status != 200:
            self._send_json(reply.status, _error_body(reply.status, reply.error_message))
        elif body.get("stream"):
            self._stream(body, reply)
        else:
            self._send_json(200, _completion(body, reply, self.fake.model))

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, body: dict[str, Any], reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = list(_chunks(body, reply, self.fake.model, include_usage))
        # A hanging reply stops after the first chunk that carries text or a tool call,
        # so the client has seen output before it is interrupted.
        hang_at = next((n for n, c in enumerate(chunks) if _has_payload(c)), 0)
        try:
            for n, chunk in enumerate(chunks):
                if reply.delay_per_chunk_s and self.fake._closing.wait(reply.delay_per_chunk_s):
                    return
                self._write_event(json.dumps(chunk))
                if n == hang_at and reply.disconnect:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if n == hang_at and reply.hang:
                    self._block_until_disconnected()
                    return
            self._write_event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client went away mid-stream
            self.close_connection = True
            self.fake.client_disconnected.set()

    def _write_event(self, data: str) -> None:
        payload = f"data: {data}\n\n".encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
        self.wfile.flush()

    def _block_until_disconnected(self) -> None:
        self.close_connection = True
        while not self.fake._closing.wait(0.02):
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        self.fake.client_disconnected.set()  # orderly close by the client
                        return
                except OSError:
                    self.fake.client_disconnected.set()
                    return


def _error_body(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}


def _has_payload(chunk: dict[str, Any]) -> bool:
    delta = chunk["choices"][0]["delta"] if chunk.get("choices") else {}
    return bool(delta.get("content") or delta.get("tool_calls"))


def _usage(body: dict[str, Any], reply: Reply) -> dict[str, int]:
    if reply.usage is not None:
        prompt, completion = reply.usage
    else:
        prompt = max(1, len(json.dumps(body.get("messages", []))) // 4)
        completion = max(1, (len(reply.text) + len(json.dumps(reply.tool_calls))) // 4)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _finish_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _chunks(body: dict[str, Any], reply: Reply, model: str, include_usage: bool) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""})
    for piece in _split_words(reply.text):
        yield chunk({"content": piece})
    # Each call: a head delta (id, name) then its arguments in three pieces; the calls'
    # deltas are interleaved round-robin, so assembly must go by index.
    per_call: list[list[dict[str, Any]]] = []
    for index, (name, arguments) in enumerate(reply.tool_calls):
        head: dict[str, Any] = {
            "index": index,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        if reply.send_tool_call_ids:
            head["id"] = f"call_fake_{index}"
        pieces = _split_in(json.dumps(arguments), 3)
        per_call.append([head] + [{"index": index, "function": {"arguments": p}} for p in pieces])
    for step in range(max((len(deltas) for deltas in per_call), default=0)):
        for deltas in per_call:
            if step < len(deltas):
                yield chunk({"tool_calls": [deltas[step]]})
    yield chunk({}, _finish_reason(reply))
    if include_usage and reply.send_usage:
        yield {**base, "choices": [], "usage": _usage(body, reply)}


def _completion(body: dict[str, Any], reply: Reply, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_fake_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for i, (name, arguments) in enumerate(reply.tool_calls)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": _finish_reason(reply)}],
        "usage": _usage(body, reply),
    }
