"""Issue 20 item 10: the session cookie is ``Secure`` behind TLS or a trusted proxy (or when forced), and
dashboard pages carry CSP, framing, sniffing and referrer headers."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from security_helpers import ADMIN, add_admin, security_app, serve_on_loopback


def _login(http, **kwargs) -> httpx.Response:
    response = http.post("/login", json={"name": ADMIN[0], "password": ADMIN[1]}, **kwargs)
    assert response.status_code == 200, response.text
    return response


def _cookie_attributes(response: httpx.Response) -> set[str]:
    cookie = response.headers["set-cookie"]
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def test_session_cookie_is_secure_over_https(tmp_path):
    with TestClient(security_app(tmp_path), base_url="https://testserver") as client:
        add_admin(client.app)
        assert "secure" in _cookie_attributes(_login(client))


def test_session_cookie_is_not_secure_over_plain_http(client):
    # A home install on http://<lan address> must still be able to log in.
    assert "secure" not in _cookie_attributes(_login(client))


def test_session_cookie_is_secure_when_the_setting_forces_it(tmp_path):
    with TestClient(security_app(tmp_path, secure_cookies=True)) as client:
        add_admin(client.app)
        assert "secure" in _cookie_attributes(_login(client))


def test_session_cookie_is_secure_behind_a_trusted_tls_proxy(tmp_path):
    app = security_app(tmp_path)
    settings = app.state.settings
    with serve_on_loopback(app, proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips) as live:
        add_admin(live.app)
        with httpx.Client(base_url=live.base_url) as http:
            response = _login(http, headers={"X-Forwarded-Proto": "https"})
    assert "secure" in _cookie_attributes(response)


def test_forwarded_proto_from_an_untrusted_peer_is_ignored(tmp_path):
    with serve_on_loopback(security_app(tmp_path), proxy_headers=True, forwarded_allow_ips="192.0.2.1") as live:
        add_admin(live.app)
        with httpx.Client(base_url=live.base_url) as http:
            response = _login(http, headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in _cookie_attributes(response)


def _assert_page_headers(response: httpx.Response) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") == "same-origin"


def test_login_page_carries_security_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    _assert_page_headers(response)


def test_dashboard_pages_carry_security_headers(client):
    _login(client)
    for path in ("/", "/devices", "/history", "/patient/1"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_page_headers(response)


def test_api_answers_are_not_sniffed_or_framed(client):
    response = client.get("/api/v1/health")
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("x-frame-options") == "DENY"
