"""The one ingest path every transport (HTTP, WebSocket, MQTT) calls: `Ingestor.ingest`.

Order, for every message: size → token → decode → validate → store and commit (the acknowledgement
point) → analyse → alerts. A message refused as a whole (`Unauthorized`, `PayloadTooLarge`) raises; a
frame refused on its own (any `FrameError`, `WrongDevice`, `Replayed`) is listed in the answer and
the others of the batch are still stored. Every refusal is counted by its error name and stores nothing.

Errors raised here, by cause::

    IngestRejected (CardiowatchError)   the whole message is refused
    ├── Unauthorized                    no token, unknown token, revoked device, topic of another device
    └── PayloadTooLarge                 more bytes or frames than the settings allow
    WrongDevice (FrameError)            a frame of another device than the token's
    Replayed (FrameError)               (device, seq) already stored with different bytes

Transports map them at their boundary: HTTP 401/413/400/409, WebSocket close 1008/1009/1007, MQTT drop.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cardiowatch._checks import check_fs
from cardiowatch.errors import BadField, CardiowatchError, FrameError, SignalError, TruncatedFrame
from cardiowatch.protocol import HEADER_BYTES, Frame, SensorKind, frame_decode, frame_length, status_decode
from cardiowatch.server.alert_service import AlertService
from cardiowatch.server.alerts import (
    RHYTHM_CODES,
    AlertTransition,
    DataSeen,
    EventKind,
    EventObserved,
    Observation,
    QualityObserved,
    RhythmObserved,
    SignalQuality,
    StatusObserved,
)
from cardiowatch.server.pipelines import DeviceAnalysis, PipelineRegistry
from cardiowatch.server.storage import crud

logger = logging.getLogger(__name__)

_MAX_STORABLE_T_US = 2**63 - 1  # BIGINT is signed


#: Pipeline event kinds (`cardiowatch.rhythm.tracker.EVENTS`) the alert engine hears about. A run of
#: three or more ventricular beats is reported as a VT run, as bedside monitors' "V-run" alarm does;
#: couplets only count towards ectopy.
EVENT_ALERTS: dict[str, EventKind] = {"PAUSE": EventKind.PAUSE, "ASYSTOLE": EventKind.ASYSTOLE,
                                      "VRUN": EventKind.VT_RUN}
#: Pipeline quality flags (`cardiowatch.signal.quality_segment.QualityFlag`) -> alert engine quality.
QUALITY_ALERTS: dict[str, SignalQuality] = {
    "lead_off": SignalQuality.LEAD_OFF, "noisy": SignalQuality.NOISY, "low_perfusion": SignalQuality.NOISY,
    "motion": SignalQuality.NOISY, "clipped": SignalQuality.UNUSABLE, "flat": SignalQuality.UNUSABLE,
    "missing": SignalQuality.UNUSABLE}


class IngestRejected(CardiowatchError):
    """The whole message is refused; nothing of it is stored."""


class Unauthorized(IngestRejected, PermissionError):
    """No token, an unknown or revoked token, or a token used for another device's topic."""


class PayloadTooLarge(IngestRejected, ValueError):
    """More bytes or frames in one message than the settings allow."""


class WrongDevice(FrameError):
    """A frame whose device_id is not the device the token belongs to."""


class Replayed(FrameError):
    """A (device, seq) already stored with different bytes: a counter went backwards or a replay."""


class PayloadKind(enum.Enum):
    FRAMES = "frames"
    STATUS = "status"


