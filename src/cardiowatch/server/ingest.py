"""The one ingest path every transport (HTTP, WebSocket, MQTT) calls: `Ingestor.ingest`.

Order, for every batch of messages: size → token (`device_auth`) → cut, decode, validate, dedupe, store
(`storage.frames`) → commit, the acknowledgement point → analysis (`analysis`: pipelines, alerts, live
messages). A message refused as a whole (`Unauthorized`, `PayloadTooLarge`) raises; a frame refused on its
own (any `FrameError`: undecodable, `WrongDevice`, `Replayed`, `SeqTooFar`) is listed in the answer and
the others of the batch are still stored. Every refusal is counted by its error name and stores nothing.

Errors raised here, by cause::

    IngestRejected (CardiowatchError)   the whole message is refused
    ├── Unauthorized                    no token, unknown token, revoked device, topic of another device
    └── PayloadTooLarge                 more bytes or frames than the settings allow

Transports map them at their boundary: HTTP 401/413/400/409, WebSocket close 1008/1009/1007, MQTT drop.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cardiowatch.errors import FrameError
from cardiowatch.protocol import Status, status_decode
from cardiowatch.server.alert_service import AlertService
from cardiowatch.server.alerts import AlertTransition
from cardiowatch.server.analysis import Analysis, AnalysisResult, SummaryMade
from cardiowatch.server.device_auth import (
    DeviceAuthenticator,
    DeviceIdentity,
    IngestRejected,
    Unauthorized,
    device_by_id,
    device_for,
)
from cardiowatch.server.live import LiveMessage
from cardiowatch.server.pipelines import PipelineRegistry
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.frames import (
    DecodedFrame,
    FrameStore,
    Rejection,
    Replayed,
    StoredFrame,
    WrongDevice,
    frames_cut,
    frames_decode,
)

__all__ = ["IngestAnswer", "IngestItem", "IngestRejected", "Ingestor", "PayloadKind", "PayloadTooLarge",
           "Rejection", "SummaryMade", "Unauthorized"]

logger = logging.getLogger(__name__)


class PayloadTooLarge(IngestRejected, ValueError):
    """More bytes or frames in one message than the settings allow."""


class PayloadKind(enum.Enum):
    FRAMES = "frames"
    STATUS = "status"


@dataclass(frozen=True)
class IngestItem:
    """One message as a transport received it."""

    payload: bytes
    kind: PayloadKind
    token: str | None
    transport: str
    topic_device_id: int | None = None
    #: The device the MQTT broker authenticated as the publisher (its login's topic); replaces ``token``.
    broker_device_id: int | None = None


@dataclass
class IngestAnswer:
    """What happened to one message: the device's acknowledgement plus what to publish."""

    device_id: int
    stored: list[int] = field(default_factory=list)
    duplicate: list[int] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    live: list[LiveMessage] = field(default_factory=list)
    transitions: list[AlertTransition] = field(default_factory=list)
    #: Per-device summaries made while handling the message (for the ThingSpeak bridge).
    summaries: list[SummaryMade] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        """The JSON answer a device gets (HTTP body, WebSocket text, MQTT ack)."""
        return {"stored": self.stored, "duplicate": self.duplicate,
                "rejected": [{"index": r.index, "seq": r.seq, "error": r.error, "detail": r.detail}
                             for r in self.rejected]}

    @property
    def http_status(self) -> int:
        if not self.rejected:
            return 200
        return 409 if all(r.error == Replayed.__name__ for r in self.rejected) else 400

    def add(self, result: AnalysisResult) -> None:
        self.live += result.live
        self.transitions += result.transitions
        if result.summary is not None:
            self.summaries.append(result.summary)


@dataclass
class IngestCounters:
    """Counts since start-up (exposed at ``/api/v1/stats``)."""

    messages: Counter = field(default_factory=Counter)  # by transport
    frames_stored: int = 0
    frames_duplicate: int = 0
    statuses_stored: int = 0
    rejected: Counter = field(default_factory=Counter)  # by error name
    analysis_errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"messages": dict(self.messages), "frames_stored": self.frames_stored,
                "frames_duplicate": self.frames_duplicate, "statuses_stored": self.statuses_stored,
                "rejected": dict(self.rejected), "analysis_errors": self.analysis_errors}


