"""Live feed for dashboards: typed live messages, and `LiveHub`, which fans them out to ``/ws/live``.

Inside the server a live message is one of the frozen dataclasses below; `live_json` turns it into the
JSON object subscribers get, in one place (`LiveHub.publish`). Every JSON object has a ``type``:
``samples`` (waveform, decimated for display), ``beats``, ``hr``, ``rhythm``, ``event``, ``alert`` (an alert
transition), ``status`` (a device status report), and ``hello`` on connect. A subscriber may ask for one
device (``/ws/live?device_id=7``) and for some types only (``/ws/live?types=alert,status``). A slow
subscriber loses its oldest messages, never blocks ingest; the number dropped is counted and sent in the
next message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Union

from cardiowatch.protocol import Status
from cardiowatch.server.alerts import AlertTransition

logger = logging.getLogger(__name__)


class LiveType(str, enum.Enum):
    """The ``type`` of a live message."""

    HELLO = "hello"
    SAMPLES = "samples"
    BEATS = "beats"
    HR = "hr"
    RHYTHM = "rhythm"
    EVENT = "event"
    ALERT = "alert"
    STATUS = "status"


@dataclass(frozen=True)
class LiveBeat:
    """One beat on the live feed: server time (Unix µs) and AAMI class ("" for a PPG pulse)."""

    t_us: int
    label: str


@dataclass(frozen=True)
class SamplesMessage:
    """Waveform for display: first sample time, rate after decimation, values (None where not finite)."""

    type: ClassVar[LiveType] = LiveType.SAMPLES
    device_id: int
    t0_us: int
    fs: float
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class BeatsMessage:
    type: ClassVar[LiveType] = LiveType.BEATS
    device_id: int
    beats: tuple[LiveBeat, ...]


@dataclass(frozen=True)
class HeartRateMessage:
    type: ClassVar[LiveType] = LiveType.HR
    device_id: int
    hr_bpm: float


@dataclass(frozen=True)
class RhythmMessage:
    """The rhythm changes to ``rhythm`` (a `cardiowatch.rhythm.tracker.RHYTHMS` code) at ``t_us``."""

    type: ClassVar[LiveType] = LiveType.RHYTHM
    device_id: int
    t_us: int
    rhythm: str


@dataclass(frozen=True)
class EventMessage:
    """A pause, asystole, couplet or ventricular run (a `cardiowatch.rhythm.tracker.EVENTS` kind)."""

    type: ClassVar[LiveType] = LiveType.EVENT
    device_id: int
    t_us: int
    kind: str


@dataclass(frozen=True)
class AlertMessage:
    type: ClassVar[LiveType] = LiveType.ALERT
    transition: AlertTransition

    @property
    def device_id(self) -> int:
        return int(self.transition.alert.device_id)


@dataclass(frozen=True)
class StatusMessage:
    """A device's status report and when it arrived (Unix s)."""

    type: ClassVar[LiveType] = LiveType.STATUS
    status: Status
    received_at: float

    @property
    def device_id(self) -> int:
        return self.status.device_id


LiveMessage = Union[SamplesMessage, BeatsMessage, HeartRateMessage, RhythmMessage, EventMessage, AlertMessage,
                    StatusMessage]


def live_json(message: LiveMessage) -> dict[str, Any]:
    """The JSON object subscribers get for ``message``."""
    if isinstance(message, AlertMessage):
        return {"type": message.type.value, **message.transition.to_dict()}
    if isinstance(message, StatusMessage):
        fields = {k: v for k, v in dataclasses.asdict(message.status).items() if v is not None}
        return {"type": message.type.value, "device_id": message.device_id, "received_at": message.received_at,
                **fields}
    out = {"type": message.type.value, **{f.name: getattr(message, f.name) for f in dataclasses.fields(message)}}
    if isinstance(message, BeatsMessage):
        out["beats"] = [{"t_us": b.t_us, "label": b.label} for b in message.beats]
    elif isinstance(message, SamplesMessage):
        out["values"] = list(message.values)
    return out


class LinkState(str, enum.Enum):
    """State of one live subscriber's connection."""

    CONNECTING = "connecting"
    STREAMING = "streaming"
    CLOSED = "closed"


@dataclass(eq=False)
class Subscription:
    device_id: int | None
    queue: asyncio.Queue
    types: frozenset[str] | None = None
    state: LinkState = LinkState.CONNECTING
    dropped: int = 0
    _pending_drop_report: int = field(default=0, repr=False)

    def wants(self, message: LiveMessage) -> bool:
        return self.wants_kind(message.type.value, message.device_id)

    def wants_kind(self, type_: str, device_id: int) -> bool:
        if self.types is not None and type_ not in self.types:
            return False
        return self.device_id is None or device_id == self.device_id

    def offer(self, data: dict[str, Any]) -> None:
        """Queue one serialised message, dropping the oldest when the queue is full."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
            self._pending_drop_report += 1
        if self._pending_drop_report:
            data = {**data, "dropped_before": self._pending_drop_report}
            self._pending_drop_report = 0
        self.queue.put_nowait(data)


class LiveHub:
    """Publish/subscribe on the event loop; publish never waits."""

    def __init__(self, *, max_queue: int = 2000) -> None:
        self.max_queue = max_queue
        self.subscriptions_: set[Subscription] = set()

    def subscribe(self, device_id: int | None = None, types: frozenset[str] | None = None) -> Subscription:
        sub = Subscription(device_id=device_id, queue=asyncio.Queue(maxsize=self.max_queue), types=types)
        self.subscriptions_.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        sub.state = LinkState.CLOSED
        self.subscriptions_.discard(sub)

    def publish(self, messages: Iterable[LiveMessage]) -> None:
        """Serialise each message once and queue it for every subscriber that wants it."""
        for message in messages:
            wanting = [sub for sub in self.subscriptions_ if sub.wants(message)]
            if not wanting:
                continue
            data = live_json(message)
            for sub in wanting:
                sub.offer(data)

    def publish_json(self, items: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """Queue messages serialised elsewhere (``(device_id, live_json(...))`` each): a cluster's API node
        relays what the partition workers publish."""
        for device_id, data in items:
            for sub in [sub for sub in self.subscriptions_ if sub.wants_kind(data["type"], device_id)]:
                sub.offer(data)
