"""The rules behind `agentdeck serve`'s door, for the cases a loopback test server cannot show."""

from __future__ import annotations

import pytest

from agentdeck.server.web_access import WebAccess, WebAccessError, is_loopback, serve_token

TOKEN = "t" * 43


def remote() -> WebAccess:
    """Served with --host 0.0.0.0 --i-know --public-url https://deck.example.org behind a TLS proxy."""
    return WebAccess(token=TOKEN, port=8000, public_host="deck.example.org", public_port=None)


def test_loopback_names_and_addresses() -> None:
    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "127.9.9.9", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "deck.example.org", ""))


def test_behind_a_proxy_the_public_host_and_its_page_are_accepted_and_nothing_else() -> None:
    access = remote()
    page = dict(host_header="deck.example.org", url_token=None, cookie_token=TOKEN, websocket=True)
    assert access.check(**page, origin="https://deck.example.org").allowed
    assert not access.check(**page, origin="https://deck.example.org:8443").allowed
    assert not access.check(**page, origin="https://evil.example.org").allowed
    refused = access.check(**{**page, "host_header": "evil.example.org"}, origin="https://deck.example.org")
    assert not refused.allowed and "does not answer for the host" in refused.reason


def test_the_token_is_needed_whatever_the_host() -> None:
    refused = remote().check(
        host_header="deck.example.org", url_token="x" * 43, cookie_token=None, origin=None, websocket=False
    )
    assert not refused.allowed and "?token=" in refused.reason


def test_a_fixed_token_from_the_environment_must_be_long_enough() -> None:
    assert serve_token({"AGENTDECK_SERVE_TOKEN": "s" * 20}) == "s" * 20
    assert len(serve_token({})) >= 40 and serve_token({}) != serve_token({})
    with pytest.raises(WebAccessError, match="at least 16"):
        serve_token({"AGENTDECK_SERVE_TOKEN": "short"})
