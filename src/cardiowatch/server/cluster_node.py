"""An API node of the cluster (``cardiowatch serve --cluster``): the same routes as the single-process
server, but ingest goes into the broker's partitions and analysis happens in the workers
(`server/worker.py`).

HTTP and WebSocket ingest authenticate the device against the database (no token cache: a revoked token is
refused by every node at its next message), cut, decode and validate the frames, publish them into the
device's partition and answer only after RabbitMQ confirmed it holds them (persistent, in a durable queue).
A frame listed as stored is therefore stored by a worker even if this node dies the next moment; a
resend of a frame a worker already has is a duplicate there, and a replay with other bytes is refused
there (logged and counted by the worker, not in this answer). The live feed relays what the workers
publish on the live fan-out exchange; alert actions are sent to the worker that owns the alert's device.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage
from sqlalchemy.orm import Session

from cardiowatch.server.alerts import AlertTransition, Severity, UnknownAlert
from cardiowatch.server.ingest import IngestAnswer, IngestItem, IngestRejected, PayloadKind
from cardiowatch.server.partitions import LIVE_EXCHANGE, PartitionPublisher
from cardiowatch.server.runtime import Runtime
from cardiowatch.server.storage import crud
from cardiowatch.server.worker import ALERT_ID_BITS

logger = logging.getLogger(__name__)

#: How long an API node waits for the owning worker to apply an alert action.
ACTION_TIMEOUT_S = 10.0


class ClusterRuntime(Runtime):
    """`Runtime` of an API node: ingest publishes, analysis and the alert engine live in the workers."""

    def __init__(self, *, publisher: PartitionPublisher, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.publisher = publisher
        self.live_connection_: AbstractConnection | None = None

    async def start(self) -> None:
        await self.publisher.start()
        self.live_connection_ = await aio_pika.connect_robust(self.publisher.url)
        channel = await self.live_connection_.channel()
        exchange = await channel.declare_exchange(LIVE_EXCHANGE, type="fanout", durable=False)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange)
        await queue.consume(self._on_live, no_ack=True)

    async def stop(self) -> None:
        if self.live_connection_ is not None:
            with contextlib.suppress(Exception):
                await self.live_connection_.close()
        await self.publisher.stop()

    def alert_level(self, session: Session, device_id: int) -> int:
        """From the stored alerts: the engine that raises them runs in the device's worker."""
        return max((int(Severity[name.upper()]) for name in crud.open_alert_severities(session=session,
                                                                                    device_id=device_id)),
                   default=0)

    async def ingest(self, payload: bytes, *, kind: PayloadKind, token: str | None, transport: str,
                     topic_device_id: int | None = None, broker_device_id: int | None = None) -> IngestAnswer:
        item = IngestItem(payload, kind=kind, token=token, transport=transport, topic_device_id=topic_device_id,
                          broker_device_id=broker_device_id)
        answer, accepted = await self.run(self._admit, item)
        if accepted is not None:
            await self.publisher.publish(answer.device_id, accepted, kind=kind.value)
        return answer

    def _admit(self, item: IngestItem) -> tuple[IngestAnswer, bytes | None]:
        """Authenticate, cut and decode (on the worker thread); the answer and the bytes to publish."""
        ingestor = self.ingestor
        results: list[IngestAnswer | IngestRejected | None] = [None]
        with ingestor.session_factory() as session:
            admitted = ingestor._admit_all(session, [item], results)
        if not admitted:
            raise results[0]  # type: ignore[misc] - _admit_all filled the slot with the refusal
        message = admitted[0]
        answer = message.answer
        if item.kind is PayloadKind.STATUS:
            return answer, None if message.status is None else item.payload
        answer.stored = [decoded.frame.seq for decoded in message.frames]
        ingestor.counters.frames_stored += len(answer.stored)
        for rejection in answer.rejected:
            ingestor.counters.rejected[rejection.error] += 1
        return answer, b"".join(decoded.raw for decoded in message.frames) or None

    async def tick(self) -> None:
        """Nothing: each worker ticks the alert engines of its devices."""

    async def analyse_all_held(self) -> None:
        """Nothing: the workers analyse (and a device's next owner analyses what a stopped one held)."""

    async def alert_action(self, method: str, **kwargs: Any) -> AlertTransition | None:
        alert_id = int(kwargs["alert_id"])
        action = {"method": method, **kwargs}
        reply = await self.publisher.request(alert_id >> ALERT_ID_BITS, action, timeout_s=ACTION_TIMEOUT_S)
        if reply.error == "unknown":
            raise UnknownAlert(reply.detail)
        if reply.error is not None:
            raise ValueError(reply.detail)
        return None  # the worker published the transition; the route reads the stored alert

    async def _on_live(self, message: AbstractIncomingMessage) -> None:
        try:
            items = [(int(device_id), data) for device_id, data in json.loads(message.body)]
        except (ValueError, TypeError) as exc:
            logger.warning("live message dropped: %s", exc)
            return
        self.live.publish_json(items)