def token_hash(token: str) -> str:
    """SHA-256 of a device token (tokens are 192-bit random strings, so a fast hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Rejection:
    index: int
    seq: int | None
    error: str
    detail: str


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


@dataclass(frozen=True)
class SummaryMade:
    """A stored periodic summary, handed to outputs such as the ThingSpeak bridge."""

    device_id: int
    device_name: str
    time_s: float
    hr_bpm: float | None
    rhythm: str | None
    alert_level: int
    battery_pct: float | None


@dataclass
class IngestAnswer:
    """What happened to one message: the device's acknowledgement plus what to publish."""

    device_id: int
    stored: list[int] = field(default_factory=list)
    duplicate: list[int] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    live: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[AlertTransition] = field(default_factory=list)
    #: Per-device summaries made while handling the message (for the ThingSpeak bridge).
    summaries: list[SummaryMade] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        """The JSON answer a device gets (HTTP body, WebSocket text, MQTT ack)."""
        return {"stored": self.stored, "duplicate": self.duplicate,
                "rejected": [r.__dict__ for r in self.rejected]}

    @property
    def http_status(self) -> int:
        if not self.rejected:
            return 200
        return 409 if all(r.error == "Replayed" for r in self.rejected) else 400


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
class _DeviceLive:
    rhythm: str | None = None
    hr_bpm: float | None = None
    hrv: tuple[float, float, float] | None = None  #: SDNN ms, RMSSD ms, pNN50 % (last 5 min)
    quality: str | None = None
    battery_pct: float | None = None
    last_summary_at: float = -math.inf


