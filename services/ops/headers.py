"""Security headers on every HTTP response of the web app (an ASGI middleware; no Dash).

The Content-Security-Policy lets scripts run only from the app's own origin or when
they are one of the inline scripts the app itself writes (their hashes, which Dash
computes: ``Dash.csp_hashes()``); styles may be inline (Plotly and React set them).
Pages may be framed only by the app itself, and no page's address leaks to another site.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def security_headers(script_hashes: Sequence[str]) -> list[tuple[bytes, bytes]]:
    """The headers, with a CSP that allows the given inline-script hashes."""
    policy = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' " + " ".join(script_hashes),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )
    pairs = {
        "content-security-policy": policy,
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "SAMEORIGIN",
        "cross-origin-opener-policy": "same-origin",
    }
    return [(name.encode(), value.encode()) for name, value in pairs.items()]


class SecurityHeaders:
    """``server.add_middleware(SecurityHeaders, script_hashes=dash_app.csp_hashes)``: the
    hashes are asked for at each response, as Dash adds an inline script (the page title's
    clientside callback) while it serves its first request. Headers are made again only
    when the hashes change."""

    def __init__(self, app: ASGIApp, script_hashes: Callable[[], Sequence[str]]) -> None:
        self.app, self.script_hashes = app, script_hashes
        self._made: tuple[tuple[str, ...], list[tuple[bytes, bytes]]] = ((), [])

    def headers(self) -> list[tuple[bytes, bytes]]:
        hashes = tuple(self.script_hashes())
        if hashes != self._made[0] or not self._made[1]:
            self._made = (hashes, security_headers(hashes))
        return self._made[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                added = self.headers()
                names = {name for name, _ in added}
                kept = [(n, v) for n, v in message.get("headers", []) if n.lower() not in names]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        await self.app(scope, receive, with_headers)


class NotFoundStatus:
    """An address no page has is served the app (which shows its 404 page) with status 404,
    not 200: a link checker, a crawler or a monitor then sees what a person sees. Only a
    page request is changed (GET or HEAD, answered with HTML); the app's own routes and
    assets are left as they are."""

    def __init__(self, app: ASGIApp, pages: Callable[[], set[str]]) -> None:
        self.app, self.pages = app, pages

    def unknown(self, scope: Scope) -> bool:
        path = str(scope.get("path") or "/")
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD") or path.startswith("/_"):
            return False
        return (path.rstrip("/") or "/") not in self.pages()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.unknown(scope):
            await self.app(scope, receive, send)
            return

        async def as_404(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                kinds = [v for n, v in message.get("headers", []) if n.lower() == b"content-type"]
                if kinds and kinds[0].startswith(b"text/html"):
                    message = {**message, "status": 404}
            await send(message)

        await self.app(scope, receive, as_404)
