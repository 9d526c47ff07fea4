"""Webhook notifier: POST every alert transition as JSON to a URL, without ever blocking ingest.

`WebhookNotifier.notify` only puts the transition on a bounded asyncio queue and returns at once; a
worker task delivers the queue in order, with a timeout per request and retries with exponential
backoff on failures that may pass (timeouts, connection errors, HTTP 408, 429 and 5xx; a
``Retry-After`` header is honoured up to the backoff cap). Other 4xx answers are not retried. A full
queue drops the new transition and counts it (``dropped_``): the alert itself is stored by the server
and shown on the dashboard either way; the webhook is a convenience, never the record.

The body is `AlertTransition.to_dict()` plus ``notice``, the not-a-medical-device line (a webhook often
lands where people read alerts: a chat channel, a phone). The server posts it with ``evidence`` too
(`AlertService.webhook_body`): onset and end (data time, Unix µs), duration, rhythm, heart rate, signal
quality and ``strip_url``, the path of the alert's strip on the server. Headers: ``X-Cardiowatch-Event`` (e.g. ``alert.raised``),
``X-Cardiowatch-Delivery`` (a counter, unique per notifier), and, when a ``secret`` is set,
``X-Cardiowatch-Signature: sha256=<hex HMAC-SHA256 of the body>`` so the receiver can check the sender.
Webhook URLs often carry a token in their path (Slack, Discord), so only scheme and host are logged;
while the notifier runs, a filter on the ``httpx`` logger redacts the URL from httpx's request log too.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import httpx

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.server.alerts import AlertTransition

__all__ = ["WebhookNotifier", "make_notifier", "notifier_from_settings", "sign_body"]

logger = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})

Sleep = Callable[[float], Awaitable[Any]]


def sign_body(body: bytes, secret: str) -> str:
    """The ``X-Cardiowatch-Signature`` value of ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _redact_url(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}{'' if parsed.port is None else f':{parsed.port}'}/…"


