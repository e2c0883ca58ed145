"""textual-serve's server with agentdeck's door: every request passes `WebAccess.check` first.

textual-serve itself has no authentication and no Origin check; this subclass adds one
aiohttp middleware in front of all its routes (page, static files, downloads, WebSocket)
and prints nothing of its own (the `serve` command prints the address with the token).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from textual_serve.server import Server

from agentdeck.server.web_access import TOKEN_PARAMETER, WebAccess

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class GuardedServer(Server):
    """A textual-serve Server that refuses (403) every request `access` does not allow."""

    def __init__(
        self, command: str, access: WebAccess, *, host: str, port: int, title: str, public_url: str
    ) -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=public_url)
        self.access = access

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard())
        return app

    def _guard(self) -> Middleware:
        access = self.access

        @web.middleware
        async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
            websocket = request.headers.get("Upgrade", "").lower() == "websocket"
            verdict = access.check(
                host_header=request.headers.get("Host"),
                url_token=request.query.get(TOKEN_PARAMETER),
                cookie_token=request.cookies.get(access.cookie_name),
                origin=request.headers.get("Origin"),
                websocket=websocket,
            )
            if not verdict.allowed:
                return web.Response(status=403, text=f"agentdeck serve: refused: {verdict.reason}\n")
            if verdict.by_url_token and not websocket:
                # The cookie carries the token from now on; the address bar and history lose it.
                query = {k: v for k, v in request.query.items() if k != TOKEN_PARAMETER}
                response = web.HTTPFound(request.rel_url.with_query(query))
                response.set_cookie(
                    access.cookie_name, access.token, httponly=True, samesite="Strict", path="/"
                )
                return response
            return await handler(request)

        return guard

    async def on_startup(self, app: web.Application) -> None:
        # textual-serve prints its logo and the address without the token: the command says it all.
        return None
