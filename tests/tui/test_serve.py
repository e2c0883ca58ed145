"""`agentdeck serve`: a real server process on 127.0.0.1, real HTTP and WebSocket requests.

Without the printed token (or the cookie it sets) the page, its files and the WebSocket
answer 403; a WebSocket opened by another site's page is refused by its Origin; a Host
that is not this machine's (DNS rebinding) is refused; serving beyond loopback needs --i-know.
"""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.support.cli import run_cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    port: int
    url: str  # the printed address, token included
    token: str
    banner: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _wait_until_listening(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.05)  # waiting for a port to open: there is no event to wait on


@pytest.fixture
def served(repo: Path, agentdeck_cmd) -> Iterator[Served]:
    port = free_port()
    server = subprocess.Popen(
        [*agentdeck_cmd, "serve", "--port", str(port), "-C", str(repo)], stderr=subprocess.PIPE, text=True
    )
    try:
        banner = server.stderr.readline()  # printed once the server is about to listen
        found = re.search(r"(http://127\.0\.0\.1:\d+/\?token=([\w-]+))", banner)
        assert found, banner
        _wait_until_listening(port, server)
        yield Served(port, found.group(1), found.group(2), banner)
    finally:
        server.terminate()
        server.wait(10)
        run_cli(agentdeck_cmd, "stop", cwd=repo, timeout=60)  # a WebSocket tab may have started the daemon


def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_printed_address_opens_the_cockpit_page_and_moves_the_token_into_a_cookie(served: Served) -> None:
    assert f"http://127.0.0.1:{served.port}/?token=" in served.banner
    assert "without it the page is refused" in served.banner

    # urllib follows the redirect but keeps no cookies: look at the redirect itself.
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(served.url, timeout=10)
    assert redirect.value.code == 302
    assert redirect.value.headers["Location"] == "/"  # the token leaves the address bar
    cookie = redirect.value.headers["Set-Cookie"]
    assert f"agentdeck-token-{served.port}={served.token}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    request = urllib.request.Request(
        f"{served.base}/", headers={"Cookie": f"agentdeck-token-{served.port}={served.token}"}
    )
    page = urllib.request.urlopen(request, timeout=10).read().decode()
    assert "agentdeck · repo" in page  # the page title
    assert f"ws://127.0.0.1:{served.port}/ws" in page  # where the browser's terminal connects


def test_without_the_token_the_page_its_files_and_downloads_are_refused(served: Served) -> None:
    for path in ("/", "/static/js/textual.js", "/download/anything", "/?token=wrong-token-of-some-length"):
        assert status_of(served.base + path) == 403, path
    assert status_of(served.base + "/", {"Cookie": f"agentdeck-token-{served.port}=not-it"}) == 403
    # A cookie of another agentdeck server on this machine (another port) is not this one's.
    assert status_of(served.base + "/", {"Cookie": f"agentdeck-token-1={served.token}"}) == 403


def test_a_host_that_is_not_this_machine_is_refused_even_with_the_token(served: Served) -> None:
    # DNS rebinding: attacker.example resolving to 127.0.0.1 would send this Host header.
    assert status_of(served.url, {"Host": f"attacker.example:{served.port}"}) == 403


async def _websocket_status(served: Served, *, cookie: bool, origin: str | None, query: str = "") -> int:
    headers = {"Origin": origin} if origin else {}
    cookies = {f"agentdeck-token-{served.port}": served.token} if cookie else {}
    async with aiohttp.ClientSession(cookies=cookies) as client:
        try:
            async with client.ws_connect(
                f"{served.base}/ws?width=80&height=24{query}", headers=headers
            ) as ws:
                # The tab's cockpit starts; its first bytes prove the terminal is connected.
                message = await asyncio.wait_for(ws.receive(), timeout=60)
                assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def test_the_websocket_needs_the_token_and_this_servers_own_origin(served: Served) -> None:
    own = f"http://127.0.0.1:{served.port}"
    assert await _websocket_status(served, cookie=False, origin=own) == 403
    # Another site's page in the same browser: the cookie may even come along, its Origin gives it away.
    assert await _websocket_status(served, cookie=True, origin="http://attacker.example") == 403
    assert await _websocket_status(served, cookie=True, origin=f"http://127.0.0.1:{served.port + 1}") == 403
    assert await _websocket_status(served, cookie=True, origin="null") == 403
    assert await _websocket_status(served, cookie=True, origin=None) == 403
    assert await _websocket_status(served, cookie=True, origin=own) == 101


def test_serving_beyond_loopback_is_refused_without_i_know(repo: Path, agentdeck_cmd) -> None:
    result = run_cli(agentdeck_cmd, "serve", "--host", "0.0.0.0", "-C", str(repo), cwd=repo, timeout=30)
    assert result.returncode == 2
    assert "refusing to serve on 0.0.0.0" in result.stderr and "--i-know" in result.stderr


def test_a_short_fixed_token_is_refused(repo: Path, agentdeck_cmd) -> None:
    result = run_cli(
        agentdeck_cmd, "serve", "-C", str(repo), cwd=repo, env={"AGENTDECK_SERVE_TOKEN": "abc"}, timeout=30
    )
    assert result.returncode == 2
    assert "AGENTDECK_SERVE_TOKEN is 3 characters long" in result.stderr


def test_serve_outside_a_repository_says_so(tmp_path: Path, agentdeck_cmd) -> None:
    result = subprocess.run(
        [*agentdeck_cmd, "serve", "-C", str(tmp_path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "is not inside a git repository" in result.stderr
