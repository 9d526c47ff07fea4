"""The cluster's partitioning, on RabbitMQ (docs/deployment.md §3): names, topology, and the publisher.

Every message about a device travels with the routing key ``<prefix>.<device id>.frames``, the key RabbitMQ's
MQTT plugin gives a device's frames topic ``<prefix>/<id>/frames``. Devices (MQTT) and API nodes (HTTP and
WebSocket ingest, alert actions) publish to ``amq.topic``; an exchange-to-exchange binding carries those
keys into an ``x-consistent-hash`` exchange, which sends each key, so each device, always to the same one of
N durable partition queues. Each partition queue is declared with ``x-single-active-consumer``: every
worker subscribes to every partition, RabbitMQ delivers each one to a single worker at a time, in order,
and hands it to another subscriber as soon as that worker's connection dies.

What a message carries beside the frames is said by its ``cw-kind`` header (absent: frames): ``status``
(a status report), ``action`` (acknowledge or snooze an alert, from an API node), ``watch`` (watch the
device for no data, from the workers' no-data sweeper). Only a publisher that RabbitMQ authenticated as a
trusted user (the message's validated ``user_id``) may send an action or a watch.

A device's MQTT status topic ``<prefix>/<id>/status`` cannot be hashed with its frames (the consistent-hash
exchange hashes the whole routing key, and MQTT 3.1.1 carries no headers to hash on instead), so it is
bound to the durable single-active-consumer queue ``cardiowatch.status``: one worker at a time relays
each status, in order, into the device's partition under the frames' key with ``cw-kind: status``, as
an API node publishes a status posted over HTTP, marked ``cw-origin: mqtt``.

A device that publishes over MQTT waits for each message's answer on ``<prefix>/<id>/ack``, routing key
``<prefix>.<id>.ack`` on ``amq.topic`` (`ack_key`), which the worker that stored the message publishes.
A message came from the device over MQTT when no trusted user published it (the MQTT plugin sets no
``user_id``; API nodes and workers set theirs, which RabbitMQ validates), or when a trusted worker relayed
it with ``cw-origin: mqtt``; the API nodes answer their own devices.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange, AbstractQueue
from yarl import URL

logger = logging.getLogger(__name__)

DEVICE_EXCHANGE = "amq.topic"
PARTITION_EXCHANGE = "cardiowatch.partitions"
LIVE_EXCHANGE = "cardiowatch.live"
KIND_HEADER = "cw-kind"
#: ``mqtt`` on a status the status relay republished: the device waits for its answer on its ack topic.
ORIGIN_HEADER = "cw-origin"
#: Devices' MQTT status reports wait here for a worker to relay them into their device's partition.
STATUS_QUEUE = "cardiowatch.status"
STATUS_QUEUE_ARGUMENTS = {"x-single-active-consumer": True}
#: Partition queues made by `declare_topology` unless told otherwise. The count is fixed for the life of
#: the queues: changing it moves devices between partitions (drain the queues first).
DEFAULT_PARTITIONS = 16


def partition_queue(index: int) -> str:
    return f"cardiowatch.partition.{index}"


def routing_prefix(topic_prefix: str) -> str:
    """The AMQP routing-key form of an MQTT topic prefix (RabbitMQ's MQTT plugin maps ``/`` to ``.``)."""
    return topic_prefix.strip("/").replace("/", ".")


def device_key(prefix: str, device_id: int) -> str:
    """The routing key of everything about ``device_id`` (its frames topic, as RabbitMQ's MQTT plugin maps it)."""
    return f"{prefix}.{device_id}.frames"


def ack_key(prefix: str, device_id: int | str) -> str:
    """The routing key of ``device_id``'s MQTT ack topic ``<prefix>/<id>/ack``."""
    return f"{prefix}.{device_id}.ack"


def key_device_id(prefix: str, routing_key: str, *, topic: str = "frames") -> int | None:
    """The device id in a routing key ``<prefix>.<id>.<topic>`` (by default one made by `device_key`), else
    None."""
    head, _, rest = routing_key.partition(f"{prefix}.")
    device, _, tail = rest.partition(".")
    if head or tail != topic or not device.isdigit() or device != str(int(device)):
        return None
    return int(device)


async def declare_topology(channel: AbstractChannel, *, prefix: str, partitions: int) -> None:
    """Declare (idempotently) the partition exchange, its binding from ``amq.topic``, the partition queues,
    the status queue and its binding, and the live fan-out exchange."""
    hashing = await channel.declare_exchange(PARTITION_EXCHANGE, type="x-consistent-hash", durable=True)
    devices = await channel.get_exchange(DEVICE_EXCHANGE, ensure=False)
    await hashing.bind(devices, routing_key=f"{prefix}.*.frames")
    for index in range(partitions):
        queue = await channel.declare_queue(partition_queue(index), durable=True,
                                            arguments={"x-single-active-consumer": True})
        await queue.bind(hashing, routing_key="1")  # the binding's weight: every partition alike
    status = await channel.declare_queue(STATUS_QUEUE, durable=True, arguments=STATUS_QUEUE_ARGUMENTS)
    await status.bind(devices, routing_key=f"{prefix}.*.status")
    await channel.declare_exchange(LIVE_EXCHANGE, type="fanout", durable=False)


@dataclass(frozen=True)
class ActionReply:
    """A worker's answer to an alert action: None or the error's kind (``unknown``/``conflict``) and why."""

    error: str | None
    detail: str = ""

    def body(self) -> bytes:
        return json.dumps({"error": self.error, "detail": self.detail}).encode()

    @classmethod
    def parse(cls, body: bytes) -> ActionReply:
        data = json.loads(body)
        return cls(error=data.get("error"), detail=str(data.get("detail", "")))


class PartitionPublisher:
    """Publishes into the partitions with publisher confirms: `publish` returns once RabbitMQ has the
    message on disk in its partition queue (a persistent message in a durable queue), else raises."""

    def __init__(self, *, url: str, prefix: str, partitions: int) -> None:
        self.url = url
        self.prefix = prefix
        self.partitions = partitions
        self.connection_: AbstractConnection | None = None
        self.owns_connection_ = True
        self.exchange_: AbstractExchange | None = None
        self.user_: str = ""
        self.reply_queue_: AbstractQueue | None = None
        self.channel_: AbstractChannel | None = None
        self._replies: dict[str, asyncio.Future] = {}

    async def start(self, connection: AbstractConnection | None = None) -> None:
        """Connect, or publish on ``connection`` (the caller's: it closes it)."""
        self.owns_connection_ = connection is None
        self.connection_ = await aio_pika.connect_robust(self.url) if connection is None else connection
        self.user_ = URL(self.url).user or "guest"
        await self._open_channel()

    async def _open_channel(self) -> None:
        channel = self.channel_ = await self.connection_.channel(publisher_confirms=True)
        await declare_topology(channel, prefix=self.prefix, partitions=self.partitions)
        self.exchange_ = await channel.get_exchange(DEVICE_EXCHANGE, ensure=False)
        self.reply_queue_ = await channel.declare_queue(exclusive=True, auto_delete=True)
        await self.reply_queue_.consume(self._on_reply, no_ack=True)

    async def reopen(self) -> None:
        """Publish on a new channel of the same connection (the old one closed, if it was not already)."""
        if self.channel_ is not None:
            with contextlib.suppress(Exception):
                await self.channel_.close()
        await self._open_channel()

    async def stop(self) -> None:
        if self.connection_ is not None and self.owns_connection_:
            await self.connection_.close()
        self.connection_ = None

    async def publish(self, device_id: int, payload: bytes, *, kind: str = "frames",
                      origin: str | None = None) -> None:
        """Publish ``payload`` into ``device_id``'s partition and wait for the broker's confirm; ``origin``
        goes in the ``cw-origin`` header."""
        await self._exchange().publish(self._message(payload, kind, origin),
                                       routing_key=device_key(self.prefix, device_id), mandatory=True)

    async def request(self, device_id: int, action: dict[str, Any], *, timeout_s: float) -> ActionReply:
        """Send an alert action to the worker that owns ``device_id`` and wait for its reply."""
        correlation_id = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self._replies[correlation_id] = future
        try:
            message = self._message(json.dumps(action).encode(), "action")
            message.correlation_id, message.reply_to = correlation_id, self.reply_queue_.name
            await self._exchange().publish(message, routing_key=device_key(self.prefix, device_id), mandatory=True)
            return await asyncio.wait_for(future, timeout_s)
        finally:
            self._replies.pop(correlation_id, None)

    def _message(self, payload: bytes, kind: str, origin: str | None = None) -> aio_pika.Message:
        headers = {} if kind == "frames" else {KIND_HEADER: kind}
        if origin is not None:
            headers[ORIGIN_HEADER] = origin
        return aio_pika.Message(payload, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, headers=headers,
                                user_id=self.user_)

    def _exchange(self) -> AbstractExchange:
        if self.exchange_ is None:
            raise RuntimeError("PartitionPublisher: expected a started publisher, got one not started")
        return self.exchange_

    async def _on_reply(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        future = self._replies.get(message.correlation_id or "")
        if future is not None and not future.done():
            future.set_result(ActionReply.parse(message.body))
