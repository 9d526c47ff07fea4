"""A local fake of the ThingSpeak write API, for tests (loopback only) and for trying firmware by hand.

It answers like the free tier of ThingSpeak, on a clock the test controls:

- ``POST|GET /update`` (also ``/update.json``): ``api_key`` in the query, the form or JSON body, or the
  ``THINGSPEAKAPIKEY`` header; ``field1``…``field8``, ``status``, ``created_at``. Reply: the new entry id
  as text, or ``0`` when the channel was written less than ``min_interval_s`` (15 s) ago. After
  ``abuse_after`` such too-fast requests within one interval it answers HTTP 429 instead.
- ``POST /channels/<id>/bulk_update.json``: JSON ``{"write_api_key": …, "updates": [{"created_at"|"delta_t",
  "field1", …}, …]}``, at most ``max_bulk`` (960) updates, ``created_at`` unique in the channel. Reply:
  HTTP 202 ``{"success": true}``; HTTP 429 when the channel was written less than ``min_interval_s`` ago.
- An MQTT publish (`FakeThingSpeak.mqtt_publish`) shares the same per-channel limit, as on ThingSpeak.
- A wrong or missing key: HTTP 401 (the fake's choice of answer; the bridge treats it as a config error).
- ``outage_status = 503`` (or any status) makes every request fail that way until set back to None.

Every request is recorded in ``received`` (with the key replaced by whether it was right); accepted
entries are in ``entries(channel_id)``.

Use in a test::

    clock = FakeClock(1_700_000_000.0)
    fake = FakeThingSpeak({123: "WRITEKEY"}, clock=clock)
    with serve(fake) as base_url:          # http://127.0.0.1:<free port>
        ...                                # post to base_url; clock.advance(15) between posts

By hand: ``python tests/fakes/thingspeak.py --port 8015 --channel 123:WRITEKEY`` (real clock).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.server
import json
import logging
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

__all__ = ["FakeClock", "FakeThingSpeak", "Received", "serve"]

logger = logging.getLogger(__name__)

FIELDS = tuple(f"field{i}" for i in range(1, 9))
_BULK_PATH = re.compile(r"^/channels/(\d+)/bulk_update\.json$")
_KEY_IN_QUERY = re.compile(r"(api_key)=[^&\s\"]*")


class FakeClock:
    """A clock that moves only when told: ``clock()`` reads it, ``clock.advance(s)`` moves it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self.now += seconds
            return self.now


@dataclass(frozen=True)
class Received:
    """One request as the fake saw it."""

    at: float
    method: str
    path: str
    channel_id: int | None
    key_ok: bool
    status: int
    reply: str
    updates: tuple[dict[str, str], ...]


@dataclass
class _Channel:
    channel_id: int
    write_api_key: str
    entries: list[dict[str, str]] = field(default_factory=list)
    last_write_at: float | None = None
    too_fast_at: list[float] = field(default_factory=list)


