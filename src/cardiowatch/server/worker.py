"""`cardiowatch worker`: analyses the devices of the partitions RabbitMQ gives it (`server/partitions.py`).

A worker subscribes to every partition queue, each on a channel of its own; RabbitMQ's single active
consumer makes it the one consumer of some of them. For each batch of messages it stores the frames
(the ingest validation and `FrameStore` of the single-process server: dedupe by device and seq), runs each
device's `Pipeline`, stores beats, episodes, alerts and the device's alert-engine snapshot, commits all of
it in one transaction, and only then acknowledges the messages. A worker killed at any point leaves either
nothing of a batch (it comes back, in order, to the next consumer) or all of it (it comes back as
duplicates, which change nothing).

Taking over a device: before analysing new frames of a device, the worker checks that the device's
stored high-water seq is the one it last analysed. When it is not (its first message here, or another
worker had it meanwhile), it restores the device's alert engine from its snapshot, replays the device's
last `WARM_S` seconds of stored frames through a fresh pipeline to warm it, and drops anything the
warmed pipeline emits that the earlier owner stored or told: beats at or before the last stored beat,
rhythm changes and events found at or before it (a change also dated at or before the last stored
episode). What the replay itself finds past that is the earlier owner's frames held unanalysed
(``analysis_chunk_s``): it is kept and stored once, with the device's next analysis. No beat, episode or
alert is stored twice.

Sharing partitions: workers announce themselves every `HEARTBEAT_S` on a fan-out exchange. Each partition
belongs, by rendezvous hashing over the workers heard lately, to one of them; a worker that is delivered a
partition it does not belong to hands it over by closing that partition's channel (RabbitMQ puts its
unacknowledged messages back and activates the next subscriber) and subscribes again a moment later.

Status reports devices publish over MQTT arrive on the status queue, not in a partition (see
`server/partitions.py`): the one worker RabbitMQ makes its active consumer relays each, in order, into
the device's partition, so the device's owner handles it as one an API node published.

MQTT acks: a device that publishes over MQTT waits for each message's answer on its ack topic, as from
the single-process server. After a batch is committed and its messages acknowledged, the worker queues
the answer of each message that came over MQTT (see `server/partitions.py`), duplicates included, and a
task of its own publishes them on ``amq.topic`` under the device's ack key, without publisher confirms
(QoS 0, as the single process) and on a connection of its own: a lost ack only makes the device resend,
which stores nothing twice.

No data: a device is watched by the alert engine of the worker that owns it, as long as that worker holds
it in memory. One worker, chosen by rendezvous hashing like a partition, sweeps the devices table every
`SWEEP_S` for devices silent (by their stored last frame, else their registration) for the no-data
delay with no open ``no_data`` alert (every `REWATCH_S` those with one too), and sends each a ``watch``
message into its partition: its owner loads the device's engine if it does not hold it and raises
``no_data`` there, once; the same engine, or the next owner's restored from its snapshot, resolves it
when data comes. The sweeper only finds devices; a second sweeper for a moment (workers coming and
going) sends a second watch, which changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import aio_pika
import anyio
import anyio.to_thread
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange, AbstractIncomingMessage
from sqlalchemy.orm import Session

from cardiowatch.errors import FrameError
from cardiowatch.protocol import carries_token, frame_decode
from cardiowatch.server.alert_service import AlertService
from cardiowatch.server.alerts import AlertConfig, AlertTransition, Observation, UnknownAlert
from cardiowatch.server.analysis import AnalysisResult
from cardiowatch.server.evidence import EvidenceTracker
from cardiowatch.server.ingest import IngestAnswer, IngestItem, Ingestor, IngestRejected, PayloadKind
from cardiowatch.server.live import AlertMessage, LiveMessage, live_json
from cardiowatch.server.notify import WebhookNotifier, notifier_from_settings
from cardiowatch.server.partitions import (
    DEVICE_EXCHANGE,
    KIND_HEADER,
    LIVE_EXCHANGE,
    ORIGIN_HEADER,
    STATUS_QUEUE,
    STATUS_QUEUE_ARGUMENTS,
    ActionReply,
    PartitionPublisher,
    ack_key,
    declare_topology,
    key_device_id,
    partition_queue,
)
from cardiowatch.server.pipelines import DeviceAnalysis, PipelineRegistry
from cardiowatch.server.storage import crud

logger = logging.getLogger(__name__)

#: Seconds of a device's stored frames replayed to warm a pipeline taken over from another worker: more
#: than the rhythm tracker's longest window (the AF window, 2 minutes), so its state is the one the
#: previous owner had.
WARM_S = 180.0
#: Alert ids are ``device id << ALERT_ID_BITS`` plus a per-device count, so engines on different workers
#: never hand out the same id.
ALERT_ID_BITS = 24
WORKERS_EXCHANGE = "cardiowatch.workers"
HEARTBEAT_S = 0.5
#: A worker not heard from for this long is gone (its connection's death already moved its partitions).
WORKER_TIMEOUT_S = 3.0
#: How long a worker waits before subscribing again to a partition it handed over.
RESUBSCRIBE_AFTER_S = 2.0
#: Seconds (real time) between two sweeps for silent devices; the sweeper is the rendezvous owner of this key.
SWEEP_S = 2.0
SWEEPER_KEY = "no-data-sweeper"
#: Every this many seconds a sweep also watches silent devices whose ``no_data`` alert is open, so one whose
#: worker died is held by a worker again, which escalates its open alerts.
REWATCH_S = 60.0
#: Status reports a worker relaying the status queue holds unacknowledged at once.
STATUS_PREFETCH = 64
#: MQTT acks waiting to be published; past this many new ones are dropped (their devices resend), so a
#: slow broker never holds up storing.
ACK_BACKLOG = 10_000


def snapshot_name(device_id: int) -> str:
    return f"alerts/device/{device_id}"


class DeviceAlerts:
    """The alert engine split by device, each part snapshotted on its own, so a device can move between
    workers. Has the methods of `AlertService` that ingest and analysis call."""

    def __init__(self, config: AlertConfig | None = None) -> None:
        self.config = config
        #: Where alerts get their evidence (the analysis sets it, as on `AlertService`).
        self.evidence: EvidenceTracker | None = None
        self.services_: dict[int, AlertService] = {}

    def service(self, session: Session, device_id: int) -> AlertService:
        """The device's alert service, restored from its snapshot on first use."""
        service = self.services_.get(device_id)
        if service is None:
            service = self.services_[device_id] = AlertService.load(
                session=session, config=self.config, snapshot_name=snapshot_name(device_id),
                first_alert_id=(device_id << ALERT_ID_BITS) + 1)
            service.evidence = self.evidence
        return service

    def forget(self, device_id: int) -> None:
        self.services_.pop(device_id, None)

    def observe(self, *, session: Session, device_id: int, observations: list[Observation],
                now: float) -> list[AlertTransition]:
        return self.service(session, device_id).observe(session=session, device_id=device_id,
                                                        observations=observations, now=now)

    def watch(self, *, session: Session, device_id: int, since: float, now: float) -> list[AlertTransition]:
        return self.service(session, device_id).watch(session=session, device_id=device_id, since=since, now=now)

    def rhythm_changed(self, *, session: Session, device_id: int, rhythm: str | None, t_us: int) -> None:
        self.service(session, device_id).rhythm_changed(session=session, device_id=device_id, rhythm=rhythm,
                                                        t_us=t_us)

    def webhook_body(self, transition: AlertTransition) -> dict[str, Any]:
        service = self.services_.get(int(transition.alert.device_id))
        return transition.to_dict() if service is None else service.webhook_body(transition)

    def keep(self, device_id: int) -> None:
        """Snapshot the device's engine at the next `persist` (see `AlertService.keep`)."""
        service = self.services_.get(device_id)
        if service is not None:
            service.keep(device_id)

    def level(self, device_id: int) -> int:
        service = self.services_.get(device_id)
        return 0 if service is None else service.level(device_id)

    def tick(self, *, session: Session, now: float) -> list[AlertTransition]:
        out: list[AlertTransition] = []
        for service in self.services_.values():
            out += service.tick(session=session, now=now)
        return out

    def persist(self, *, session: Session, now: float) -> None:
        for service in self.services_.values():
            service.persist(session=session, now=now)

    def acknowledge(self, *, session: Session, alert_id: int, user: str, now: float) -> AlertTransition:
        return self._owner(session, alert_id).acknowledge(session=session, alert_id=alert_id, user=user, now=now)

    def snooze(self, *, session: Session, alert_id: int, user: str, until: float, now: float) -> AlertTransition:
        return self._owner(session, alert_id).snooze(session=session, alert_id=alert_id, user=user, until=until,
                                                     now=now)

    def _owner(self, session: Session, alert_id: int) -> AlertService:
        return self.service(session, alert_id >> ALERT_ID_BITS)


