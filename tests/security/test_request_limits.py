"""Issue 20 item 3: an unauthenticated request must not stall the server.

Bodies are bounded before they are parsed (declared and streamed), a refused body is not read on (the
bytes a hostile client gets through are counted at the socket), JSON nesting is bounded, the API key and
the device token are checked before a body is read, and a 422 never echoes what was sent.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import httpx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from security_helpers import API_KEY, security_app, serve_on_loopback

from cardiowatch.protocol import Frame, SensorKind, frame_encode
from cardiowatch.server.request_limits import BodyGate

#: A body far over any limit, the size the issue's tester used.
HUGE_BODY_BYTES = 60 * 1024 * 1024
#: A health probe slower than this means the server was stalled by the other request.
HEALTH_MAX_LATENCY_S = 1.0
#: How long a refused request may take to be answered, end to end.
ANSWER_TIMEOUT_S = 10.0


def _status_line(data: bytes) -> int | None:
    head = data.split(b"\r\n", 1)[0].split()
    return int(head[1]) if len(head) >= 2 and head[1].isdigit() else None


def _send_and_read(live, head: bytes, body_chunks, *, timeout_s: float) -> tuple[int | None, float]:
    """Send ``head`` then the body chunks while a second thread reads the answer; (status, seconds)."""
    sock = live.connect(timeout_s)
    received = bytearray()
    answered = threading.Event()

    def read() -> None:
        try:
            while b"\r\n" not in received:
                data = sock.recv(65536)
                if not data:
                    break
                received.extend(data)
        except OSError:
            pass
        answered.set()

    t0 = time.monotonic()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        sock.sendall(head)
        for chunk in body_chunks:
            if answered.is_set():
                break
            sock.sendall(chunk)
    except OSError:  # the server closed the connection after answering: expected for a refused body
        pass
    answered.wait(timeout_s)
    elapsed_s = time.monotonic() - t0
    sock.close()
    reader.join(1.0)
    return _status_line(bytes(received)), elapsed_s


def _json_array_chunks(total_bytes: int, chunk_bytes: int = 1 << 20):
    """A JSON array of ones, ``total_bytes`` long, in chunks (built lazily: no 60 MB string in memory)."""
    yield b"["
    chunk = b"1," * (chunk_bytes // 2)
    sent = 1
    while sent + len(chunk) < total_bytes - 2:
        yield chunk
        sent += len(chunk)
    yield b"1]"


def _chunked(chunks):
    for chunk in chunks:
        yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    yield b"0\r\n\r\n"


def _probe_health_while(live, busy: threading.Thread, *, min_probes: int = 5) -> list[float]:
    latencies = []
    with httpx.Client(base_url=live.base_url, timeout=ANSWER_TIMEOUT_S) as http:
        while busy.is_alive() or len(latencies) < min_probes:
            t0 = time.monotonic()
            assert http.get("/api/v1/health").status_code == 200
            latencies.append(time.monotonic() - t0)
    return latencies


def _upload_in_thread(live, head: bytes, chunks) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def upload() -> None:
        outcome["status"], outcome["elapsed_s"] = _send_and_read(live, head, chunks, timeout_s=ANSWER_TIMEOUT_S)

    thread = threading.Thread(target=upload, daemon=True)
    thread.start()
    return thread, outcome


def test_health_answers_while_a_declared_60_mb_login_body_is_refused(live_server):
    head = (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(HUGE_BODY_BYTES).encode() + b"\r\n\r\n")
    upload, outcome = _upload_in_thread(live_server, head, _json_array_chunks(HUGE_BODY_BYTES))
    latencies = _probe_health_while(live_server, upload)
    upload.join(ANSWER_TIMEOUT_S)
    assert outcome["status"] == 413
    assert outcome["elapsed_s"] < ANSWER_TIMEOUT_S
    assert max(latencies) < HEALTH_MAX_LATENCY_S, f"health stalled {max(latencies):.2f} s"


def test_health_answers_while_a_streamed_60_mb_login_body_is_refused(live_server):
    head = (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    upload, outcome = _upload_in_thread(live_server, head, _chunked(_json_array_chunks(HUGE_BODY_BYTES)))
    latencies = _probe_health_while(live_server, upload)
    upload.join(ANSWER_TIMEOUT_S)
    assert outcome["status"] == 413
    assert max(latencies) < HEALTH_MAX_LATENCY_S, f"health stalled {max(latencies):.2f} s"


def _ecg_frame_bytes(device_id: int, seq: int, *, n: int = 50, fs_millihz: int = 250_000) -> bytes:
    samples = 2048 + (np.arange(n) + seq * n) % 17
    return frame_encode(Frame(device_id=device_id, seq=seq, t_us=seq * n * 1_000_000_000 // fs_millihz,
                              fs_millihz=fs_millihz, sensor=SensorKind.ECG, samples=samples, scale_nv=8000))


def test_ingest_keeps_storing_while_a_60_mb_body_is_refused(live_server):
    with httpx.Client(base_url=live_server.base_url, timeout=ANSWER_TIMEOUT_S) as http:
        device = http.post("/api/v1/devices", json={"name": "bed-1"}, headers={"X-API-Key": API_KEY}).json()
        auth = {"Authorization": f"Bearer {device['token']}", "Content-Type": "application/octet-stream"}
        head = (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        upload, outcome = _upload_in_thread(live_server, head, _chunked(_json_array_chunks(HUGE_BODY_BYTES)))
        latencies, seq = [], 0
        while upload.is_alive() or seq < 5:
            t0 = time.monotonic()
            response = http.post("/api/v1/ingest/frames", content=_ecg_frame_bytes(device["id"], seq), headers=auth)
            latencies.append(time.monotonic() - t0)
            assert response.json()["stored"] == [seq]
            seq += 1
        upload.join(ANSWER_TIMEOUT_S)
    assert outcome["status"] == 413
    assert max(latencies) < HEALTH_MAX_LATENCY_S, f"ingest stalled {max(latencies):.2f} s"


def test_device_registration_without_key_is_answered_before_a_100_mb_body_arrives(live_server):
    # Only the headers are sent: a server that reads the body first never answers.
    head = (b"POST /api/v1/devices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(100 * 1024 * 1024).encode() + b"\r\n\r\n")
    status, _ = _send_and_read(live_server, head, [], timeout_s=3.0)
    assert status in (401, 413)


def test_device_registration_without_key_is_refused_before_its_body_is_read(live_server):
    head = (b"POST /api/v1/devices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n")
    status, _ = _send_and_read(live_server, head, [], timeout_s=3.0)
    assert status == 401


def test_ingest_without_a_token_is_refused_before_its_body_is_read(live_server):
    head = (b"POST /api/v1/ingest/frames HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: 1000\r\n\r\n")
    status, _ = _send_and_read(live_server, head, [], timeout_s=3.0)
    assert status == 401


def test_user_creation_without_login_is_refused_before_its_body_is_read(live_server):
    head = (b"POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n")
    status, _ = _send_and_read(live_server, head, [], timeout_s=3.0)
    assert status == 401


def test_device_registration_with_key_still_reads_its_body(client):
    response = client.post("/api/v1/devices", json={"name": "bed-4"}, headers={"X-API-Key": API_KEY})
    assert response.status_code == 201


def test_deeply_nested_json_is_refused_before_parsing(client):
    body = "[" * 200 + "]" * 200
    response = client.post("/login", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_deeply_nested_json_without_content_type_is_refused(client):
    body = '{"a":' * 100 + "1" + "}" * 100
    response = client.post("/api/v1/alerts/1/ack", content=body, headers={"X-API-Key": API_KEY})
    assert response.status_code == 400


def test_binary_frames_full_of_brackets_are_not_taken_for_json(client):
    # A flat signal at sample value 0x5B is a body full of '[' bytes: only JSON is depth-checked.
    response = client.post("/api/v1/ingest/frames", content=b"CW" + b"[\x00" * 100,
                           headers={"content-type": "application/octet-stream"})
    assert response.status_code == 401   # the device token is checked, not the bracket count


def test_validation_errors_do_not_echo_the_input(client):
    secret = "do-not-echo-" + "x" * 80
    response = client.post("/login", json={"name": secret, "password": "hunter2-hunter2"})
    assert response.status_code == 422
    assert secret not in response.text and "hunter2" not in response.text
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", "name"] and detail[0]["msg"]


def test_a_body_over_the_limit_gets_413_from_every_endpoint(client):
    body = b'{"name": "' + b"x" * 100_000 + b'"}'
    for path in ("/login", "/api/v1/devices", "/api/v1/alerts/1/ack", "/logout"):
        response = client.post(path, content=body, headers={"content-type": "application/json",
                                                            "X-API-Key": API_KEY})
        assert response.status_code == 413, path


def _true_depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_true_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_true_depth, value), default=0)
    return 0


_JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
                            lambda inner: st.lists(inner, max_size=4)
                            | st.dictionaries(st.text(alphabet='[]{}"\\ab'), inner, max_size=4),
                            max_leaves=30)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_JSON_VALUES)
def test_json_depth_matches_the_parsed_depth(value):
    from cardiowatch.server.request_limits import json_depth

    assert json_depth(json.dumps(value).encode()) == _true_depth(value)


def test_json_depth_reads_an_unclosed_string_of_escaped_quotes_once(client):
    # A pattern that rescans from every quote would take tens of seconds over this 64 KB body.
    body = b'"' + b'\\"' * 32000
    t0 = time.monotonic()
    response = client.post("/login", content=body, headers={"content-type": "application/json"})
    assert time.monotonic() - t0 < HEALTH_MAX_LATENCY_S
    assert response.status_code == 422


#: Kernel buffer each side of the attacking connection keeps (Linux doubles what is asked for).
SOCKET_BUFFER_BYTES = 32 * 1024
#: Most body bytes a refusal may let through to the server: its 64 KiB limit, one read of the transport
#: (uvloop reads 256 KiB at a time) and both sides' kernel buffers, rounded up. Reading the whole body
#: gets all 60 MB through.
REFUSED_BODY_MAX_BYTES = 1024 * 1024


def _push_body_ignoring_answers(live, head: bytes, body_chunks) -> tuple[int, bytes]:
    """As a hostile client: keep the connection alive and send the whole body, whatever the server
    answers; (body bytes the kernel took, the answer). The client's send buffer is small, so what it got
    through is, within a few buffers, what the server read."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER_BYTES)
    sock.settimeout(ANSWER_TIMEOUT_S)
    sock.connect((live.host, live.port))
    sent = 0
    with sock:
        try:
            sock.sendall(head)
            for chunk in body_chunks:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:  # reset or closed by the server: it stopped taking the body
            pass
        try:
            answer = sock.recv(4096)
        except OSError:
            answer = b""
    return sent, answer


