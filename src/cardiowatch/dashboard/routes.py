"""The dashboard's own routes: login and logout, the pages, ``/api/me`` and user management.

Everything else the pages show comes from the server's REST API and live feed (see ``static/js/api.js``,
the one module that knows their shape). `install_dashboard` wires the router, the static assets and the
`DashboardGuard` into the server's app in one call.
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import Annotated, Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Body, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.dashboard.auth import (
    MAX_NEXT_PATH_CHARS,
    SESSION_COOKIE,
    AdminSessionDep,
    AuthDep,
    DashboardAuth,
    DashboardGuard,
    GuardPolicy,
    OptionalSessionDep,
    SessionDep,
    SessionFirstRoute,
    WriteSessionDep,
    safe_next_path,
    same_origin,
)
from cardiowatch.dashboard import report
from cardiowatch.dashboard.headers import SecurityHeaders
from cardiowatch.dashboard.users import Role, UserError, UserStore

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
PAGES_DIR = STATIC_DIR / "pages"
ASSETS_PREFIX = "/dashboard/assets"
#: Asset folders served without login (code and styles hold no patient data); pages are served by routes.
ASSET_FOLDERS = ("js", "css", "vendor", "img")

router = APIRouter(tags=["dashboard"], route_class=SessionFirstRoute)


class LoginRequest(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class MeResponse(BaseModel):
    name: str
    role: Role
    csrf_token: str
    notice: str = NOT_A_MEDICAL_DEVICE


class LoginResponse(MeResponse):
    #: Where the browser goes now: the ``next`` path asked for when it is a path of this site, else "/".
    next: str = "/"


class UserOut(BaseModel):
    name: str
    role: Role


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: Role = Role.VIEWER


def _page(name: str) -> FileResponse:
    return FileResponse(PAGES_DIR / f"{name}.html", headers={"cache-control": "no-store"})


def _login_redirect(request: Request) -> RedirectResponse:
    target = urlencode({"next": request.url.path})
    return RedirectResponse(f"/login?{target}", status_code=status.HTTP_303_SEE_OTHER)


def _minutes(seconds: int) -> str:
    """``seconds`` for people: "1 minute", "15 minutes" (rounded up)."""
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@router.get("/login", include_in_schema=False)
def login_page() -> Response:
    return _page("login")


@router.post("/login", response_model=LoginResponse)
def login(request: Request, credentials: Annotated[LoginRequest, Body()], auth: AuthDep,
          next_path: Annotated[str | None, Query(alias="next", max_length=MAX_NEXT_PATH_CHARS)] = None) -> Response:
    """Check name and password; on success set the session cookie and return the CSRF token, and in
    ``next`` where the browser should go (``?next=`` when it is a path of this site, see `safe_next_path`).

    Too many recent failures for the name or the client's address (`LoginThrottle`) answer 429 with
    ``Retry-After``, whatever the password.
    """
    # A JSON body cannot be posted cross-site without a CORS preflight; the Origin check covers the rest.
    origin = request.headers.get("origin")
    if origin is not None and not same_origin(origin, request.headers.get("host")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-origin login refused")
    # Checked before the password is hashed, so refused attempts cost no scrypt.
    address = request.client.host if request.client else None
    retry_after = auth.throttle.attempt(credentials.name, address)
    if retry_after is not None:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"too many failed logins; try again in {_minutes(retry_after)}",
                            headers={"retry-after": str(retry_after), "cache-control": "no-store"})
    try:
        user = auth.store.authenticate(credentials.name, credentials.password)
    except Exception:
        auth.throttle.cancelled(credentials.name, address)   # a database error is not a wrong password
        raise
    if user is None:
        logger.info("failed login for %r from %s", credentials.name, address)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong name or password")
    auth.throttle.succeeded(credentials.name, address)
    token, session = auth.store.open_session(user)
    body = LoginResponse(name=user.name, role=user.role, csrf_token=session.csrf_token,
                         next=safe_next_path(next_path))
    response = JSONResponse(body.model_dump(mode="json"), headers={"cache-control": "no-store"})
    response.set_cookie(SESSION_COOKIE, auth.cookie_value(token), httponly=True, samesite="strict",
                        secure=auth.cookie_secure(request.url.scheme), path="/",
                        max_age=int(auth.store.session_lifetime.total_seconds()))
    logger.info("user %r logged in", user.name)
    return response


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, session: WriteSessionDep, auth: AuthDep) -> Response:
    """End the session and clear the cookie."""
    token = auth.token_from_cookie(request.cookies.get(SESSION_COOKIE))
    if token:
        auth.store.close_session(token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=auth.cookie_secure(request.url.scheme))
    logger.info("user %r logged out", session.user.name)
    return response


@router.get("/api/me", response_model=MeResponse)
def me(session: SessionDep) -> MeResponse:
    """Who is logged in, their role, and the CSRF token to send with every write."""
    return MeResponse(name=session.user.name, role=session.user.role, csrf_token=session.csrf_token)


@router.get("/api/users", response_model=list[UserOut])
def list_users(session: SessionDep, auth: AuthDep) -> list[UserOut]:
    if session.user.role is not Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin role required")
    return [UserOut(name=u.name, role=u.role) for u in auth.store.list_users()]


@router.post("/api/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def add_user(new: NewUser, session: AdminSessionDep, auth: AuthDep) -> UserOut:
    try:
        user = auth.store.add_user(new.name, new.password, new.role)
    except UserError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    logger.info("user %r (%s) added by %r", user.name, user.role.value, session.user.name)
    return UserOut(name=user.name, role=user.role)


def _page_route(name: str) -> Callable[..., Response]:
    def serve(request: Request, session: OptionalSessionDep) -> Response:
        return _page(name) if session is not None else _login_redirect(request)
    serve.__name__ = f"page_{name}"
    return serve


router.add_api_route("/", _page_route("overview"), methods=["GET"], include_in_schema=False)
router.add_api_route("/patient/{device_id}", _page_route("patient"), methods=["GET"], include_in_schema=False)
router.add_api_route("/history/{device_id}", _page_route("history"), methods=["GET"], include_in_schema=False)
router.add_api_route("/history", _page_route("history"), methods=["GET"], include_in_schema=False)
router.add_api_route("/devices", _page_route("devices"), methods=["GET"], include_in_schema=False)


def _server_api_key(app: FastAPI) -> str | None:
    """The server's API key (``Settings.api_key``), or None when it runs without one."""
    key = getattr(getattr(app.state, "settings", None), "api_key", None)
    if key is None:
        return None
    return key.get_secret_value() if hasattr(key, "get_secret_value") else str(key)


