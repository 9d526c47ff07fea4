"""Issue 20 item 7: the API key and device tokens never reach the access log (nor uvicorn's WebSocket
lines), though browsers and devices must put them in the query string of WebSocket URLs."""

from __future__ import annotations

import logging

import httpx
import pytest
from security_helpers import API_KEY
from websockets.sync.client import connect

DEVICE_TOKEN = "device-token-that-must-not-be-logged"


def test_access_log_redacts_api_key_and_token(live_server, caplog):
    # Listen on uvicorn's own loggers at INFO: an earlier test that configured uvicorn's logging in this
    # process (a level, no propagation to the root logger caplog listens on) must not hide the lines.
    names = ("uvicorn.access", "uvicorn.error")
    for name in names:
        caplog.set_level(logging.INFO, logger=name)
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addHandler(caplog.handler)
    try:
        _request_with_secrets(live_server.base_url)
    finally:
        for logger in loggers:
            logger.removeHandler(caplog.handler)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("uvicorn"))
    assert "/api/v1/health?" in logged and "/ws/live?" in logged   # the lines are there...
    assert API_KEY not in logged and DEVICE_TOKEN not in logged     # ...without the secrets
    assert "api_key=***" in logged and "token=***" in logged


def _request_with_secrets(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as http:
        assert http.get("/api/v1/health", params={"api_key": API_KEY, "x": "1"}).status_code == 200
        http.get("/api/v1/info", params={"token": DEVICE_TOKEN})
    ws_base = base_url.replace("http://", "ws://")
    with connect(f"{ws_base}/ws/live?device_id=1&api_key={API_KEY}") as ws:
        ws.recv(timeout=5)
    with pytest.raises(Exception):   # an unknown token: the server closes the socket
        with connect(f"{ws_base}/ws/ingest?token={DEVICE_TOKEN}") as ws:
            ws.recv(timeout=5)


def test_redaction_keeps_other_query_values():
    from cardiowatch.server.log_redaction import redact_secrets

    assert redact_secrets("GET /ws/live?device_id=3&api_key=abc&types=alert") == \
        "GET /ws/live?device_id=3&api_key=***&types=alert"
    assert redact_secrets("/ws/ingest?token=a%20b") == "/ws/ingest?token=***"
    assert redact_secrets("/x?my_token=keep") == "/x?my_token=keep"