@dataclass(frozen=True)
class _Floor:
    """What an earlier owner of a device already stored: nothing at or before these times is stored again."""

    beat_t_us: int
    episode_t_us: int


class TakeoverRegistry(PipelineRegistry):
    """Pipelines whose beats and rhythm changes at or before a device's `_Floor` (set when the device is
    taken over) are dropped: the earlier owner stored them. The replay makes the same pipeline state
    when it starts where the stream did; the floor covers a replay window that starts later.

    The earlier owner may have stored frames it held unanalysed (``analysis_chunk_s``): what the replay
    finds past the floor is theirs, so it is kept (`carry`) and handed out with the device's next analysis."""

    def reset(self) -> None:
        super().reset()
        self.floors_: dict[int, _Floor] = {}
        self.carried_: dict[int, DeviceAnalysis] = {}

    def feed(self, device_id: int, *args: Any, **kwargs: Any) -> DeviceAnalysis | None:
        return self._floored(super().feed(device_id, *args, **kwargs))

    def due(self, now: float, *, everything: bool = False) -> list[int]:
        # carried output waits for no next frame: the frame that caused the takeover may add nothing
        # (behind the stream) and the device may send no other
        return sorted(set(super().due(now, everything=everything)) | set(self.carried_))

    def drain(self, device_id: int) -> DeviceAnalysis | None:
        out = super().drain(device_id)
        if out is None and device_id in self.carried_:
            out = DeviceAnalysis(device_id=device_id)
        return self._floored(out)

    def carry(self, device_id: int, replayed: list[DeviceAnalysis]) -> None:
        """Keep what the replay of a taken-over device found past its floor (set first) for its next output."""
        carried = DeviceAnalysis(device_id=device_id)
        for out in replayed:
            carried.beats += out.beats
            carried.rhythm_changes += out.rhythm_changes
            carried.events += out.events
        carried = self._floored(carried)
        if carried.beats or carried.rhythm_changes or carried.events:
            self.carried_[device_id] = carried

    def _floored(self, out: DeviceAnalysis | None) -> DeviceAnalysis | None:
        if out is None:
            return None
        carried = self.carried_.pop(out.device_id, None)
        if carried is not None:
            out.beats = carried.beats + out.beats
            out.rhythm_changes = carried.rhythm_changes + out.rhythm_changes
            out.events = carried.events + out.events
        floor = self.floors_.get(out.device_id)
        if floor is not None:
            # both come out in time order, so the earlier owner stored exactly those up to its last one
            out.beats = [b for b in out.beats if b.t_us > floor.beat_t_us]
            # a change comes out with the beat that decided it: one decided at a stored beat was stored (the
            # replay's fresh tracker states its first rhythm early in the replay: that one is not a change)
            out.rhythm_changes = [c for c in out.rhythm_changes
                                  if c.detected_t_us > floor.beat_t_us and c.t_us > floor.episode_t_us]
            # an event comes out with the beat that found it: one found at a stored beat was told already
            # (events are not stored; one found without a beat, an asystole, may be told twice, and then
            # finds its alert still open)
            out.events = [e for e in out.events if e.detected_t_us > floor.beat_t_us]
        return out

    def drop(self, device_id: int) -> None:
        super().drop(device_id)
        self.floors_.pop(device_id, None)
        self.carried_.pop(device_id, None)