@dataclass
class _Admitted:
    """A message past authentication and decoding, waiting to be stored."""

    slot: int
    device: DeviceIdentity
    answer: IngestAnswer
    frames: list[DecodedFrame] = field(default_factory=list)
    status: Status | None = None
    new: list[StoredFrame] = field(default_factory=list)  #: the frames storing it added


class Ingestor:
    """Authenticates, stores, then analyses everything devices send. Not thread-safe: callers serialise
    calls (the app runs them one at a time in a worker thread), which also keeps each device's frames
    in order for its pipeline."""

    def __init__(self, *, session_factory: sessionmaker[Session], registry: PipelineRegistry,
                 alerts: AlertService, max_bytes: int, max_frames: int, summary_period_s: float) -> None:
        self.session_factory = session_factory
        self.alerts = alerts
        self.max_bytes = max_bytes
        self.max_frames = max_frames
        self.auth = DeviceAuthenticator(session_factory=session_factory)
        self.frame_store = FrameStore()
        self.analysis = Analysis(registry=registry, alerts=alerts, summary_period_s=summary_period_s)
        self.counters = IngestCounters()

    def authenticate(self, token: str | None) -> int:
        """The id of the unrevoked device holding ``token``, else `Unauthorized`."""
        return self.auth.authenticate(token).device_id

    # ------------------------------------------------------------------------------------ the entry
    def ingest(self, payload: bytes, *, kind: PayloadKind, token: str | None, transport: str, now: float,
               topic_device_id: int | None = None) -> IngestAnswer:
        """Handle one message from a device; see the module docstring for the order and the errors."""
        result = self.ingest_many([IngestItem(payload, kind=kind, token=token, transport=transport,
                                              topic_device_id=topic_device_id)], now=now)[0]
        if isinstance(result, IngestRejected):
            raise result
        return result

    def ingest_many(self, items: list[IngestItem], *, now: float) -> list[IngestAnswer | IngestRejected]:
        """Handle several messages (of any devices) together: one commit stores every frame among them.

        Returns one answer per item, in order, or the `IngestRejected` that refused it as a whole. This is
        what `ingest` calls; transports reach it through `Runtime`, which batches what arrives together.
        """
        results: list[IngestAnswer | IngestRejected | None] = [None] * len(items)
        with self.session_factory() as session:
            admitted = self._admit_all(session, items, results)
            self._store(session, admitted, now=now)
            session.commit()  # the acknowledgement point: nothing is acked before this
        for message in admitted:
            results[message.slot] = message.answer
            for rejection in message.answer.rejected:
                self.counters.rejected[rejection.error] += 1
        self._analyse(admitted, now=now)
        return results  # type: ignore[return-value] - every slot is filled above

    def analyse_held(self, *, now: float, everything: bool = False) -> AnalysisResult:
        """Analyse and store what the pipelines hold for devices that went quiet (every device with
        ``everything``: at shutdown), so a chunk's last samples are not left waiting for a next frame."""
        errors_before = self.analysis.errors
        with self.session_factory() as session:
            result = self.analysis.held(session=session, now=now, everything=everything)
            self.alerts.persist(session=session, now=now)
            session.commit()
        self.counters.analysis_errors += self.analysis.errors - errors_before
        return result

    def tick(self, *, now: float) -> list[AlertTransition]:
        """Advance the alert engine's timers (no data, escalation, snooze expiry) and store the result."""
        with self.session_factory() as session:
            transitions = self.alerts.tick(session=session, now=now)
            session.commit()
        return transitions

    # ---------------------------------------------------------------------------- authentication
    def _admit_all(self, session: Session, items: list[IngestItem],
                   results: list[IngestAnswer | IngestRejected | None]) -> list[_Admitted]:
        """Authenticate and decode every item; a refused one gets its `IngestRejected` in ``results``."""
        admitted: list[_Admitted] = []
        found = self.auth.identify(session=session, tokens=[item.token for item in items])
        by_broker = self.auth.identify_ids(
            session=session, device_ids=[i.broker_device_id for i in items if i.broker_device_id is not None])
        for slot, item in enumerate(items):
            self.counters.messages[item.transport] += 1
            try:
                admitted.append(self._admit(slot, item, found, by_broker))
            except IngestRejected as exc:
                self.counters.rejected[type(exc).__name__] += 1
                logger.info("%s ingest refused: %s", item.transport, exc)
                results[slot] = exc
        return admitted

    def _admit(self, slot: int, item: IngestItem, found: dict[str, DeviceIdentity],
               by_broker: dict[int, DeviceIdentity]) -> _Admitted:
        if len(item.payload) > self.max_bytes:
            raise PayloadTooLarge(f"{len(item.payload)} bytes, the maximum is {self.max_bytes}")
        if item.broker_device_id is not None:
            device = device_by_id(by_broker, item.broker_device_id)
        else:
            device = device_for(found, item.token)
        if item.topic_device_id is not None and item.topic_device_id != device.device_id:
            raise Unauthorized(f"token of device {device.device_id} used on the topic of device "
                               f"{item.topic_device_id}")
        message = _Admitted(slot, device, IngestAnswer(device_id=device.device_id))
        if item.kind is PayloadKind.STATUS:
            message.status = self._decode_status(item.payload, message)
            return message
        parts, split_error = frames_cut(item.payload)
        if len(parts) > self.max_frames:
            raise PayloadTooLarge(f"{len(parts)} frames in one message, the maximum is {self.max_frames}")
        message.frames, message.answer.rejected = frames_decode(parts, device_id=device.device_id)
        if split_error is not None:
            message.answer.rejected.append(Rejection.of(len(parts), None, split_error))
        return message

    @staticmethod
    def _decode_status(payload: bytes, message: _Admitted) -> Status | None:
        try:
            status = status_decode(payload)
            if status.device_id != message.device.device_id:
                raise WrongDevice(f"status of device {status.device_id} sent with the token of device "
                                  f"{message.device.device_id}")
        except FrameError as exc:
            message.answer.rejected.append(Rejection.of(0, None, exc))
            return None
        return status

    # ------------------------------------------------------------------------------------ storage
    def _store(self, session: Session, admitted: list[_Admitted], *, now: float) -> None:
        """Store the batch (frames and statuses) in ``session``; each message's answer says what happened."""
        with_frames = [m for m in admitted if m.frames]
        results = self.frame_store.store(session=session, now=now,
                                         messages=[(m.device.device_id, m.frames) for m in with_frames])
        for message, result in zip(with_frames, results):
            message.answer.stored, message.answer.duplicate = result.stored, result.duplicate
            message.new = result.new
            message.answer.rejected = sorted(message.answer.rejected + result.rejected, key=lambda r: r.index)
        for message in admitted:
            if message.status is not None:
                crud.add_status(session=session, status=message.status, now=now)
        self.counters.frames_stored += sum(len(r.stored) for r in results)
        self.counters.frames_duplicate += sum(len(r.duplicate) for r in results)
        self.counters.statuses_stored += sum(m.status is not None for m in admitted)

    # ----------------------------------------------------------------------------------- analysis
    def _analyse(self, admitted: list[_Admitted], *, now: float) -> None:
        """Analyse what the batch stored, in a transaction of its own after the acknowledging commit."""
        errors_before = self.analysis.errors
        try:
            with self.session_factory() as session:
                self._analyse_in(session, admitted, now=now)
                session.commit()
        except Exception:  # noqa: BLE001 - the frames are committed: their acks must go out whatever happens here
            self.counters.analysis_errors += 1
            logger.exception("analysis of a batch of %d messages failed; frames stay stored", len(admitted))
            for message in admitted:
                message.answer.live, message.answer.transitions, message.answer.summaries = [], [], []
        self.counters.analysis_errors += self.analysis.errors - errors_before

    def _analyse_in(self, session: Session, admitted: list[_Admitted], *, now: float) -> None:
        """Analyse what the batch stored, in ``session`` (the caller commits); results go on the first
        answer of each device."""
        first: dict[int, _Admitted] = {}
        new: dict[int, list[StoredFrame]] = {}
        for message in admitted:
            # a message none of whose frames is stored (all refused) changes nothing, not even analysis
            if message.answer.stored or message.answer.duplicate:
                first.setdefault(message.device.device_id, message)
                new.setdefault(message.device.device_id, []).extend(message.new)
        for message in admitted:
            if message.status is not None:
                message.answer.add(self.analysis.status(session=session, status=message.status, now=now))
        for device_id, message in first.items():
            frames = sorted(new[device_id], key=lambda s: s.frame.seq)
            message.answer.add(self.analysis.frames(session=session, device=message.device, new=frames, now=now))
        self.alerts.persist(session=session, now=now)
