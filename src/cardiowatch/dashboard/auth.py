"""Who may see the dashboard: signed session cookies, CSRF tokens, roles, and the guard on the API.

A login puts a random session token in a cookie ``cw_session`` (HttpOnly, SameSite=Strict, Secure when
served over HTTPS), signed by itsdangerous (HMAC-SHA256) under a key kept in the database. Every state-changing
request (POST, PUT, PATCH, DELETE) must carry the session's CSRF token in the ``X-CSRF-Token`` header.

`DashboardGuard` is a pure ASGI middleware in front of the server's API and live feed: a logged-in
browser gets through with CSRF checked on writes (403), the admin role checked on admin writes (403),
the Origin of WebSocket handshakes checked, and the server's API key added on its behalf; anyone else
meets the server's own API-key check unchanged (see the class). Device-facing ingest paths keep their own
device-token auth and are let through untouched (`GuardPolicy.device_paths`).

References
----------
.. [1] OWASP Cross-Site Request Forgery Prevention Cheat Sheet (synchronizer token pattern).
.. [2] RFC 6265bis, "Cookies: HTTP State Management Mechanism", the SameSite attribute.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit
from typing import Annotated, Any, Awaitable, Callable, MutableMapping

import anyio
from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from itsdangerous import BadSignature, Signer

from cardiowatch.dashboard.throttle import LoginThrottle
from cardiowatch.dashboard.users import Role, Session, UserStore
from cardiowatch.server.deps import depends_on

logger = logging.getLogger(__name__)

SESSION_COOKIE = "cw_session"
CSRF_HEADER = "x-csrf-token"
API_KEY_HEADER = "x-api-key"
API_KEY_QUERY = "api_key"
#: Set by the guard on requests it let through for a logged-in user: who acts (acknowledges, snoozes).
ACTOR_HEADER = "x-cardiowatch-user"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Separates the cookie's signing key from any other use of the same secret.
COOKIE_SIGNING_SALT = b"cardiowatch.dashboard.session-cookie"
#: WebSocket close code for a cross-site handshake (4000-4999 are free for applications; mirrors HTTP 403).
WS_CLOSE_FORBIDDEN = 4403

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _cookie_signer(key: bytes) -> Signer:
    return Signer(key, salt=COOKIE_SIGNING_SALT, digest_method=hashlib.sha256)


def sign_token(token: str, key: bytes) -> str:
    """Return ``token.signature`` for the cookie (itsdangerous: HMAC-SHA256, key derived from ``key``)."""
    return _cookie_signer(key).sign(token.encode()).decode()


def unsign_token(value: str, key: bytes) -> str | None:
    """Return the token inside a signed cookie value, or None when the signature is wrong."""
    try:
        return _cookie_signer(key).unsign(value.encode()).decode()
    except (BadSignature, UnicodeError):
        return None


@dataclass(frozen=True)
class GuardPolicy:
    """Which paths the guard protects.

    Attributes
    ----------
    protected_prefixes : tuple of str
        Paths that need a logged-in user (the REST API and the live feed).
    device_paths : tuple of str
        Prefixes under ``protected_prefixes`` that devices call with their own token (ingest): let through.
    public_paths : tuple of str
        Exact paths anyone may read (health check, OpenAPI schema).
    admin_write_prefixes : tuple of str
        Writes under these prefixes need the admin role (device and user management).
    actor_body_prefixes : tuple of str
        Writes whose JSON ``"user"`` field the guard sets to the logged-in user (alert acknowledge and
        snooze record who did it; a browser cannot claim to be someone else).
    """

    protected_prefixes: tuple[str, ...] = ("/api/", "/ws/live")
    device_paths: tuple[str, ...] = ("/api/v1/ingest", "/ws/ingest")
    public_paths: tuple[str, ...] = ("/api/health", "/api/v1/health")
    admin_write_prefixes: tuple[str, ...] = ("/api/v1/devices", "/api/users")
    actor_body_prefixes: tuple[str, ...] = ("/api/v1/alerts/",)

    def needs_session(self, path: str) -> bool:
        if path in self.public_paths or path.startswith(self.device_paths):
            return False
        return path.startswith(self.protected_prefixes)

    def needs_admin(self, method: str, path: str) -> bool:
        return method not in SAFE_METHODS and path.startswith(self.admin_write_prefixes)


@dataclass
class DashboardAuth:
    """The user store, cookie key and login throttle, shared by the routes and the guard (on ``app.state``)."""

    store: UserStore
    key: bytes = field(repr=False)
    secure_cookies: bool = False
    throttle: LoginThrottle = field(default_factory=LoginThrottle, repr=False)

    @classmethod
    def open(cls, store: UserStore, *, secure_cookies: bool = False) -> "DashboardAuth":
        store.create_tables()
        return cls(store=store, key=store.signing_key(), secure_cookies=secure_cookies)

    def session_for_cookie(self, cookie_value: str | None) -> Session | None:
        """The live session a cookie value names, or None (missing, forged, expired, logged out)."""
        if not cookie_value:
            return None
        token = unsign_token(cookie_value, self.key)
        return self.store.find_session(token) if token else None

    def cookie_value(self, token: str) -> str:
        return sign_token(token, self.key)

    def cookie_secure(self, scheme: str) -> bool:
        """Whether the session cookie gets ``Secure``: always when configured, else over HTTPS (as seen by
        the server, or reported by a trusted proxy through ``X-Forwarded-Proto``)."""
        return self.secure_cookies or scheme == "https"

    def token_from_cookie(self, cookie_value: str | None) -> str | None:
        return unsign_token(cookie_value, self.key) if cookie_value else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - http.cookies raises CookieError or others on junk; junk means no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


#: Longest ``next`` path followed after a login.
MAX_NEXT_PATH_CHARS = 2048


def safe_next_path(raw: str | None) -> str:
    r"""``raw`` when it is a path of this site, else ``"/"`` (where a login goes next; no open redirect).

    A path of this site is printable ASCII without spaces, starts with exactly one ``/`` and has no
    backslash: browsers read ``/\host`` as ``//host`` and delete tabs and newlines anywhere in a URL,
    so ``/\evil.example`` and ``/<TAB>/evil.example`` lead to another host [1]_.

    References
    ----------
    .. [1] WHATWG URL Standard, "basic URL parser" (backslash in special URLs; ASCII tab or newline).

    Examples
    --------
    >>> safe_next_path("/patient/3?from=alert")
    '/patient/3?from=alert'
    >>> safe_next_path("/\\evil.example/phish")
    '/'
    """
    if not raw or len(raw) > MAX_NEXT_PATH_CHARS or not raw.isascii() or not raw.startswith("/"):
        return "/"
    if raw[1:2] == "/" or "\\" in raw or any(not c.isprintable() or c.isspace() for c in raw):
        return "/"
    parts = urlsplit(raw)
    return raw if not parts.scheme and not parts.netloc else "/"


def same_origin(origin: str | None, host: str | None) -> bool:
    """Whether an ``Origin`` header names the host the request was sent to."""
    if not origin or not host:
        return False
    return origin.split("://", 1)[-1].rstrip("/") == host


class DashboardGuard:
    """ASGI middleware that lets a logged-in browser use the server's API and live feed.

    The server guards its API with an API key (``X-API-Key``, `Settings.api_key`); a browser must never
    hold that key. For a request with a valid session cookie the guard checks CSRF on writes and the
    admin role on admin writes, then adds the server's key to the request so the server's own check
    passes. A request without a session goes on unchanged to the server's own check (401 without the
    key; scripts and the CLI bring theirs). A server run without a key (its development mode) leaves
    its API open; the dashboard's pages still need a login.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    get_auth : callable
        Returns the `DashboardAuth` (looked up at request time so the app can build it at start-up).
    get_api_key : callable
        Returns the server's API key, or None when the server runs without one.
    policy : GuardPolicy
        Which paths are protected.
    """

    def __init__(self, app: ASGIApp, *, get_auth: Callable[[], DashboardAuth],
                 get_api_key: Callable[[], str | None] = lambda: None, policy: GuardPolicy | None = None) -> None:
        self.app = app
        self.get_auth = get_auth
        self.get_api_key = get_api_key
        self.policy = policy or GuardPolicy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket") or not self.policy.needs_session(scope["path"]):
            await self.app(scope, receive, send)
            return
        # Only the guard says who acts: drop any such header that came from outside.
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope.get("headers", ()) if k != ACTOR_HEADER.encode()]
        cookie = _cookie(scope, SESSION_COOKIE)
        session = None
        if cookie is not None:  # no cookie, no database work: scripts and devices pay nothing
            session = await anyio.to_thread.run_sync(self.get_auth().session_for_cookie, cookie)
        api_key = self.get_api_key()
        if session is None:
            # Not logged in: the server's own API-key check decides (401 without the key).
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        if kind == "websocket":
            # Browsers send cookies on cross-site WebSocket handshakes: the Origin check stops hijacking.
            if not same_origin(_header(scope, b"origin"), _header(scope, b"host")):
                await _ws_refuse(send, WS_CLOSE_FORBIDDEN)
                return
        else:
            if method not in SAFE_METHODS:
                sent = _header(scope, CSRF_HEADER.encode()) or ""
                if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                    await _json(send, status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
                    return
            if self.policy.needs_admin(method, scope["path"]) and session.user.role is not Role.ADMIN:
                await _json(send, status.HTTP_403_FORBIDDEN, "admin role required")
                return
        headers = [(k, v) for k, v in scope["headers"] if k != API_KEY_HEADER.encode()]
        if api_key is not None:
            headers.append((API_KEY_HEADER.encode(), api_key.encode("latin-1")))
        headers.append((ACTOR_HEADER.encode(), session.user.name.encode("utf-8")))
        scope["headers"] = headers
        if kind == "websocket" and api_key is not None:
            # The live feed takes its key as a query parameter (browsers cannot set WebSocket headers).
            query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                                   keep_blank_values=True) if k != API_KEY_QUERY]
            scope["query_string"] = urlencode([*query, (API_KEY_QUERY, api_key)]).encode("latin-1")
        scope["state"] = {**scope.get("state", {}), "dashboard_session": session}
        if kind == "http" and method not in SAFE_METHODS and scope["path"].startswith(self.policy.actor_body_prefixes):
            actor_receive, length = await _with_actor(receive, session.user.name)
            if actor_receive is None:
                await _json(send, status.HTTP_413_CONTENT_TOO_LARGE, "request body too large")
                return
            receive = actor_receive
            if length is not None:
                scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
                scope["headers"].append((b"content-length", str(length).encode()))
        await self.app(scope, receive, send)


#: Largest JSON body the guard reads to set the acting user (acknowledge / snooze bodies are tiny).
MAX_ACTOR_BODY_BYTES = 16384


async def _with_actor(receive: Receive, user: str) -> tuple[Receive | None, int | None]:
    """A ``receive`` whose JSON body has ``"user"`` set to the logged-in user (no one acts as another).

    Returns the new ``receive`` and the new body length; ``(None, None)`` when the body is bigger than
    `MAX_ACTOR_BODY_BYTES` (the caller answers 413). A body that is not a JSON object passes unchanged:
    the server rejects it itself.
    """
    chunks: list[bytes] = []
    size = 0
    more = True
    while more and size <= MAX_ACTOR_BODY_BYTES:
        message = await receive()
        if message["type"] != "http.request":   # the client went away: pass that on
            return _replay([message]), None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = bool(message.get("more_body", False))
    if size > MAX_ACTOR_BODY_BYTES:
        return None, None   # refused by the caller: a padded body must not slip past the rewrite
    body = b"".join(chunks)
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        payload["user"] = user
        body = json.dumps(payload).encode()
    return _replay([{"type": "http.request", "body": body, "more_body": False}]), len(body)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def _json(send: Send, code: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": code,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


async def _ws_refuse(send: Send, code: int) -> None:
    # Closing before accept makes the server answer the handshake with HTTP 403.
    await send({"type": "websocket.close", "code": code, "reason": ""})


# FastAPI dependencies for the dashboard's own routes ----------------------------------------------------

def get_dashboard_auth(request: Request) -> DashboardAuth:
    """The app's `DashboardAuth` (built on first use by `install_dashboard`)."""
    return request.app.state.dashboard_get_auth()


