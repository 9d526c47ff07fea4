"""Response headers that tell a browser how to treat what the server sends.

Every HTTP answer: ``X-Content-Type-Options: nosniff`` (a JSON answer is never run as a script),
``X-Frame-Options: DENY`` (no page can be framed for clickjacking), ``Referrer-Policy: same-origin``
(page URLs, which name devices, never leave the site). Every HTML answer also gets a
``Content-Security-Policy`` that allows only the dashboard's own scripts, styles, images and sockets:
the pages load no CDN and run no inline script. FastAPI's interactive docs (``/docs``, ``/redoc``) load
their code from a CDN, so they keep their own rules.

References
----------
.. [1] W3C, "Content Security Policy Level 3" (``frame-ancestors`` supersedes X-Frame-Options).
.. [2] OWASP HTTP Headers Cheat Sheet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Inline ``style=""`` attributes are used by the pages (layout only); scripts are files from the site.
#: The report embeds its charts as ``data:`` PNGs. ``connect-src 'self'`` covers same-origin WebSockets.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
COMMON_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                  (b"referrer-policy", b"same-origin"))


class SecurityHeaders:
    """ASGI middleware adding `COMMON_HEADERS` to every HTTP answer and the CSP to HTML ones.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    csp_exempt_paths : collection of str
        Paths whose HTML keeps no CSP of ours (FastAPI's docs pages, which load from a CDN).
    """

    def __init__(self, app: ASGIApp, *, csp_exempt_paths: Collection[str] = ()) -> None:
        self.app = app
        self.csp_exempt_paths = frozenset(csp_exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = scope["path"] not in self.csp_exempt_paths

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {key.lower() for key, _ in headers}
                headers += [(key, value) for key, value in COMMON_HEADERS if key not in present]
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if with_csp and content_type.startswith(b"text/html") and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
