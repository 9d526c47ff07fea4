"""Issue 20 item 5: `cardiowatch serve` on a network interface without an API key refuses to start,
unless told ``--insecure``; on loopback it starts as before."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cardiowatch.cli import app

OPEN_HOSTS = ["0.0.0.0", "::", "192.168.1.20", "cardiowatch.lan"]
LOOPBACK_HOSTS = ["127.0.0.1", "::1", "localhost", "127.0.0.2"]


@pytest.fixture
def started(monkeypatch, tmp_path) -> list[dict]:
    """Record uvicorn.run calls instead of serving; no API key in the environment."""
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    monkeypatch.delenv("CARDIOWATCH_API_KEY", raising=False)
    monkeypatch.delenv("CARDIOWATCH_ENVIRONMENT", raising=False)
    monkeypatch.setenv("CARDIOWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'cw.db'}")
    return calls


@pytest.mark.parametrize("host", OPEN_HOSTS)
def test_serve_refuses_an_open_interface_without_a_key(started, host):
    result = CliRunner().invoke(app, ["serve", "--host", host])
    assert result.exit_code != 0
    assert started == []
    assert "CARDIOWATCH_API_KEY" in result.output and "--insecure" in result.output


@pytest.mark.parametrize("host", OPEN_HOSTS)
def test_serve_opens_an_interface_without_a_key_when_told_insecure(started, host):
    result = CliRunner().invoke(app, ["serve", "--host", host, "--insecure"])
    assert result.exit_code == 0, result.output
    assert [c["host"] for c in started] == [host]


def test_serve_opens_an_interface_with_a_key(started, monkeypatch):
    monkeypatch.setenv("CARDIOWATCH_API_KEY", "k" * 24)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert len(started) == 1


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_serve_on_loopback_needs_no_key(started, host):
    result = CliRunner().invoke(app, ["serve", "--host", host])
    assert result.exit_code == 0, result.output
    assert len(started) == 1


def test_serve_trusts_forwarded_headers_only_from_the_configured_proxies(started, monkeypatch):
    monkeypatch.setenv("CARDIOWATCH_FORWARDED_ALLOW_IPS", "10.0.0.5")
    CliRunner().invoke(app, ["serve"])
    assert started[0]["proxy_headers"] is True and started[0]["forwarded_allow_ips"] == "10.0.0.5"