def optional_session(request: Request, auth: Annotated[DashboardAuth, Depends(get_dashboard_auth)]
                     ) -> Session | None:
    """The caller's session, or None."""
    return auth.session_for_cookie(request.cookies.get(SESSION_COOKIE))


def require_session(session: Annotated[Session | None, Depends(optional_session)]) -> Session:
    """The caller's session; 401 without one."""
    if session is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "login required")
    return session


def require_csrf(request: Request, session: Annotated[Session, Depends(require_session)]) -> Session:
    """The caller's session, checked against the CSRF header (for writes); 403 when wrong."""
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
    return session


def require_admin(session: Annotated[Session, Depends(require_csrf)]) -> Session:
    """A CSRF-checked session of an admin; 403 for viewers."""
    if session.user.role is not Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin role required")
    return session


class SessionFirstRoute(APIRoute):
    """A dashboard route that needs a login refuses a write without one (401) from the cookie alone,
    before FastAPI reads and validates its body (it reads the body before resolving dependencies).

    Used as the dashboard router's ``route_class``; routes that do not depend on `require_session`
    (the login itself, the pages) are left as they are.
    """

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()
        if not depends_on(self.dependant, require_session):
            return handler

        async def session_first(request: Request) -> Response:
            if request.method not in SAFE_METHODS:
                cookie = request.cookies.get(SESSION_COOKIE)
                auth = get_dashboard_auth(request)
                if not cookie or await anyio.to_thread.run_sync(auth.session_for_cookie, cookie) is None:
                    return JSONResponse({"detail": "login required"}, status_code=status.HTTP_401_UNAUTHORIZED)
            return await handler(request)

        return session_first


AuthDep = Annotated[DashboardAuth, Depends(get_dashboard_auth)]
OptionalSessionDep = Annotated[Session | None, Depends(optional_session)]
SessionDep = Annotated[Session, Depends(require_session)]
WriteSessionDep = Annotated[Session, Depends(require_csrf)]
AdminSessionDep = Annotated[Session, Depends(require_admin)]