class PartitionIngestor(Ingestor):
    """The ingest core of a worker: stores and analyses each batch in one transaction (see the module
    docstring) and warms a device's pipeline from storage when it takes the device over."""

    def __init__(self, *, registry: TakeoverRegistry, alerts: DeviceAlerts, warm_s: float = WARM_S,
                 **kwargs: Any) -> None:
        super().__init__(registry=registry, alerts=alerts, **kwargs)  # type: ignore[arg-type] - same methods
        self.registry = registry
        self.device_alerts = alerts
        self.warm_s = warm_s
        #: The stored high-water seq each device had when this worker last analysed it.
        self.handled_: dict[int, int | None] = {}
        self.warmed = 0  #: devices taken over (warmed from storage) since start-up

    def ingest_many(self, items: list[IngestItem], *, now: float) -> list[IngestAnswer | IngestRejected]:
        try:
            return self._ingest_many(items, now=now)
        except Exception:
            # nothing of the batch is stored, but pipelines may have seen its frames: when the broker
            # delivers it again, these devices start over from storage
            for device_id in {item.broker_device_id for item in items}:
                if device_id is not None:
                    self.forget(device_id)
            raise

    def _ingest_many(self, items: list[IngestItem], *, now: float) -> list[IngestAnswer | IngestRejected]:
        results: list[IngestAnswer | IngestRejected | None] = [None] * len(items)
        with self.session_factory() as session:
            admitted = self._admit_all(session, items, results)
            marks = crud.device_marks(session=session, device_ids=sorted({m.device.device_id for m in admitted}))
            self._store(session, admitted, now=now)
            for device_id in sorted({m.device.device_id for m in admitted if m.new}):
                mark = marks.get(device_id)
                before = None if mark is None else mark.last_seq
                if device_id not in self.handled_ or self.handled_[device_id] != before:
                    self._take_over(session, device_id, upto_seq=before, now=now)
            for message in admitted:
                results[message.slot] = message.answer
                for rejection in message.answer.rejected:
                    self.counters.rejected[rejection.error] += 1
            errors_before = self.analysis.errors
            self._analyse_in(session, admitted, now=now)
            self.counters.analysis_errors += self.analysis.errors - errors_before
            session.commit()  # stored frames, analysis and alerts together: then the messages are acked
        for message in admitted:
            if message.new:
                device_id = message.device.device_id
                top = max(stored.frame.seq for stored in message.new)
                previous = self.handled_.get(device_id)
                self.handled_[device_id] = top if previous is None else max(previous, top)
        return results  # type: ignore[return-value] - every slot is filled above

    def analyse_held(self, *, now: float, everything: bool = False) -> AnalysisResult:
        due = self.registry.due(now, everything=everything)
        try:
            return super().analyse_held(now=now, everything=everything)
        except Exception:
            # the pipelines analysed what was not stored: these devices start over from storage
            for device_id in due:
                self.forget(device_id)
            raise

    def forget(self, device_id: int) -> None:
        """Drop everything held about a device (its partition went to another worker)."""
        self.registry.drop(device_id)
        self.device_alerts.forget(device_id)
        self.handled_.pop(device_id, None)

    def _take_over(self, session: Session, device_id: int, *, upto_seq: int | None, now: float) -> None:
        self.forget(device_id)
        self.device_alerts.service(session, device_id)
        self.warmed += 1
        logger.info("device %d taken over (stored up to seq %s)", device_id, upto_seq)
        if upto_seq is None:
            return
        latest = crud.latest_chunks(session=session, device_ids=[device_id]).get(device_id)
        if latest is None:
            return
        replayed = crud.chunks_before(session=session, device_id=device_id, seq=upto_seq,
                                      since_t_us=latest.t_us - int(self.warm_s * 1e6))
        hr_bpm = None
        outputs: list[DeviceAnalysis] = []
        for chunk in replayed:
            try:
                out = self.registry.feed(device_id, frame_decode(chunk.frame), t_us=chunk.t_us, now=now)
            except (FrameError, ValueError):
                logger.exception("device %d seq %d: stored frame not replayable", device_id, chunk.seq)
                self.registry.drop(device_id)
                continue
            if out is not None:
                outputs.append(out)
                if out.hr_bpm is not None:
                    hr_bpm = out.hr_bpm
        episode = crud.last_episode(session=session, device_id=device_id)
        last_beat = crud.last_beat_t_us(session=session, device_id=device_id)
        self.registry.floors_[device_id] = _Floor(beat_t_us=-1 if last_beat is None else last_beat,
                                                  episode_t_us=-1 if episode is None else episode.start_t_us)
        # what the earlier owner stored but held unanalysed (analysis_chunk_s) is analysed by the replay
        self.registry.carry(device_id, outputs)
        self.analysis.seed(device_id, rhythm=None if episode is None or episode.end_t_us is not None
                           else episode.rhythm, hr_bpm=hr_bpm)
        logger.info("device %d: %d stored frames replayed to warm its pipeline", device_id, len(replayed))