class _RedactUrl(logging.Filter):
    """Replace one URL by its redacted form in the arguments of records (httpx logs every request URL)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(str(arg) == self.url for arg in record.args):
            record.args = tuple(_redact_url(self.url) if str(arg) == self.url else arg for arg in record.args)
        return True


class WebhookNotifier:
    """Deliver alert transitions to one webhook URL from a background task.

    Parameters
    ----------
    url : str
        Where to POST; treated as a secret (only scheme and host are logged or shown in ``repr``).
    timeout_s : float
        Timeout of each request (connect, read, write, pool).
    max_attempts : int
        Attempts per transition, the first included.
    backoff_s, max_backoff_s : float
        Delay before the second attempt, doubled before each further one, capped at ``max_backoff_s``.
    queue_size : int
        Transitions waiting at most; more are dropped and counted.
    secret : str, optional
        Key of the ``X-Cardiowatch-Signature`` HMAC.
    client : httpx.AsyncClient, optional
        A client to use (tests pass one with a mock transport); else one is made in `start`.
    sleep : callable, optional
        ``await sleep(seconds)`` between attempts; tests pass a fake so no time passes.

    Examples
    --------
    >>> async def main(transitions):                                  # doctest: +SKIP
    ...     async with WebhookNotifier("https://hooks.example/abc") as notifier:
    ...         for t in transitions:
    ...             notifier.notify(t)                               # never waits
    """

    def __init__(self, url: str, *, timeout_s: float = 5.0, max_attempts: int = 5, backoff_s: float = 1.0,
                 max_backoff_s: float = 60.0, queue_size: int = 1000, secret: str | None = None,
                 client: httpx.AsyncClient | None = None, sleep: Sleep = asyncio.sleep) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        httpx.URL(url)  # refuse a malformed URL here, not in the worker
        self.url = url
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.queue_size = queue_size
        self.secret = secret
        self.client = client
        self.sleep = sleep
        self.reset()

    def __repr__(self) -> str:
        return (f"WebhookNotifier({_redact_url(self.url)!r}, signed={self.secret is not None}, "
                f"delivered={self.delivered_}, failed={self.failed_}, dropped={self.dropped_})")

    def reset(self) -> None:
        """Fresh counters and queue (call only while stopped)."""
        self.queue_: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=self.queue_size)
        self.worker_: asyncio.Task[None] | None = None
        self.client_: httpx.AsyncClient | None = None
        self.redact_ = _RedactUrl(self.url)
        self.delivered_ = 0
        self.failed_ = 0
        self.dropped_ = 0
        self.retries_ = 0
        self.next_delivery_ = 1

    # -------------------------------------------------------------------------------------- life cycle
    async def start(self) -> None:
        """Start the worker task (idempotent)."""
        self._ensure_started()

    def _ensure_started(self) -> None:
        if self.worker_ is not None and not self.worker_.done():
            return
        loop = asyncio.get_running_loop()  # RuntimeError outside the event loop's thread: misuse
        self.client_ = self.client if self.client is not None else httpx.AsyncClient()
        logging.getLogger("httpx").addFilter(self.redact_)
        self.worker_ = loop.create_task(self._work(), name="webhook-notifier")

    async def aclose(self, *, drain_timeout_s: float = 5.0) -> None:
        """Deliver what is queued (for at most ``drain_timeout_s``), then stop the worker."""
        if self.worker_ is None:
            return
        try:
            await asyncio.wait_for(self.queue_.join(), timeout=drain_timeout_s)
        except TimeoutError:
            logger.warning("webhook %s: %d transitions undelivered at shutdown", _redact_url(self.url),
                           self.queue_.qsize())
        self.worker_.cancel()
        try:
            await self.worker_
        except asyncio.CancelledError:
            pass
        self.worker_ = None
        logging.getLogger("httpx").removeFilter(self.redact_)
        if self.client is None and self.client_ is not None:
            await self.client_.aclose()
        self.client_ = None

    async def __aenter__(self) -> WebhookNotifier:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -------------------------------------------------------------------------------------- enqueueing
    def notify(self, transition: AlertTransition | Mapping[str, Any]) -> bool:
        """Queue one transition for delivery; return at once, False when the queue is full.

        Call it from the event loop's thread (the server's ingest path does).
        """
        body = transition.to_dict() if isinstance(transition, AlertTransition) else dict(transition)
        body.setdefault("notice", NOT_A_MEDICAL_DEVICE)
        try:
            self.queue_.put_nowait(body)
        except asyncio.QueueFull:
            self.dropped_ += 1
            logger.warning("webhook %s: queue full (%d), dropped %s", _redact_url(self.url), self.queue_size,
                           body.get("event", "a transition"))
            return False
        return True

    def __call__(self, transitions: Iterable[AlertTransition | Mapping[str, Any]]) -> int:
        """Queue several transitions (the server's hook); start the worker on first use. Returns how many
        were queued. Call it from the event loop's thread."""
        self._ensure_started()
        return sum(self.notify(t) for t in transitions)

    # -------------------------------------------------------------------------------------- delivering
    async def _work(self) -> None:
        while True:
            body = await self.queue_.get()
            try:
                delivered = await self._deliver(body)
            except Exception:  # the worker must outlive any one bad delivery
                logger.exception("webhook %s: delivery crashed", _redact_url(self.url))
                delivered = False
            finally:
                self.queue_.task_done()
            if delivered:
                self.delivered_ += 1
            else:
                self.failed_ += 1

    async def _deliver(self, body: dict[str, Any]) -> bool:
        if self.client_ is None:
            raise RuntimeError("webhook notifier: expected a started notifier, got one not started")
        content = json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Cardiowatch-Event": str(body.get("event", "")),
                   "X-Cardiowatch-Delivery": str(self.next_delivery_)}
        self.next_delivery_ += 1
        if self.secret is not None:
            headers["X-Cardiowatch-Signature"] = sign_body(content, self.secret)
        where = _redact_url(self.url)
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            try:
                response = await self.client_.post(self.url, content=content, headers=headers,
                                                   timeout=self.timeout_s)
            except httpx.TransportError as exc:  # timeouts, refused connections, broken streams
                reason = f"{type(exc).__name__}"
            else:
                if response.is_success:
                    return True
                if response.status_code not in _RETRY_STATUS:
                    logger.warning("webhook %s: HTTP %d, not retried", where, response.status_code)
                    return False
                reason = f"HTTP {response.status_code}"
                retry_after = _retry_after_s(response)
            if attempt == self.max_attempts:
                logger.warning("webhook %s: %s, giving up after %d attempts", where, reason, attempt)
                return False
            delay = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
            if retry_after is not None:
                delay = min(self.max_backoff_s, max(delay, retry_after))
            logger.info("webhook %s: %s, retry %d in %.1f s", where, reason, attempt, delay)
            self.retries_ += 1
            await self.sleep(delay)
        return False  # unreachable: the loop returns on its last attempt


def make_notifier(url: str, **kwargs: Any) -> WebhookNotifier:
    """The server's webhook hook: a `WebhookNotifier` that starts itself on the first call.

    The server calls it with each batch of transitions from the event loop's thread and should
    ``await notifier.aclose()`` at shutdown so queued transitions get their chance.
    """
    return WebhookNotifier(url, **kwargs)


def notifier_from_settings(settings: Any) -> WebhookNotifier | None:
    """The notifier ``CARDIOWATCH_WEBHOOK_URL`` (and ``_SECRET``) configure, else None. One per process that
    raises alerts: the single server, or each cluster worker for the devices it owns."""
    if settings.webhook_url is None:
        return None
    secret = None if settings.webhook_secret is None else settings.webhook_secret.get_secret_value()
    return make_notifier(settings.webhook_url.get_secret_value(), secret=secret)


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None
