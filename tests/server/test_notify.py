"""Webhook notifier: delivery, retries with backoff, timeouts, never blocking, secrets kept out of logs."""

from __future__ import annotations

import asyncio
import http.server
import json
import logging
import threading
import time

import httpx
import pytest

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.server.alerts import AlertEngine, EventKind, EventObserved
from cardiowatch.server.notify import WebhookNotifier, make_notifier, sign_body

URL = "https://hooks.example.org/services/T000/SECRET-TOKEN-123"


def _transition():
    (raised,) = AlertEngine().observe("dev1", EventObserved(EventKind.ASYSTOLE), now=1000.0)
    return raised


class _FakeSleep:
    def __init__(self):
        self.delays = []

    async def __call__(self, seconds):
        self.delays.append(seconds)
        await asyncio.sleep(0)


def _notifier(handler, **kwargs):
    sleep = _FakeSleep()
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return WebhookNotifier(URL, client=client, sleep=sleep, **kwargs), sleep


def _deliver(notifier, items):
    async def main():
        async with notifier:
            for item in items:
                notifier.notify(item)
    asyncio.run(main())


def test_posts_the_transition_as_json_with_event_header():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(204)

    notifier, sleep = _notifier(handler)
    transition = _transition()
    _deliver(notifier, [transition])

    (request,) = seen
    assert request.method == "POST" and str(request.url) == URL
    assert json.loads(request.content) == {**transition.to_dict(), "notice": NOT_A_MEDICAL_DEVICE}
    assert request.headers["X-Cardiowatch-Event"] == "alert.raised"
    assert request.headers["Content-Type"] == "application/json"
    assert (notifier.delivered_, notifier.failed_, sleep.delays) == (1, 0, [])


def test_signature_is_hmac_of_the_exact_body():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200)

    notifier, _ = _notifier(handler, secret="s3cret")
    _deliver(notifier, [_transition()])

    (request,) = seen
    assert request.headers["X-Cardiowatch-Signature"] == sign_body(request.content, "s3cret")
    assert request.headers["X-Cardiowatch-Signature"] != sign_body(request.content, "other")


def test_server_errors_are_retried_with_doubling_backoff_until_success():
    answers = iter([503, 500, 502, 200])
    notifier, sleep = _notifier(lambda request: httpx.Response(next(answers)), backoff_s=1.0)

    _deliver(notifier, [_transition()])

    assert sleep.delays == [1.0, 2.0, 4.0]
    assert (notifier.delivered_, notifier.failed_, notifier.retries_) == (1, 0, 3)


def test_gives_up_after_max_attempts_with_capped_backoff():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(503)

    notifier, sleep = _notifier(handler, max_attempts=5, backoff_s=2.0, max_backoff_s=5.0)
    _deliver(notifier, [_transition()])

    assert len(calls) == 5
    assert sleep.delays == [2.0, 4.0, 5.0, 5.0]
    assert (notifier.delivered_, notifier.failed_) == (0, 1)


def test_client_errors_are_not_retried():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(404)

    notifier, sleep = _notifier(handler)
    _deliver(notifier, [_transition()])

    assert (len(calls), sleep.delays, notifier.failed_) == (1, [], 1)


def test_timeouts_and_refused_connections_are_retried():
    outcomes = iter([httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), None])

    def handler(request):
        exc = next(outcomes)
        if exc is not None:
            raise exc
        return httpx.Response(200)

    notifier, sleep = _notifier(handler, backoff_s=0.5)
    _deliver(notifier, [_transition()])

    assert sleep.delays == [0.5, 1.0]
    assert notifier.delivered_ == 1


def test_retry_after_header_is_honoured_up_to_the_cap():
    answers = iter([httpx.Response(429, headers={"Retry-After": "30"}),
                    httpx.Response(429, headers={"Retry-After": "999"}), httpx.Response(200)])
    notifier, sleep = _notifier(lambda request: next(answers), backoff_s=1.0, max_backoff_s=60.0)

    _deliver(notifier, [_transition()])

    assert sleep.delays == [30.0, 60.0]


def test_notify_returns_at_once_while_the_receiver_hangs_and_drops_beyond_the_queue():
    async def main():
        release = asyncio.Event()

        async def handler(request):
            await release.wait()
            return httpx.Response(200)

        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        notifier = WebhookNotifier(URL, client=client, queue_size=10, sleep=_FakeSleep())
        await notifier.start()
        transition = _transition()
        notifier.notify(transition)
        await asyncio.sleep(0)  # the worker takes the first one and hangs on it
        started = time.perf_counter()
        accepted = [notifier.notify(transition) for _ in range(15)]
        elapsed = time.perf_counter() - started
        release.set()
        await notifier.aclose()
        return accepted, elapsed, notifier

    accepted, elapsed, notifier = asyncio.run(main())

    assert accepted == [True] * 10 + [False] * 5
    assert elapsed < 0.1
    assert (notifier.delivered_, notifier.dropped_) == (11, 5)


def test_url_token_never_appears_in_repr_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    notifier, _ = _notifier(lambda request: httpx.Response(500), max_attempts=2)

    _deliver(notifier, [_transition()])

    assert "SECRET-TOKEN-123" not in repr(notifier)
    assert "hooks.example.org" in repr(notifier)
    assert any("giving up" in r.getMessage() for r in caplog.records)
    assert all("SECRET-TOKEN-123" not in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------------------- real loopback server
class _Receiver(http.server.BaseHTTPRequestHandler):
    bodies: list[bytes] = []
    hang = threading.Event()

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/hang":
            self.hang.wait(5.0)
        type(self).bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.bodies = []
    _Receiver.hang = threading.Event()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _Receiver.hang.set()
    server.shutdown()
    server.server_close()


def test_delivers_over_loopback_http(receiver):
    transition = _transition()
    notifier = WebhookNotifier(f"{receiver}/hook")

    _deliver(notifier, [transition])

    expected = {**transition.to_dict(), "notice": NOT_A_MEDICAL_DEVICE}
    assert [json.loads(b) for b in _Receiver.bodies] == [expected]
    assert notifier.delivered_ == 1


def test_request_timeout_fires_against_a_silent_server(receiver):
    notifier = WebhookNotifier(f"{receiver}/hang", timeout_s=0.2, max_attempts=1)
    started = time.perf_counter()

    _deliver(notifier, [_transition()])

    assert notifier.failed_ == 1
    assert time.perf_counter() - started < 3.0


def test_server_hook_starts_itself_and_queues_each_batch():
    seen = []

    def handler(request):
        seen.append(json.loads(request.content)["event"])
        return httpx.Response(200)

    async def main():
        hook = make_notifier(URL, client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
        engine = AlertEngine()
        raised = engine.observe("dev1", EventObserved(EventKind.ASYSTOLE), now=0.0)
        queued = hook(raised + [engine.acknowledge(raised[0].alert.alert_id, user="ana", now=1.0)])
        await hook.aclose()
        return queued

    assert asyncio.run(main()) == 2
    assert seen == ["alert.raised", "alert.acknowledged"]