@pytest.fixture
def server_with_small_buffers(tmp_path):
    with serve_on_loopback(security_app(tmp_path), receive_buffer_bytes=SOCKET_BUFFER_BYTES) as live:
        yield live


@pytest.mark.parametrize(("path", "chunked", "token", "expected"), [
    ("/login", False, None, 413), ("/login", True, None, 413),
    ("/api/v1/devices", False, None, 413), ("/api/v1/devices", True, None, 401),
    ("/api/v1/ingest/frames", True, None, 401), ("/api/v1/ingest/frames", True, "not-a-token", 413),
])
def test_a_refused_60_mb_body_is_not_read(server_with_small_buffers, path, chunked, token, expected):
    # Measured through the socket, not the clock: the body the server let in, on a kept-alive connection
    # (a server that keeps it open reads the rest of the body to find the next request).
    length = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: " + str(HUGE_BODY_BYTES).encode()
    auth = b"" if token is None else b"Authorization: Bearer " + token.encode() + b"\r\n"
    head = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + auth + length + b"\r\n\r\n")
    body = _json_array_chunks(HUGE_BODY_BYTES, chunk_bytes=SOCKET_BUFFER_BYTES)
    sent, answer = _push_body_ignoring_answers(server_with_small_buffers, head, _chunked(body) if chunked else body)
    assert sent <= REFUSED_BODY_MAX_BYTES, f"the server took {sent / 1e6:.1f} MB of a refused body"
    assert _status_line(answer) == expected


