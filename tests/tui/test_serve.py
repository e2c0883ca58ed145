"""`agentdeck serve`: a real server process on 127.0.0.1 that hands the browser the cockpit page."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_on_loopback_with_the_cockpit_page(repo: Path, agentdeck_cmd) -> None:
    port = free_port()
    server = subprocess.Popen([*agentdeck_cmd, "serve", "--port", str(port), "-C", str(repo)], stderr=subprocess.PIPE, text=True)
    try:
        # The server prints its address once it is about to listen; then the port answers.
        banner = server.stderr.readline()
        assert f"http://127.0.0.1:{port}/" in banner
        deadline = time.monotonic() + 30
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)  # waiting for a port to open: there is no event to wait on
        assert "agentdeck · repo" in page  # the page title
        assert f"ws://127.0.0.1:{port}/ws" in page  # where the browser's terminal connects
    finally:
        server.terminate()
        server.wait(10)


def test_serve_outside_a_repository_says_so(tmp_path: Path, agentdeck_cmd) -> None:
    result = subprocess.run([*agentdeck_cmd, "serve", "-C", str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "is not inside a git repository" in result.stderr
