"""Who may use `agentdeck serve`: a secret token, a cookie set from it, the Host and the Origin.

A tab of the served cockpit runs agents that run commands as you, so being able to reach
the port must not be enough. Like Jupyter, the server prints one URL with a random token;
opening it sets a cookie (HttpOnly, SameSite=Strict) and redirects to the bare page, so
the token leaves the address bar. Every request (page, static files, downloads, the
WebSocket) without a matching token or cookie is answered 403.

Two browser attacks need more than the token: a web page in your browser opening a
WebSocket to 127.0.0.1 (browsers send no cookie of ours from another site with
SameSite=Strict, and the Origin header says who opened it), and DNS rebinding (a name
of the attacker's that resolves to 127.0.0.1, caught by the Host header).

Plain functions only, no web framework: the server in tui/web_server.py asks `check`.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

TOKEN_PARAMETER = "token"
# A fixed token for scripts (a reverse proxy, a bookmark); otherwise each `serve` makes one.
TOKEN_VARIABLE = "AGENTDECK_SERVE_TOKEN"
MIN_TOKEN_LENGTH = 16
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class WebAccessError(ValueError):
    """A serve setting that would leave the cockpit open; the text says what to do."""


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, IPv6 with or without brackets) is this machine only."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_token(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The token from AGENTDECK_SERVE_TOKEN, or a new random one (256 bits)."""
    token = environ.get(TOKEN_VARIABLE, "")
    if not token:
        return secrets.token_urlsafe(32)
    if len(token) < MIN_TOKEN_LENGTH:
        raise WebAccessError(
            f"{TOKEN_VARIABLE} is {len(token)} characters long; use at least {MIN_TOKEN_LENGTH} "
            "random ones, or unset it for a new random token each time"
        )
    return token


def _host_and_port(authority: str) -> tuple[str, int | None]:
    parts = urlsplit(f"//{authority}")
    try:
        return (parts.hostname or ""), parts.port
    except ValueError:  # a port that is not a number
        return (parts.hostname or ""), -1


@dataclass(frozen=True)
class Verdict:
    """What to do with one request: refuse it (with why), or let it through (setting the cookie)."""

    allowed: bool
    reason: str = ""
    # The request proved itself with the token in its URL: set the cookie and drop the token.
    by_url_token: bool = False


@dataclass(frozen=True)
class WebAccess:
    """The rules for one running server: its token, its port, and the host it answers as."""

    token: str
    # The port the server listens on (names the cookie).
    port: int
    # Host and port of the URL that is printed and used by the page (`--public-url`, or
    # `--host` and `--port`); None for the scheme's default port behind a proxy.
    public_host: str
    public_port: int | None

    @property
    def cookie_name(self) -> str:
        # Browsers scope cookies by host, not by port: two servers on one machine need two names.
        return f"agentdeck-token-{self.port}"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.public_host)

    def _known_host(self, host: str) -> bool:
        host = host.strip("[]").lower()
        if self.loopback:
            return is_loopback(host)
        return host == self.public_host.strip("[]").lower() or is_loopback(host)

    def _token_matches(self, offered: str | None) -> bool:
        return bool(offered) and hmac.compare_digest(offered.encode(), self.token.encode())

    def check(
        self,
        *,
        host_header: str | None,
        url_token: str | None,
        cookie_token: str | None,
        origin: str | None,
        websocket: bool,
    ) -> Verdict:
        """Decide one request from its Host header, its `?token=`, our cookie, and its Origin."""
        host, _ = _host_and_port(host_header or "")
        if not self._known_host(host):
            return Verdict(False, f"this server does not answer for the host {host_header!r}")
        by_url = self._token_matches(url_token)
        if not (by_url or self._token_matches(cookie_token)):
            return Verdict(
                False,
                "no valid token: open the address that `agentdeck serve` printed (it ends in ?token=...)",
            )
        if websocket or origin is not None:
            # A browser always sends Origin with a WebSocket; only our own page may open one.
            origin_host, origin_port = _host_and_port(urlsplit(origin or "").netloc)
            if origin is None and websocket and not by_url:
                return Verdict(False, "a WebSocket without an Origin header is accepted only with ?token=")
            if origin is not None and not (self._known_host(origin_host) and origin_port == self.public_port):
                return Verdict(False, f"the Origin {origin!r} is not this server's page")
        return Verdict(True, by_url_token=by_url)