def _run_gate(app, *, headers, body_messages, limit=1000) -> tuple[list[dict], bool]:
    """Run ``BodyGate`` around ``app`` on one request; (messages sent, whether the inner app ran)."""
    ran = False

    async def inner(scope, receive, send):
        nonlocal ran
        ran = True
        await app(scope, receive, send)

    pending = list(body_messages)
    sent: list[dict] = []

    async def receive():
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": "/x", "method": "POST", "headers": headers}
    asyncio.run(BodyGate(inner, max_body_bytes=limit)(scope, receive, send))
    return sent, ran


async def _answer_at_once(scope, receive, send):
    await send({"type": "http.response.start", "status": 401, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _read_then_answer(scope, receive, send):
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_gate_refuses_a_declared_body_over_the_limit_without_running_the_app():
    sent, ran = _run_gate(_read_then_answer, headers=[(b"content-length", b"1001")], body_messages=[])
    assert not ran
    assert sent[0]["status"] == 413 and (b"connection", b"close") in sent[0]["headers"]


def test_gate_closes_the_connection_when_the_answer_comes_before_the_body_ends():
    sent, _ = _run_gate(_answer_at_once, headers=[(b"content-length", b"10")],
                        body_messages=[{"type": "http.request", "body": b"0123456789", "more_body": False}])
    assert (b"connection", b"close") in sent[0]["headers"]


def test_gate_keeps_the_connection_when_the_body_was_read():
    sent, _ = _run_gate(_read_then_answer, headers=[(b"transfer-encoding", b"chunked")],
                        body_messages=[{"type": "http.request", "body": b"x" * 600, "more_body": True},
                                       {"type": "http.request", "body": b"x" * 400, "more_body": False}])
    assert sent[0]["status"] == 200 and (b"connection", b"close") not in sent[0]["headers"]


def test_gate_cuts_a_streamed_body_at_the_limit():
    sent, _ = _run_gate(_read_then_answer, headers=[(b"transfer-encoding", b"chunked")],
                        body_messages=[{"type": "http.request", "body": b"x" * 600, "more_body": True},
                                       {"type": "http.request", "body": b"x" * 600, "more_body": True}])
    assert sent[0]["status"] == 413 and (b"connection", b"close") in sent[0]["headers"]


def test_gate_tells_an_app_that_answered_first_the_client_left_once_the_body_is_over():
    received = []

    async def answer_then_read(scope, receive, send):
        await send({"type": "http.response.start", "status": 202, "headers": []})
        received.append(await receive())
        received.append(await receive())
        await send({"type": "http.response.body", "body": b""})

    sent, _ = _run_gate(answer_then_read, headers=[(b"transfer-encoding", b"chunked")],
                        body_messages=[{"type": "http.request", "body": b"x" * 600, "more_body": True},
                                       {"type": "http.request", "body": b"x" * 600, "more_body": True}])
    assert (b"connection", b"close") in sent[0]["headers"]
    assert [m["type"] for m in received] == ["http.request", "http.disconnect"]