class Ingestor:
    """Stores, analyses and alerts on everything devices send. Not thread-safe: callers serialise
    calls (the app runs them one at a time in a worker thread), which also keeps each device's frames
    in order for its pipeline."""

    def __init__(self, *, session_factory: sessionmaker[Session], registry: PipelineRegistry,
                 alerts: AlertService, max_bytes: int, max_frames: int, summary_period_s: float) -> None:
        self.session_factory = session_factory
        self.registry = registry
        self.alerts = alerts
        self.max_bytes = max_bytes
        self.max_frames = max_frames
        self.summary_period_s = summary_period_s
        self.counters = IngestCounters()
        self._tokens: dict[str, int] = {}  # token hash -> device id (valid, unrevoked)
        self._broker_devices: set[int] = set()  # ids of unrevoked devices, for broker-authenticated messages
        self._names: dict[int, str] = {}
        self._live: dict[int, _DeviceLive] = {}

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
        batch: list[tuple[IngestAnswer, list[tuple[int, bytes, Frame]]]] = []
        for i, item in enumerate(items):
            self.counters.messages[item.transport] += 1
            try:
                device_id = self._admit(item)
                if item.kind is PayloadKind.STATUS:
                    results[i] = self._ingest_status(item.payload, device_id=device_id, now=now)
                else:
                    answer, frames = self._decode_frames(item.payload, device_id=device_id)
                    results[i] = answer
                    batch.append((answer, frames))
            except IngestRejected as exc:
                self.counters.rejected[type(exc).__name__] += 1
                logger.info("%s ingest refused: %s", item.transport, exc)
                results[i] = exc
        if batch:
            self._store_and_analyse(batch, now=now)
        for result in results:
            if isinstance(result, IngestAnswer):
                for rejection in result.rejected:
                    self.counters.rejected[rejection.error] += 1
        return results  # type: ignore[return-value] - every slot is filled above

    def _admit(self, item: IngestItem) -> int:
        if len(item.payload) > self.max_bytes:
            raise PayloadTooLarge(f"{len(item.payload)} bytes, the maximum is {self.max_bytes}")
        if item.broker_device_id is not None:
            return self.authenticate_device(item.broker_device_id)
        device_id = self.authenticate(item.token)
        if item.topic_device_id is not None and item.topic_device_id != device_id:
            raise Unauthorized(f"token of device {device_id} used on the topic of device {item.topic_device_id}")
        return device_id

    def authenticate(self, token: str | None) -> int:
        """The id of the unrevoked device holding ``token``, else `Unauthorized`."""
        if not token:
            raise Unauthorized("no device token")
        digest = token_hash(token)
        device_id = self._tokens.get(digest)
        if device_id is not None:
            return device_id
        with self.session_factory() as session:
            device = crud.get_device_by_token_hash(session=session, token_hash=digest)
            if device is None or device.revoked_at is not None:
                raise Unauthorized("unknown or revoked device token")
            self._tokens[digest] = device.id
            self._names[device.id] = device.name
            return device.id

    def authenticate_device(self, device_id: int) -> int:
        """``device_id`` when it is an unrevoked device, else `Unauthorized`; for a message whose
        publisher the MQTT broker authenticated as that device (no token travels with it)."""
        if device_id in self._broker_devices:
            return device_id
        with self.session_factory() as session:
            device = crud.get_device(session=session, device_id=device_id)
            if device is None or device.revoked_at is not None:
                raise Unauthorized(f"device {device_id} is unknown or revoked")
            self._broker_devices.add(device.id)
            self._names[device.id] = device.name
            return device.id

    def forget_tokens(self) -> None:
        """Drop the token cache (after a token is rotated or revoked)."""
        self._tokens.clear()
        self._broker_devices.clear()

    # ------------------------------------------------------------------------------------- frames
    def _decode_frames(self, payload: bytes, *, device_id: int) -> tuple[IngestAnswer, list[tuple[int, bytes, Frame]]]:
        answer = IngestAnswer(device_id=device_id)
        parts, split_error = _split(payload)
        if len(parts) > self.max_frames:
            raise PayloadTooLarge(f"{len(parts)} frames in one message, the maximum is {self.max_frames}")
        frames: list[tuple[int, bytes, Frame]] = []
        for index, raw in enumerate(parts):
            try:
                frames.append((index, raw, self._validate(frame_decode(raw), device_id)))
            except FrameError as exc:
                answer.rejected.append(Rejection(index, _seq_of(raw), type(exc).__name__, str(exc)))
        if split_error is not None:
            answer.rejected.append(Rejection(len(parts), None, type(split_error).__name__, str(split_error)))
        return answer, frames

    def _store_and_analyse(self, batch: list[tuple[IngestAnswer, list[tuple[int, bytes, Frame]]]], *,
                           now: float) -> None:
        wanted: dict[int, set[int]] = {}
        for answer, frames in batch:
            wanted.setdefault(answer.device_id, set()).update(frame.seq for _, _, frame in frames)
        new: dict[int, list[tuple[Frame, int]]] = {}
        first_answer: dict[int, IngestAnswer] = {}
        with self.session_factory() as session:
            known = crud.stored_frames(session=session, wanted=wanted)
            rows = []
            for answer, frames in batch:
                device_id = answer.device_id
                if frames:  # a message whose frames were all refused changes nothing, not even analysis state
                    first_answer.setdefault(device_id, answer)
                for index, raw, frame in frames:
                    stored = known.get((device_id, frame.seq))
                    if stored is None:
                        t_us = self.registry.aligned_t_us(device_id, frame, now=now)
                        rows.append(crud.chunk_row(device_id=device_id, frame=frame, raw=raw, t_us=t_us, now=now))
                        known[(device_id, frame.seq)] = raw
                        answer.stored.append(frame.seq)
                        new.setdefault(device_id, []).append((frame, t_us))
                    elif stored == raw:
                        answer.duplicate.append(frame.seq)
                    else:
                        answer.rejected.append(Rejection(index, frame.seq, Replayed.__name__,
                                                         f"device {device_id} seq {frame.seq} is stored with other bytes"))
            crud.insert_chunks(session=session, rows=rows)
            crud.mark_devices_seen(session=session, now=now, seen={
                device_id: (max(f.seq for f, _ in frames), frames[-1][0].sensor.name.lower())
                for device_id, frames in new.items()})
            session.commit()  # the acknowledgement point: nothing is acked before this
        self.counters.frames_stored += len(rows)
        self.counters.frames_duplicate += sum(len(answer.duplicate) for answer, _ in batch)
        try:
            with self.session_factory() as session:
                summaries = [self._analyse(session, first_answer[device_id],
                                           sorted(new.get(device_id, []), key=lambda item: item[0].seq), now=now)
                             for device_id in first_answer]
                self.alerts.persist(session=session, now=now)
                session.commit()
        except Exception:  # noqa: BLE001 - the frames are committed: their acks must go out whatever happens here
            self.counters.analysis_errors += 1
            logger.exception("analysis of a batch of %d devices failed; frames stay stored", len(first_answer))
            return
        for device_id, summary in zip(first_answer, summaries):
            if summary is not None:
                first_answer[device_id].summaries.append(summary)

    @staticmethod
    def _validate(frame: Frame, device_id: int) -> Frame:
        if frame.device_id != device_id:
            raise WrongDevice(f"frame of device {frame.device_id} sent with the token of device {device_id}")
        if frame.t_us > _MAX_STORABLE_T_US:
            raise BadField(f"device {device_id} seq {frame.seq}: t_us {frame.t_us} beyond 2**63-1")
        try:
            check_fs(frame.fs)
        except SignalError as exc:
            raise BadField(f"device {device_id} seq {frame.seq}: {exc}") from exc
        return frame

    # ----------------------------------------------------------------------------------- analysis
    def _analyse(self, session: Session, answer: IngestAnswer, new: list[tuple[Frame, int]], *,
                 now: float) -> SummaryMade | None:
        """Feed a device's new frames to its pipeline and the alert engine; results go on ``answer``."""
        device_id = answer.device_id
        state = self._live.setdefault(device_id, _DeviceLive())
        observations: list[Observation] = [DataSeen()]
        for frame, t_us in new:
            if frame.sensor is SensorKind.ECG:
                observations.append(StatusObserved(lead_off=frame.lead_off))
            try:
                result = self.registry.feed(device_id, frame, t_us=t_us)
            except Exception:  # noqa: BLE001 - analysis must never undo an acknowledged store
                self.counters.analysis_errors += 1
                logger.exception("device %d seq %d: analysis failed; stream reset", device_id, frame.seq)
                self.registry.drop(device_id)
                continue
            if result is not None:
                observations += self._record(session, state, result, answer.live,
                                             ecg=frame.sensor is SensorKind.ECG)
        answer.transitions = self.alerts.observe(session=session, device_id=device_id,
                                                 observations=observations, now=now)
        answer.live += [{"type": "alert", **t.to_dict()} for t in answer.transitions]
        return self._summarise(session, device_id, state, now)

    def _record(self, session: Session, state: _DeviceLive, result: DeviceAnalysis,
                live: list[dict[str, Any]], *, ecg: bool) -> list[Observation]:
        device_id = result.device_id
        observations: list[Observation] = []
        if result.reset:
            crud.end_episode(session=session, device_id=device_id, t_us=result.live_t0_us)
        if result.beats:
            crud.add_beats(session=session, device_id=device_id, beats=result.beats)
            live.append({"type": "beats", "device_id": device_id,
                         "beats": [{"t_us": t, "label": label} for t, label in result.beats]})
        for t_us, rhythm in result.rhythm_changes:
            crud.start_episode(session=session, device_id=device_id, rhythm=rhythm, t_us=t_us)
            state.rhythm = rhythm
            live.append({"type": "rhythm", "device_id": device_id, "t_us": t_us, "rhythm": rhythm})
        for t_us, kind in result.events:
            live.append({"type": "event", "device_id": device_id, "t_us": t_us, "kind": kind})
            if kind in EVENT_ALERTS:
                observations.append(EventObserved(EVENT_ALERTS[kind]))
        for _t_us, flag in result.quality:
            state.quality = flag
            if flag in QUALITY_ALERTS:
                observations.append(QualityObserved(QUALITY_ALERTS[flag]))
        if result.quality_now is not None:
            state.quality = result.quality_now
            observations.append(QualityObserved(QUALITY_ALERTS[result.quality_now]))
        elif not result.quality and result.live_samples:
            # quality reports bad stretches only: a frame without one, and none going on, is good signal
            state.quality = SignalQuality.GOOD.value
            observations.append(QualityObserved(SignalQuality.GOOD))
        if result.hrv is not None:
            state.hrv = result.hrv
        if result.hr_bpm is not None and result.hr_bpm != state.hr_bpm:
            state.hr_bpm = result.hr_bpm
            live.append({"type": "hr", "device_id": device_id, "hr_bpm": result.hr_bpm})
        if result.rhythm_changes or result.hr_bpm is not None:
            rhythm = state.rhythm if state.rhythm in RHYTHM_CODES else "Q"
            observations.append(RhythmObserved(rhythm=rhythm, hr_bpm=state.hr_bpm))
        if result.live_samples:
            live.append({"type": "samples", "device_id": device_id, "t0_us": result.live_t0_us,
                         "fs": result.live_fs, "values": result.live_samples})
        return observations

    def _summarise(self, session: Session, device_id: int, state: _DeviceLive, now: float) -> SummaryMade | None:
        if now - state.last_summary_at < self.summary_period_s:
            return None
        state.last_summary_at = now
        level = self.alerts.level(device_id)
        crud.add_summary(session=session, device_id=device_id, t_us=int(now * 1e6), hr_bpm=state.hr_bpm,
                         rhythm=state.rhythm, quality=state.quality, alert_level=level,
                         battery_pct=state.battery_pct, hrv=state.hrv)
        return SummaryMade(device_id=device_id, device_name=self._names.get(device_id, str(device_id)),
                           time_s=now, hr_bpm=state.hr_bpm, rhythm=state.rhythm, alert_level=level,
                           battery_pct=state.battery_pct)

    # ------------------------------------------------------------------------------------- status
    def _ingest_status(self, payload: bytes, *, device_id: int, now: float) -> IngestAnswer:
        answer = IngestAnswer(device_id=device_id)
        try:
            status = status_decode(payload)
            if status.device_id != device_id:
                raise WrongDevice(f"status of device {status.device_id} sent with the token of device {device_id}")
        except FrameError as exc:
            answer.rejected.append(Rejection(0, None, type(exc).__name__, str(exc)))
            return answer
        state = self._live.setdefault(device_id, _DeviceLive())
        if status.battery_pct is not None:
            state.battery_pct = float(status.battery_pct)
        with self.session_factory() as session:
            crud.add_status(session=session, status=status, now=now)
            answer.transitions = self.alerts.observe(
                session=session, device_id=device_id, now=now,
                observations=[StatusObserved(battery_pct=status.battery_pct, lead_off=status.lead_off)])
            self.alerts.persist(session=session, now=now)
            session.commit()
        self.counters.statuses_stored += 1
        answer.live.append({"type": "status", "device_id": device_id, "received_at": now,
                            **{k: v for k, v in status.__dict__.items() if v is not None}})
        answer.live += [{"type": "alert", **t.to_dict()} for t in answer.transitions]
        return answer

    # ---------------------------------------------------------------------------------- periodic
    def tick(self, *, now: float) -> list[AlertTransition]:
        """Advance the alert engine's timers (no data, escalation, snooze expiry) and store the result."""
        with self.session_factory() as session:
            transitions = self.alerts.tick(session=session, now=now)
            session.commit()
        return transitions


def _split(payload: bytes) -> tuple[list[bytes], FrameError | None]:
    """Frames of a batch, plus the error that stopped the split early (the rest cannot be delimited)."""
    if not payload:
        return [], TruncatedFrame("empty message: no frame")
    parts: list[bytes] = []
    offset = 0
    while offset < len(payload):
        try:
            length = frame_length(payload[offset: offset + HEADER_BYTES])
        except FrameError as exc:
            return parts, type(exc)(f"frame {len(parts)} at byte {offset}: {exc}")
        if offset + length > len(payload):
            return parts, TruncatedFrame(f"frame {len(parts)} at byte {offset} declares {length} bytes, "
                                         f"{len(payload) - offset} left")
        parts.append(payload[offset: offset + length])
        offset += length
    return parts, None


def _seq_of(raw: bytes) -> int | None:
    """The seq field of a frame that failed to decode, when its header is long enough to hold one."""
    return int.from_bytes(raw[12:16], "little") if len(raw) >= 16 else None