@dataclass
class _Delivery:
    partition: int
    channel: AbstractChannel  #: the subscription it came on: one handed over since cannot ack it
    message: AbstractIncomingMessage


@dataclass
class _Partition:
    channel: AbstractChannel | None = None
    delivered: bool = False  #: a message came on the current subscription: this worker is its active consumer
    leaving: bool = False  #: being handed over
    devices: set[int] = field(default_factory=set)
    resubscribe_at: float | None = None


def rendezvous_owner(partition: int | str, workers: list[str]) -> str:
    """The worker a partition (or another job, by name) belongs to: the highest hash of (worker, partition),
    the same on every worker."""
    return max(workers, key=lambda name: hashlib.sha256(f"{name}/{partition}".encode()).digest())


class PartitionWorker:
    """One `cardiowatch worker` process: consumes partitions, runs `PartitionIngestor`, acks, ticks alerts,
    publishes live messages for the API nodes and posts the webhook of its alerts."""

    def __init__(self, *, ingestor: PartitionIngestor, url: str, prefix: str, partitions: int,
                 trusted_users: frozenset[str], clock: Callable[[], float] = time.time,
                 webhook: WebhookNotifier | None = None, max_batch: int = 256,
                 prefetch: int = 256, tick_s: float = 1.0, name: str | None = None) -> None:
        self.ingestor = ingestor
        self.url = url
        self.prefix = prefix
        self.partitions = partitions
        self.trusted_users = trusted_users
        self.clock = clock
        self.webhook = webhook
        self.max_batch = max_batch
        self.prefetch = prefetch
        self.tick_s = tick_s
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.limiter = anyio.CapacityLimiter(1)
        self.queue_: asyncio.Queue[_Delivery] = asyncio.Queue()
        self.partitions_ = [_Partition() for _ in range(partitions)]
        self.peers_: dict[str, float] = {}
        self.connection_: AbstractConnection | None = None
        self.control_: AbstractChannel | None = None
        self.live_: AbstractExchange | None = None
        #: Publishes into the partitions: relayed status reports, the sweeper's watch messages.
        self.publisher_ = PartitionPublisher(url=url, prefix=prefix, partitions=partitions)
        self.relayed = 0  #: status reports relayed into their partition since start-up
        #: (device id, answer JSON) of stored MQTT messages, for `_send_acks`
        self.acks_: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue(maxsize=ACK_BACKLOG)
        self.acks_sent = 0
        self.acks_dropped = 0
        self.ready = asyncio.Event()
        self.handovers = 0

    # --------------------------------------------------------------------------------------- running
    async def run(self) -> None:
        """Consume until cancelled (or the broker connection dies: run the worker under a supervisor)."""
        self.connection_ = await aio_pika.connect(self.url)
        try:
            self.control_ = await self.connection_.channel()
            await declare_topology(self.control_, prefix=self.prefix, partitions=self.partitions)
            self.live_ = await self.control_.get_exchange(LIVE_EXCHANGE, ensure=False)
            workers = await self.control_.declare_exchange(WORKERS_EXCHANGE, type="fanout", durable=False)
            presence = await self.control_.declare_queue(exclusive=True, auto_delete=True)
            await presence.bind(workers)
            await presence.consume(self._on_presence, no_ack=True)
            self.peers_[self.name] = time.monotonic()
            await self.publisher_.start(self.connection_)
            for index in range(self.partitions):
                await self._subscribe(index)
            self.ready.set()
            logger.info("worker %s subscribed to %d partitions", self.name, self.partitions)
            async with asyncio.TaskGroup() as group:
                group.create_task(self._batches())
                group.create_task(self._ticks())
                group.create_task(self._presence(workers))
                group.create_task(self._relay_statuses())
                group.create_task(self._sweeps())
                group.create_task(self._send_acks())
        finally:
            if self.webhook is not None:   # queued transitions get their chance
                await self.webhook.aclose()
            with contextlib.suppress(Exception):
                await self.publisher_.stop()
                await self.connection_.close()

    async def _subscribe(self, index: int) -> None:
        part = self.partitions_[index]
        part.channel = await self.connection_.channel()
        await part.channel.set_qos(prefetch_count=self.prefetch)
        queue = await part.channel.declare_queue(partition_queue(index), durable=True,
                                                 arguments={"x-single-active-consumer": True})
        part.delivered, part.leaving, part.resubscribe_at = False, False, None
        await queue.consume(partial(self._on_message, index, part.channel))

    async def _on_message(self, index: int, channel: AbstractChannel, message: AbstractIncomingMessage) -> None:
        part = self.partitions_[index]
        if part.channel is not channel or part.leaving:
            return  # delivered on a channel being handed over: closing it gives the message back
        if rendezvous_owner(index, self._alive()) != self.name:
            part.leaving = True  # RabbitMQ made this worker active on another's partition: give it over now
            asyncio.get_running_loop().create_task(self._hand_over(index))
            return
        part.delivered = True
        self.queue_.put_nowait(_Delivery(index, channel, message))

    # --------------------------------------------------------------------------------------- batches
    async def _batches(self) -> None:
        while True:
            batch = [await self.queue_.get()]
            while len(batch) < self.max_batch and not self.queue_.empty():
                batch.append(self.queue_.get_nowait())
            async with self.limiter:  # a hand-over waits for the acks: it cannot close a channel under a batch
                batch = [d for d in batch if self.partitions_[d.partition].channel is d.channel]
                if not batch:
                    continue
                try:
                    live, transitions, replies, acks = await anyio.to_thread.run_sync(self._handle, batch)
                except Exception:  # noqa: BLE001 - e.g. the database is down: the broker keeps the messages
                    logger.exception("batch of %d messages failed; handed back to the broker", len(batch))
                    for delivery in batch:
                        with contextlib.suppress(Exception):
                            await delivery.message.nack(requeue=True)
                    await asyncio.sleep(1.0)
                    continue
                for delivery in batch:
                    await delivery.message.ack()
            for ack in acks:
                try:
                    self.acks_.put_nowait(ack)
                except asyncio.QueueFull:
                    self.acks_dropped += 1
            for reply_to, correlation_id, reply in replies:
                await self.control_.default_exchange.publish(
                    aio_pika.Message(reply.body(), correlation_id=correlation_id), routing_key=reply_to)
            await self._publish(live, transitions)

    def _handle(self, batch: list[_Delivery]) -> tuple[list[LiveMessage], list[AlertTransition],
                                                       list[tuple[str, str, ActionReply]], list[tuple[int, bytes]]]:
        """Store and analyse one batch (on the worker thread); what to publish once it is committed: live
        messages, transitions, action replies and MQTT acks."""
        items: list[IngestItem] = []
        over_mqtt: list[bool] = []  #: per item: its answer goes to the device's MQTT ack topic
        actions: list[tuple[AbstractIncomingMessage, int]] = []
        watches: list[tuple[int, float]] = []
        for delivery in batch:
            message = delivery.message
            device_id = key_device_id(self.prefix, message.routing_key or "")
            if device_id is None:
                logger.warning("message with routing key %r dropped: no device id", message.routing_key)
                continue
            self.partitions_[delivery.partition].devices.add(device_id)
            kind = (message.headers or {}).get(KIND_HEADER, "frames")
            if kind in ("action", "watch"):
                if message.user_id not in self.trusted_users:
                    logger.warning("%s message from untrusted user %r dropped", kind, message.user_id)
                elif kind == "action":
                    actions.append((message, device_id))
                elif (since := _watch_since(message.body)) is not None:
                    watches.append((device_id, since))
                else:
                    logger.warning("watch message of device %d dropped: no valid 'since'", device_id)
                continue
            mqtt = self._came_over_mqtt(message)
            if mqtt and carries_token(message.body):  # as the single process does: dropped, counted, no ack
                self.ingestor.counters.rejected["TokenInPayload"] += 1
                logger.warning("device %d put its token in an MQTT payload, where whoever may read the topic "
                               "sees it: dropped; update its firmware and rotate its token", device_id)
                continue
            items.append(IngestItem(message.body, kind=PayloadKind.STATUS if kind == "status" else PayloadKind.FRAMES,
                                    token=None, transport="broker", topic_device_id=device_id,
                                    broker_device_id=device_id))
            over_mqtt.append(mqtt)
        live: list[LiveMessage] = []
        transitions: list[AlertTransition] = []
        acks: list[tuple[int, bytes]] = []
        now = self.clock()
        results = self.ingestor.ingest_many(items, now=now) if items else []
        for item, mqtt, result in zip(items, over_mqtt, results, strict=True):
            if isinstance(result, IngestAnswer):
                live += result.live
                transitions += result.transitions
                if mqtt:  # a message refused as a whole gets no answer, as on the single process
                    acks.append((item.broker_device_id, json.dumps(result.body()).encode()))
        if watches:
            # after the batch's frames: a device whose data came meanwhile is not silent
            try:
                with self.ingestor.session_factory() as session:
                    for device_id, since in watches:
                        raised = self.ingestor.device_alerts.watch(session=session, device_id=device_id,
                                                                   since=since, now=now)
                        live += [AlertMessage(t) for t in raised]
                        transitions += raised
                    session.commit()
            except Exception:
                # the engines raised in memory what was not stored: forget them, so the redelivered watch
                # raises it again from the stored snapshot
                for device_id, _ in watches:
                    self.ingestor.forget(device_id)
                raise
        replies = []
        for message, device_id in actions:
            reply, transition = self._act(message, device_id, now=now)
            if transition is not None:
                live.append(AlertMessage(transition))
                transitions.append(transition)
            if message.reply_to:
                replies.append((message.reply_to, message.correlation_id or "", reply))
        return live, transitions, replies, acks

    def _came_over_mqtt(self, message: AbstractIncomingMessage) -> bool:
        """Whether the device sent ``message`` over MQTT and waits for its answer on its ack topic: no trusted
        user published it (RabbitMQ's MQTT plugin sets no user id; API nodes and workers set theirs, which
        RabbitMQ validates), or a trusted worker relayed it from the status queue."""
        if message.user_id not in self.trusted_users:
            return True
        return (message.headers or {}).get(ORIGIN_HEADER) == "mqtt"

    def _act(self, message: AbstractIncomingMessage, device_id: int, *,
             now: float) -> tuple[ActionReply, AlertTransition | None]:
        alerts = self.ingestor.device_alerts
        try:
            action = json.loads(message.body)
            alert_id = int(action["alert_id"])
            if alert_id >> ALERT_ID_BITS != device_id:
                raise UnknownAlert(f"no alert with id {alert_id} on device {device_id}")
            with self.ingestor.session_factory() as session:
                if action["method"] == "acknowledge":
                    transition = alerts.acknowledge(session=session, alert_id=alert_id, user=str(action["user"]),
                                                    now=now)
                else:
                    transition = alerts.snooze(session=session, alert_id=alert_id, user=str(action["user"]),
                                               until=float(action["until"]), now=now)
                session.commit()
        except UnknownAlert as exc:
            return ActionReply("unknown", str(exc)), None
        except (RuntimeError, ValueError, KeyError, TypeError) as exc:
            return ActionReply("conflict", str(exc)), None
        return ActionReply(None), transition

    async def _send_acks(self) -> None:
        """Publish the queued MQTT acks, in order, without publisher confirms, on a connection of their own: a
        publish the broker refuses closes its channel, and aiormq may then lose the whole connection, which
        must not be the partitions'. A failure loses an ack (the device resends) and touches nothing stored."""
        connection: AbstractConnection | None = None
        exchange: AbstractExchange | None = None
        try:
            while True:
                device_id, body = await self.acks_.get()
                try:
                    if exchange is None or exchange.channel.is_closed:
                        if exchange is not None:
                            logger.warning("MQTT ack channel closed by the broker: may this login write %s?",
                                           ack_key(self.prefix, "<id>"))
                        if connection is not None:
                            with contextlib.suppress(Exception):
                                await connection.close()
                        connection = await aio_pika.connect(self.url)
                        channel = await connection.channel(publisher_confirms=False)
                        exchange = await channel.get_exchange(DEVICE_EXCHANGE, ensure=False)
                    # not mandatory: an ack for a device that is not subscribed now is dropped by the broker
                    await exchange.publish(aio_pika.Message(body, content_type="application/json"),
                                           routing_key=ack_key(self.prefix, device_id), mandatory=False)
                    self.acks_sent += 1
                except Exception:  # noqa: BLE001 - the store is done; the device will resend and get its ack then
                    logger.warning("MQTT ack for device %d not published", device_id, exc_info=True)
                    self.acks_dropped += 1
                    exchange = None
                    await asyncio.sleep(0.5)
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()

    async def _publish(self, live: list[LiveMessage], transitions: list[AlertTransition]) -> None:
        if live:
            body = json.dumps([[m.device_id, live_json(m)] for m in live], allow_nan=False).encode()
            await self.live_.publish(aio_pika.Message(body), routing_key="")
        if transitions and self.webhook is not None:
            # Each device's alerts are raised by the one worker that owns it, so each transition is posted
            # once; a worker killed with transitions still queued loses those posts (the alerts are stored).
            self.webhook([self.ingestor.alerts.webhook_body(t) for t in transitions])

    # --------------------------------------------------------------------------- status relay, no data
    async def _relay_statuses(self) -> None:
        """Relay the status queue into the partitions while RabbitMQ makes this worker its active consumer."""
        while True:
            channel = await self.connection_.channel()
            try:
                await channel.set_qos(prefetch_count=STATUS_PREFETCH)
                queue = await channel.declare_queue(STATUS_QUEUE, durable=True, arguments=STATUS_QUEUE_ARGUMENTS)
                async with queue.iterator() as messages:
                    async for message in messages:  # one at a time: a device's reports stay in order
                        if not await self._relay(message):
                            break
            finally:
                # closing hands the unrelayed report and every later one back to the queue, in their order
                # (a single nack would put it behind the later ones: lead-off on, off would arrive off, on)
                with contextlib.suppress(Exception):
                    await channel.close()
            await asyncio.sleep(1.0)
            await self._reopen_publisher()

    async def _relay(self, message: AbstractIncomingMessage) -> bool:
        """Relay one status report; False when it could not be (it stays unacknowledged)."""
        device_id = key_device_id(self.prefix, message.routing_key or "", topic="status")
        if device_id is None:
            logger.warning("status with routing key %r dropped: no device id", message.routing_key)
            await message.reject()
            return True
        try:
            # the device's owner checks it as it checks one from an API node (known, unrevoked, valid)
            await self.publisher_.publish(device_id, message.body, kind="status", origin="mqtt")
        except Exception:  # noqa: BLE001 - e.g. the broker refused it: it goes back for the next try
            logger.exception("status of device %d not relayed; handed back to the broker", device_id)
            return False
        await message.ack()  # after the confirm: a worker killed in between relays it twice, which is harmless
        self.relayed += 1
        return True

    async def _reopen_publisher(self) -> None:
        """A new publishing channel: a refused publish may have closed the old one (and with it every relay
        and sweep after it)."""
        with contextlib.suppress(Exception):
            await self.publisher_.reopen()

    async def _sweeps(self) -> None:
        """While this worker is the sweeper, send a watch message to each silent device (see the module
        docstring)."""
        no_data_s = (self.ingestor.device_alerts.config or AlertConfig()).no_data_s
        rewatch_at = time.monotonic() + REWATCH_S
        while True:
            await asyncio.sleep(SWEEP_S)
            if rendezvous_owner(SWEEPER_KEY, self._alive()) != self.name:
                continue
            every = time.monotonic() >= rewatch_at
            if every:
                rewatch_at = time.monotonic() + REWATCH_S
            try:
                silent = await anyio.to_thread.run_sync(partial(self._silent, self.clock() - no_data_s,
                                                                with_open_alert=every))
                for device_id, since in silent:
                    await self.publisher_.publish(device_id, json.dumps({"since": since}).encode(), kind="watch")
            except Exception:  # noqa: BLE001 - e.g. the database is down: the next sweep tries again
                logger.exception("no-data sweep failed")
                await self._reopen_publisher()

    def _silent(self, before: float, *, with_open_alert: bool) -> list[tuple[int, float]]:
        with self.ingestor.session_factory() as session:
            return crud.silent_devices(session=session, before=before, with_open_alert=with_open_alert)

    async def _ticks(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            live: list[LiveMessage] = []
            transitions: list[AlertTransition] = []
            async with self.limiter:
                try:
                    held = await anyio.to_thread.run_sync(partial(self.ingestor.analyse_held, now=self.clock()))
                    live, transitions = held.live, held.transitions
                except Exception:  # noqa: BLE001 - its devices start over from storage; the engines still tick
                    logger.exception("analysis of held samples failed")
                # a failed engine tick is not caught: its transitions are in memory only, and the worker going
                # down hands its devices to one that restores them from storage
                ticked = await anyio.to_thread.run_sync(partial(self.ingestor.tick, now=self.clock()))
            await self._publish(live + [AlertMessage(t) for t in ticked], transitions + ticked)

    # ------------------------------------------------------------------------------ sharing partitions
    async def _on_presence(self, message: AbstractIncomingMessage) -> None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            self.peers_[str(json.loads(message.body)["worker"])] = time.monotonic()

    async def _presence(self, workers: AbstractExchange) -> None:
        while True:
            await workers.publish(aio_pika.Message(json.dumps({"worker": self.name}).encode()), routing_key="")
            await asyncio.sleep(HEARTBEAT_S)
            now = time.monotonic()
            alive = self._alive()
            for index, part in enumerate(self.partitions_):
                if part.channel is None:
                    if part.resubscribe_at is not None and now >= part.resubscribe_at:
                        await self._subscribe(index)
                elif part.delivered and not part.leaving and rendezvous_owner(index, alive) != self.name:
                    part.leaving = True
                    await self._hand_over(index)

    def _alive(self) -> list[str]:
        """This worker and those heard from lately, by name."""
        now = time.monotonic()  # presence runs on real time, whatever the alert clock
        self.peers_[self.name] = now
        return sorted(name for name, seen in self.peers_.items() if now - seen <= WORKER_TIMEOUT_S)

    async def _hand_over(self, index: int) -> None:
        """Give a partition to the worker it belongs to: close its channel, between batches."""
        part = self.partitions_[index]
        async with self.limiter:
            channel, part.channel = part.channel, None
            await channel.close()  # RabbitMQ puts back what was delivered and not acked, then activates the next
            for device_id in part.devices:
                self.ingestor.forget(device_id)
            part.devices.clear()
        part.resubscribe_at = time.monotonic() + RESUBSCRIBE_AFTER_S
        self.handovers += 1
        logger.info("worker %s handed partition %d over", self.name, index)


def _watch_since(body: bytes) -> float | None:
    """The ``since`` of a watch message's body, or None when it has none that is a finite time."""
    try:
        since = float(json.loads(body)["since"])
    except (ValueError, KeyError, TypeError):
        return None
    return since if math.isfinite(since) else None


def make_worker(settings: Any, *, url: str, partitions: int, pipeline_factory: Any = None,
                clock: Callable[[], float] = time.time, name: str | None = None,
                trusted_users: frozenset[str] | None = None) -> PartitionWorker:
    """A worker on the settings' database (migrated) and pipelines, consuming from the broker at ``url``."""
    from yarl import URL

    from cardiowatch.server.partitions import routing_prefix
    from cardiowatch.server.pipelines import default_pipeline_factory
    from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate

    engine = make_engine(settings.database_url, schema=settings.database_schema,
                         sqlite_synchronous=settings.sqlite_synchronous)
    migrate(engine)
    factory = default_pipeline_factory() if pipeline_factory is None else pipeline_factory
    ingestor = PartitionIngestor(
        session_factory=make_session_factory(engine), alerts=DeviceAlerts(),
        registry=TakeoverRegistry(factory, live_max_sample_rate_hz=settings.live_max_sample_rate_hz,
                                  analysis_chunk_s=settings.analysis_chunk_s),
        max_bytes=settings.max_ingest_bytes, max_frames=settings.max_batch_frames,
        summary_period_s=settings.summary_period_s)
    trusted = trusted_users if trusted_users is not None else frozenset({URL(url).user or "guest"})
    return PartitionWorker(ingestor=ingestor, url=url, prefix=routing_prefix(settings.mqtt_topic_prefix),
                           partitions=partitions, trusted_users=trusted, clock=clock, name=name,
                           webhook=notifier_from_settings(settings))
