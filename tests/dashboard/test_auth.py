"""Dashboard login, sessions, CSRF, roles and the API guard, on a small app with a real SQLite database.

The browser tests (test_browser.py) run the same code inside the real server; these check each rule
alone and fast.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request, WebSocket
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from starlette.websockets import WebSocketDisconnect

from cardiowatch.dashboard import install_dashboard
from cardiowatch.dashboard.auth import sign_token, unsign_token
from cardiowatch.dashboard.users import Role, UserError, UserStore, password_hash, password_verify

SERVER_KEY = "server-api-key-0123456789"


def _app(tmp_path, *, api_key: str | None = SERVER_KEY) -> tuple[FastAPI, UserStore]:
    """A stand-in for the server: its API checks ``X-API-Key`` (or ``?api_key=`` on /ws/live) as
    `cardiowatch.server.deps.require_api_key` does, and echoes what reached it."""
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")

    def require_key(x_api_key: Annotated[str | None, Header()] = None) -> None:
        if api_key is not None and x_api_key != api_key:
            raise HTTPException(401, "missing or wrong X-API-Key")

    app = FastAPI()
    app.state.settings = SimpleNamespace(api_key=api_key)
    api = APIRouter(dependencies=[Depends(require_key)])

    @api.get("/api/v1/echo")
    @api.post("/api/v1/echo")
    @api.post("/api/v1/devices")
    def echo(request: Request) -> dict:
        return {"key": request.headers.get("x-api-key"), "actor": request.headers.get("x-cardiowatch-user")}

    @api.post("/api/v1/alerts/{alert_id}/ack")
    async def ack(alert_id: int, request: Request) -> dict:
        return {"body": await request.json(), "length": request.headers.get("content-length")}

    app.include_router(api)

    @app.post("/api/v1/ingest/frames")
    def ingest() -> dict:
        return {"stored": []}

    @app.websocket("/ws/live")
    async def live(ws: WebSocket) -> None:
        if api_key is not None and ws.query_params.get("api_key") != api_key:
            await ws.close(1008)
            return
        await ws.accept()
        await ws.send_text(f"hello {ws.query_params.get('device_id')}")
        await ws.close()

    install_dashboard(app, engine=engine)
    store = UserStore(engine)
    store.create_tables()
    store.add_user("ada", "correct horse", Role.ADMIN)
    store.add_user("vic", "battery staple", Role.VIEWER)
    return app, store


def _login(client: TestClient, name: str, password: str) -> str:
    response = client.post("/login", json={"name": name, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["csrf_token"]


def test_password_hash_verifies_only_the_right_password():
    stored = password_hash("correct horse")
    assert password_verify("correct horse", stored)
    assert not password_verify("correct horsE", stored)
    assert stored != password_hash("correct horse")  # salted


def test_user_store_refuses_duplicate_names_short_passwords_and_unknown_roles(tmp_path):
    _, store = _app(tmp_path)
    with pytest.raises(UserError, match="exists"):
        store.add_user("ada", "another password", Role.VIEWER)
    with pytest.raises(UserError, match="at least"):
        store.add_user("bob", "short", Role.VIEWER)
    with pytest.raises(UserError, match="valid roles: admin, viewer"):
        store.add_user("bob", "long enough pw", "root")


def test_signed_cookie_rejects_a_changed_token():
    key = b"k" * 32
    value = sign_token("abc", key)
    assert unsign_token(value, key) == "abc"
    assert unsign_token("abd." + value.split(".", 1)[1], key) is None
    assert unsign_token(value, b"x" * 32) is None


def test_login_sets_httponly_samesite_strict_cookie_and_wrong_password_is_401(tmp_path):
    app, _ = _app(tmp_path)
    with TestClient(app) as client:
        assert client.post("/login", json={"name": "ada", "password": "wrong pass"}).status_code == 401
        assert client.post("/login", json={"name": "nobody", "password": "wrong pass"}).status_code == 401
        response = client.post("/login", json={"name": "ada", "password": "correct horse"})
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        me = client.get("/api/me").json()
        assert me["name"] == "ada" and me["role"] == "admin" and len(me["csrf_token"]) > 20


def test_pages_redirect_to_login_and_api_refuses_without_session(tmp_path):
    app, _ = _app(tmp_path)
    with TestClient(app, follow_redirects=False) as client:
        for page in ("/", "/patient/1", "/history/1", "/devices"):
            response = client.get(page)
            assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert client.get("/api/v1/echo").status_code == 401
        assert client.get("/api/me").status_code == 401
        assert client.get("/login").status_code == 200


def test_guard_lets_device_ingest_and_api_key_callers_through_to_the_server(tmp_path):
    app, _ = _app(tmp_path)
    with TestClient(app) as client:
        assert client.post("/api/v1/ingest/frames").status_code == 200
        # A script with the server's key meets the server's own check, unchanged.
        assert client.get("/api/v1/echo", headers={"X-API-Key": SERVER_KEY}).json()["key"] == SERVER_KEY
        assert client.get("/api/v1/echo", headers={"X-API-Key": "wrong"}).status_code == 401
        # Nobody but the guard may name the acting user.
        assert client.get("/api/v1/echo", headers={"X-API-Key": SERVER_KEY, "X-Cardiowatch-User": "ada"}
                          ).json()["actor"] is None


def test_logged_in_browser_gets_the_server_key_added_and_is_named_as_actor(tmp_path):
    app, _ = _app(tmp_path)
    with TestClient(app) as client:
        csrf = _login(client, "vic", "battery staple")
        got = client.get("/api/v1/echo").json()
        assert got == {"key": SERVER_KEY, "actor": "vic"}
        assert client.post("/api/v1/echo", headers={"X-CSRF-Token": csrf}).json()["actor"] == "vic"


def test_writes_need_the_csrf_token(tmp_path):
    app, _ = _app(tmp_path)
    with TestClient(app) as client:
        csrf = _login(client, "ada", "correct horse")
        assert client.post("/api/v1/echo").status_code == 403
        wrong = csrf[:-1] + ("y" if csrf.endswith("x") else "x")
        assert client.post("/api/v1/echo", headers={"X-CSRF-Token": wrong}).status_code == 403
        assert client.post("/api/v1/echo", headers={"X-CSRF-Token": csrf}).status_code == 200
        assert client.post("/logout").status_code == 403


def test_viewer_cannot_manage_devices_or_users_but_admin_can(tmp_path):
    app, store = _app(tmp_path)
    with TestClient(app) as viewer:
        csrf = _login(viewer, "vic", "battery staple")
        assert viewer.post("/api/v1/devices", headers={"X-CSRF-Token": csrf}).status_code == 403
        assert viewer.post("/api/users", json={"name": "eve", "password": "12345678"},
                           headers={"X-CSRF-Token": csrf}).status_code == 403
    with TestClient(app) as admin:
        csrf = _login(admin, "ada", "correct horse")
        assert admin.post("/api/v1/devices", headers={"X-CSRF-Token": csrf}).status_code == 200
        response = admin.post("/api/users", json={"name": "eve", "password": "12345678", "role": "viewer"},
                              headers={"X-CSRF-Token": csrf})
        assert response.status_code == 201
    assert [u.name for u in store.list_users()] == ["ada", "eve", "vic"]


def test_logout_ends_the_session_even_for_a_copied_cookie(tmp_path):
    app, _ = _app(tmp_path)
    with TestClient(app) as client:
        csrf = _login(client, "ada", "correct horse")
        copied = dict(client.cookies)
        assert client.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    with TestClient(app, cookies=copied) as replay:
        assert replay.get("/api/me").status_code == 401
        assert replay.get("/api/v1/echo").status_code == 401


def test_forged_cookie_is_refused(tmp_path):
    app, _ = _app(tmp_path)
    with TestClient(app, cookies={"cw_session": "made-up-token.c2lnbmF0dXJl"}) as client:
        assert client.get("/api/me").status_code == 401


def test_live_feed_needs_a_session_and_the_same_origin(tmp_path):
    app, _ = _app(tmp_path)
    with TestClient(app) as client:
        with pytest.raises(WebSocketDisconnect) as refused:
            with client.websocket_connect("/ws/live", headers={"origin": "http://testserver"}):
                pass
        assert refused.value.code == 1008   # the server's own refusal: no key, no session
        _login(client, "vic", "battery staple")
        with pytest.raises(WebSocketDisconnect) as cross:
            with client.websocket_connect("/ws/live", headers={"origin": "http://evil.example"}):
                pass
        assert cross.value.code == 4403
        with client.websocket_connect("/ws/live?device_id=7&api_key=forged",
                                      headers={"origin": "http://testserver"}) as ws:
            assert ws.receive_text() == "hello 7"   # the guard put the server's key in place of "forged"


def test_open_development_server_without_key_is_not_blocked_by_the_guard(tmp_path):
    app, _ = _app(tmp_path, api_key=None)
    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/api/v1/echo").status_code == 200   # the server chose to be open
        assert client.get("/").status_code == 303               # the dashboard itself still needs a login


def test_alert_actions_are_recorded_as_the_logged_in_user_whatever_the_body_claims(tmp_path):
    app, _ = _app(tmp_path)
    with TestClient(app) as client:
        csrf = _login(client, "vic", "battery staple")
        got = client.post("/api/v1/alerts/3/ack", json={"user": "ada", "note": "x"},
                          headers={"X-CSRF-Token": csrf}).json()
        assert got["body"] == {"user": "vic", "note": "x"}
        assert int(got["length"]) == len(b'{"user": "vic", "note": "x"}')


def test_a_padded_alert_action_body_cannot_slip_past_the_actor_rewrite(tmp_path):
    app, _ = _app(tmp_path)
    with TestClient(app) as client:
        csrf = _login(client, "vic", "battery staple")
        padded = {"user": "ada", "padding": "x" * 20000}
        response = client.post("/api/v1/alerts/3/ack", json=padded, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 413
