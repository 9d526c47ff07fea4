"""MQTT ingest: subscribe to ``<prefix>/+/frames`` and ``<prefix>/+/status`` and hand every message to
`Runtime.ingest` (the same path as HTTP and WebSocket); publish the answer on ``<prefix>/<id>/ack``.

Payloads are the bare frames or status JSON, with no secret inside: the broker authenticated the
publisher as ``device-<id>`` and its ACLs let that login publish only on ``<prefix>/<id>/...``
(`server/broker_auth.py`), so the topic's device id is who sent it. Ingest still refuses an unknown or
revoked device, and a frame whose own device id is another's. A refused message is dropped and counted,
never stored. Before each connection the server makes sure of its own broker login; the connection is
retried with backoff, so the server starts and keeps serving HTTP without a broker.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter
from typing import Any

import aiomqtt

from cardiowatch.protocol import carries_token
from cardiowatch.server.broker_auth import BrokerAccountError, BrokerAccounts, NullBrokerAccounts
from cardiowatch.server.ids import parse_device_id
from cardiowatch.server.ingest import IngestRejected, PayloadKind
from cardiowatch.server.runtime import Runtime

logger = logging.getLogger(__name__)

_KINDS = {"frames": PayloadKind.FRAMES, "status": PayloadKind.STATUS}


class MqttIngest:
    """The server's MQTT subscriber; `run` until cancelled."""

    def __init__(self, *, runtime: Runtime, host: str, port: int, prefix: str, username: str | None = None,
                 password: str | None = None, publish_acks: bool = True, max_in_flight: int = 4096,
                 accounts: BrokerAccounts | None = None) -> None:
        self.runtime = runtime
        self.accounts = accounts if accounts is not None else NullBrokerAccounts()
        self.host = host
        self.port = port
        self.prefix = prefix.rstrip("/")
        self.username = username
        self.password = password
        self.publish_acks = publish_acks
        self.connected = asyncio.Event()
        self.dropped: Counter = Counter()
        self.received = 0
        self._max_in_flight = max_in_flight
        self._slots = asyncio.Semaphore(max_in_flight)
        self._in_flight: set[asyncio.Task] = set()

    def counters(self) -> dict[str, Any]:
        return {"connected": self.connected.is_set(), "received": self.received, "dropped": dict(self.dropped)}

    async def run(self) -> None:
        try:
            await self._run()
        finally:  # cancelled at shutdown: unacknowledged messages are resent by their devices
            for task in list(self._in_flight):
                task.cancel()

    async def _run(self) -> None:
        backoff_s = 0.5
        while True:
            try:
                if self.username is not None and self.password is not None:
                    await asyncio.to_thread(self.accounts.ensure_server_user, self.username, self.password)
                async with aiomqtt.Client(self.host, self.port, username=self.username, password=self.password,
                                          identifier=f"cardiowatch-server-{uuid.uuid4().hex[:12]}",
                                          max_inflight_messages=1000) as client:
                    # acks are published from many tasks at once under load; that is expected, not a warning
                    client.pending_calls_threshold = 10 * self._max_in_flight
                    for kind in _KINDS:
                        await client.subscribe(f"{self.prefix}/+/{kind}", qos=1)
                    self.connected.set()
                    backoff_s = 0.5
                    logger.info("MQTT: subscribed at %s:%d under %s/", self.host, self.port, self.prefix)
                    async for message in client.messages:
                        # one task per message, created in arrival order, so the runtime batches them
                        # and each device's frames stay in order; the semaphore bounds what is in flight
                        await self._slots.acquire()
                        task = asyncio.create_task(self._handle_one(client, message.topic.value,
                                                                    bytes(message.payload)))
                        self._in_flight.add(task)
                        task.add_done_callback(self._in_flight.discard)
            except (aiomqtt.MqttError, BrokerAccountError) as exc:
                self.connected.clear()
                logger.warning("MQTT: %s; retrying in %.1f s", exc, backoff_s)
                await asyncio.sleep(backoff_s)
                backoff_s = min(backoff_s * 2, 30.0)

    async def _handle_one(self, client: aiomqtt.Client, topic: str, payload: bytes) -> None:
        try:
            await self.handle(client, topic, payload)
        except aiomqtt.MqttError as exc:  # the ack could not be published: the device will resend
            logger.info("MQTT: could not acknowledge on %s: %s", topic, exc)
        except Exception:  # noqa: BLE001 - one failed message (e.g. database down) must not stop the rest
            logger.exception("MQTT: message on %s failed; not acknowledged", topic)
        finally:
            self._slots.release()

    async def handle(self, client: aiomqtt.Client, topic: str, payload: bytes) -> None:
        """Ingest one message; drop (and count) what the protocol refuses."""
        self.received += 1
        parts = topic[len(self.prefix) + 1:].split("/") if topic.startswith(self.prefix + "/") else []
        try:
            if len(parts) != 2 or parts[1] not in _KINDS:
                raise ValueError("a topic is <prefix>/<device_id>/frames or /status")
            # ASCII digits only: int("١") is 1, and a second spelling of an id is another device's topic
            device_id, kind = parse_device_id(parts[0]), _KINDS[parts[1]]
        except ValueError:
            self._drop("BadTopic", f"topic {topic!r}")
            return
        if carries_token(payload):
            self._drop("TokenInPayload", f"device {device_id} put its token in the payload, where whoever "
                                         "may read the topic sees it: update its firmware and rotate its token",
                       level=logging.WARNING)
            return
        try:
            answer = await self.runtime.ingest(payload, kind=kind, token=None, transport="mqtt",
                                               broker_device_id=device_id)
        except IngestRejected as exc:
            self.dropped[type(exc).__name__] += 1
            logger.info("MQTT: dropped a message on %s: %s", topic, exc)
            return
        if self.publish_acks:
            await client.publish(f"{self.prefix}/{device_id}/ack", json.dumps(answer.body()), qos=0)

    def _drop(self, reason: str, detail: str, *, level: int = logging.INFO) -> None:
        self.dropped[reason] += 1
        self.runtime.ingestor.counters.rejected[reason] += 1
        logger.log(level, "MQTT: dropped (%s) %s", reason, detail)