class FakeThingSpeak:
    """The fake's logic, free of sockets: `handle` maps one request to ``(status, content_type, body)``."""

    def __init__(self, channels: Mapping[int, str] | None = None, *, clock: Callable[[], float] = time.time,
                 min_interval_s: float = 15.0, max_bulk: int = 960, abuse_after: int = 3) -> None:
        self.clock = clock
        self.min_interval_s = min_interval_s
        self.max_bulk = max_bulk
        self.abuse_after = abuse_after
        self.received: list[Received] = []
        self.outage_status: int | None = None
        self._channels: dict[int, _Channel] = {}
        self._lock = threading.Lock()
        for channel_id, key in (channels or {}).items():
            self.add_channel(channel_id, key)

    def add_channel(self, channel_id: int, write_api_key: str) -> None:
        self._channels[channel_id] = _Channel(channel_id, write_api_key)

    def entries(self, channel_id: int) -> list[dict[str, str]]:
        """The entries the channel accepted, oldest first (``entry_id``, ``created_at``, fields, status)."""
        with self._lock:
            return [dict(e) for e in self._channels[channel_id].entries]

    # ------------------------------------------------------------------------------------ requests
    def handle(self, method: str, target: str, body: bytes = b"",
               headers: Mapping[str, str] | None = None) -> tuple[int, str, bytes]:
        """Answer one HTTP request (``target`` is the path with its query string)."""
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        url = urllib.parse.urlsplit(target)
        with self._lock:
            now = self.clock()
            if self.outage_status is not None:
                self._record(now, method, url.path, None, False, self.outage_status, "outage", ())
                return self.outage_status, "text/plain", b"service unavailable"
            if url.path in ("/update", "/update.json") and method in ("GET", "POST"):
                params = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
                params.update(_body_params(body, headers.get("content-type", "")))
                if "thingspeakapikey" in headers:
                    params.setdefault("api_key", headers["thingspeakapikey"])
                return self._update(now, method, url.path, params)
            match = _BULK_PATH.match(url.path)
            if match and method == "POST":
                return self._bulk(now, url.path, int(match.group(1)), body)
            self._record(now, method, url.path, None, False, 404, "not found", ())
            return 404, "text/plain", b"not found"

    def mqtt_publish(self, channel_id: int, payload: str, *, api_key: str) -> bool:
        """An MQTT publish to ``channels/<id>/publish``: ``field1=…&field2=…``; shares the rate limit.

        Returns whether an entry was stored (MQTT has no reply; a too-fast publish is dropped).
        """
        with self._lock:
            now = self.clock()
            channel = self._channels.get(channel_id)
            key_ok = channel is not None and api_key == channel.write_api_key
            params = {k: v[-1] for k, v in urllib.parse.parse_qs(payload).items()}
            accepted = bool(key_ok and channel is not None and self._writable(channel, now))
            if accepted and channel is not None:
                self._store(channel, now, params)
            self._record(now, "MQTT", f"channels/{channel_id}/publish", channel_id, key_ok, 0,
                         "stored" if accepted else "dropped", (_public(params),))
            return accepted

    # ---------------------------------------------------------------------------------- internals
    def _update(self, now: float, method: str, path: str, params: dict[str, str]) -> tuple[int, str, bytes]:
        channel = self._channel_by_key(params.get("api_key"))
        update = _public(params)
        if channel is None:
            return self._error(now, method, path, None, 401, "incorrect or missing write API key", update)
        if not self._writable(channel, now):
            channel.too_fast_at = [t for t in channel.too_fast_at if now - t < self.min_interval_s] + [now]
            if len(channel.too_fast_at) > self.abuse_after:
                return self._error(now, method, path, channel.channel_id, 429, "too many requests", update)
            self._record(now, method, path, channel.channel_id, True, 200, "0", (update,))
            return 200, "text/plain", b"0"
        entry_id = self._store(channel, now, params)
        self._record(now, method, path, channel.channel_id, True, 200, str(entry_id), (update,))
        return 200, "text/plain", str(entry_id).encode()

    def _bulk(self, now: float, path: str, channel_id: int, body: bytes) -> tuple[int, str, bytes]:
        channel = self._channels.get(channel_id)
        try:
            data = json.loads(body)
            updates = [{k: str(v) for k, v in u.items()} for u in data["updates"]]
            key = data.get("write_api_key")
        except (ValueError, KeyError, TypeError, AttributeError):
            return self._error(now, "POST", path, channel_id, 400, "malformed JSON body", ())
        if channel is None or key != channel.write_api_key:
            return self._error(now, "POST", path, channel_id, 401, "incorrect or missing write API key",
                               tuple(updates))
        if not self._writable(channel, now):
            return self._error(now, "POST", path, channel_id, 429, "too many requests", tuple(updates))
        if not 1 <= len(updates) <= self.max_bulk:
            return self._error(now, "POST", path, channel_id, 400, f"1 to {self.max_bulk} updates per call",
                               tuple(updates))
        if any("created_at" not in u and "delta_t" not in u for u in updates):
            return self._error(now, "POST", path, channel_id, 400, "every update needs created_at or delta_t",
                               tuple(updates))
        stamps = [u["created_at"] for u in updates if "created_at" in u]
        known = {e["created_at"] for e in channel.entries}
        if len(set(stamps)) != len(stamps) or known & set(stamps):
            return self._error(now, "POST", path, channel_id, 400, "created_at must be unique in the channel",
                               tuple(updates))
        for update in updates:
            self._store(channel, now, update)
        self._record(now, "POST", path, channel_id, True, 202, '{"success":true}', tuple(updates))
        return 202, "application/json", b'{"success":true}'

    def _writable(self, channel: _Channel, now: float) -> bool:
        return channel.last_write_at is None or now - channel.last_write_at >= self.min_interval_s

    def _store(self, channel: _Channel, now: float, params: Mapping[str, str]) -> int:
        channel.last_write_at = now
        created = params.get("created_at") or dt.datetime.fromtimestamp(now, dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        entry = {"entry_id": str(len(channel.entries) + 1), "created_at": created,
                 **{k: params[k] for k in (*FIELDS, "status") if k in params}}
        channel.entries.append(entry)
        return len(channel.entries)

    def _channel_by_key(self, key: str | None) -> _Channel | None:
        return next((c for c in self._channels.values() if key is not None and c.write_api_key == key), None)

    def _error(self, now: float, method: str, path: str, channel_id: int | None, status: int, message: str,
               updates: tuple[dict[str, str], ...]) -> tuple[int, str, bytes]:
        key_ok = status not in (401,)
        self._record(now, method, path, channel_id, key_ok, status, message, updates)
        body = json.dumps({"status": str(status), "error": {"message": message}}).encode()
        return status, "application/json", body

    def _record(self, now: float, method: str, path: str, channel_id: int | None, key_ok: bool, status: int,
                reply: str, updates: tuple[dict[str, str], ...]) -> None:
        self.received.append(Received(now, method, path, channel_id, key_ok, status, reply, updates))


def _body_params(body: bytes, content_type: str) -> dict[str, str]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        try:
            data = json.loads(body)
        except ValueError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}


def _public(params: Mapping[str, str]) -> dict[str, str]:
    """The parameters without the key (the fake records what it got, never the secret)."""
    return {k: v for k, v in params.items() if k not in ("api_key", "write_api_key")}


# ------------------------------------------------------------------------------------- HTTP server
@contextlib.contextmanager
def serve(fake: FakeThingSpeak, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``fake`` over HTTP on loopback in a background thread; yield its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, content_type, reply = fake.handle(self.command, self.path, body, dict(self.headers.items()))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = _answer  # noqa: N815 (http.server's naming)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            logger.debug("fake thingspeak: %s", _KEY_IN_QUERY.sub(r"\1=***", format % args))

    server = http.server.ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake ThingSpeak write API on loopback.")
    parser.add_argument("--port", type=int, default=8015)
    parser.add_argument("--channel", action="append", default=[], metavar="ID:WRITEKEY",
                        help="a channel and its write key (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG)
    channels = {int(spec.split(":", 1)[0]): spec.split(":", 1)[1] for spec in args.channel}
    with serve(FakeThingSpeak(channels), port=args.port) as url:
        logger.info("fake ThingSpeak at %s, channels %s", url, sorted(channels))
        threading.Event().wait()


if __name__ == "__main__":
    main()