def install_dashboard(app: FastAPI, *, engine: Engine | Callable[[], Engine] | None = None,
                      policy: GuardPolicy | None = None, secure_cookies: bool = False) -> None:
    """Serve the dashboard from ``app`` and put its API behind a login.

    Parameters
    ----------
    app : FastAPI
        The server's application.
    engine : Engine or callable returning one, optional
        The server's database; a callable is called on the first request (for apps that open their
        database at start-up). Default: ``app.state.engine``, which the server sets at start-up.
    policy : GuardPolicy, optional
        Which API paths need a session and which are device ingest.
    secure_cookies : bool
        Always set the cookie's ``Secure`` flag; without it the flag is set when the request came over
        HTTPS (the scheme uvicorn reports, which follows ``X-Forwarded-Proto`` from trusted proxies).
    """
    lock = threading.Lock()
    if engine is None:
        engine = lambda: app.state.engine  # noqa: E731 - set by the server's lifespan, read on first use

    def get_auth() -> DashboardAuth:
        auth = getattr(app.state, "dashboard_auth", None)
        if auth is None:
            with lock:
                auth = getattr(app.state, "dashboard_auth", None)
                if auth is None:
                    db = engine() if callable(engine) and not isinstance(engine, Engine) else engine
                    auth = DashboardAuth.open(UserStore(db), secure_cookies=secure_cookies)
                    app.state.dashboard_auth = auth
        return auth

    app.include_router(router)
    app.include_router(report.router)
    for folder in ASSET_FOLDERS:
        path = STATIC_DIR / folder
        if path.is_dir():
            app.mount(f"{ASSETS_PREFIX}/{folder}", StaticFiles(directory=path), name=f"dashboard-{folder}")
    app.add_middleware(DashboardGuard, get_auth=get_auth, get_api_key=lambda: _server_api_key(app),
                       policy=policy or GuardPolicy())
    app.add_middleware(SecurityHeaders, csp_exempt_paths=[p for p in (app.docs_url, app.redoc_url,
                                                                      app.swagger_ui_oauth2_redirect_url) if p])
    # The dashboard's own routes read the auth from app.state; build it lazily there too.
    app.state.dashboard_get_auth = get_auth
    app.state.dashboard_api_key = lambda: _server_api_key(app)
