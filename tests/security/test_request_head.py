"""Issue 20 item 3, the request's head: httptools (uvicorn's default parser) bounds neither the size nor
the time of a request line and its headers; `BoundedHeadProtocol` answers 431 past `MAX_HEAD_BYTES` and
408 past `HEAD_TIMEOUT_S`, before any layer of the app sees the request, and `serve` runs with it."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from security_helpers import security_app, serve_on_loopback
from typer.testing import CliRunner

from cardiowatch.server.http_protocol import MAX_HEAD_BYTES, BoundedHeadProtocol

#: How long the server may take to answer a refused head, once it is refused.
ANSWER_TIMEOUT_S = 10.0
#: A short head deadline for the slow-client tests.
SHORT_TIMEOUT_S = 0.5


class QuickHeadProtocol(BoundedHeadProtocol):
    head_timeout_s = SHORT_TIMEOUT_S


@pytest.fixture
def live(tmp_path):
    with serve_on_loopback(security_app(tmp_path), http=BoundedHeadProtocol) as server:
        yield server


@pytest.fixture
def live_quick(tmp_path):
    with serve_on_loopback(security_app(tmp_path), http=QuickHeadProtocol) as server:
        yield server


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = bytearray()
    while data := sock.recv(65536):
        received += data
    return bytes(received)


def _send_head_lines(sock: socket.socket, total_bytes: int) -> int:
    """Send header lines of ``total_bytes`` in all (never the blank line that ends them); bytes sent."""
    line = b"X-Filler: " + b"a" * 1000 + b"\r\n"
    sent = 0
    try:
        while sent < total_bytes:
            sock.sendall(line)
            sent += len(line)
    except (BrokenPipeError, ConnectionResetError):   # the server closed: what it let in is counted
        pass
    return sent


def test_a_60_mb_head_is_refused_with_431_and_not_read(live):
    sock = live.connect(ANSWER_TIMEOUT_S)
    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
    sent = _send_head_lines(sock, 60 * 1024 * 1024)
    answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]
    assert b"connection: close" in answer.lower()
    # The server stopped reading near the limit: what got through is its read size plus socket buffers.
    assert sent < 16 * 1024 * 1024, f"{sent} bytes of header lines went in before the server closed"


def test_a_long_url_is_refused_with_431(live):
    sock = live.connect(ANSWER_TIMEOUT_S)
    sock.sendall(b"GET /api/v1/health?" + b"q" * (2 * MAX_HEAD_BYTES) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _read_all(sock).startswith(b"HTTP/1.1 431 ")


def test_the_server_answers_others_while_and_after_it_refuses_a_head(live):
    sock = live.connect(ANSWER_TIMEOUT_S)
    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
    _send_head_lines(sock, 4 * MAX_HEAD_BYTES)
    with httpx.Client(base_url=live.base_url, timeout=ANSWER_TIMEOUT_S) as client:
        assert client.get("/api/v1/health").status_code == 200


def test_a_head_under_the_limit_is_served(live):
    cookies = "; ".join(f"c{i}={'v' * 100}" for i in range(MAX_HEAD_BYTES // 200))   # about half the limit
    with httpx.Client(base_url=live.base_url, timeout=ANSWER_TIMEOUT_S) as client:
        assert client.get("/api/v1/health", headers={"Cookie": cookies}).status_code == 200
        assert client.get("/api/v1/health").status_code == 200   # the same connection, kept alive


def test_a_head_sent_a_byte_at_a_time_is_cut_with_408(live_quick):
    sock = live_quick.connect(ANSWER_TIMEOUT_S)
    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\n")
    started = time.monotonic()
    answer = b""
    while time.monotonic() - started < ANSWER_TIMEOUT_S:
        try:
            sock.sendall(b"X")
        except (BrokenPipeError, ConnectionResetError):
            break
        sock.settimeout(0.05)
        try:
            answer = _read_all(sock)
            break
        except TimeoutError:
            continue
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(live_quick):
    sock = live_quick.connect(ANSWER_TIMEOUT_S)
    assert _read_all(sock) == b""   # closed by the server, not by the timeout of this read


def test_a_slow_body_is_not_cut_by_the_head_deadline(live_quick):
    # The deadline covers the head only: a device on a slow link may take longer over its body.
    with httpx.Client(base_url=live_quick.base_url, timeout=ANSWER_TIMEOUT_S) as client:
        def slow_body():
            yield b"{"
            time.sleep(3 * SHORT_TIMEOUT_S)
            yield b'"username": "a", "password": "b"}'

        answer = client.post("/api/v1/devices", content=slow_body(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 401   # refused for the missing key, not cut for the time


def test_serve_runs_uvicorn_with_the_bounded_head(monkeypatch, tmp_path):
    import uvicorn

    from cardiowatch.cli import app

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    monkeypatch.setenv("CARDIOWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'cw.db'}")
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    assert calls[0]["http"] is BoundedHeadProtocol
