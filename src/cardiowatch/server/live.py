"""Live feed for dashboards: `LiveHub` fans messages out to WebSocket subscribers at ``/ws/live``.

Messages are JSON objects with a ``type``: ``samples`` (waveform, decimated for display), ``beats``,
``hr``, ``rhythm``, ``alert`` (an alert transition), ``status`` (a device status report), and ``hello``
on connect. A subscriber may ask for one device (``/ws/live?device_id=7``) and for some types only
(``/ws/live?types=alert,status``). A slow subscriber loses its
oldest messages, never blocks ingest; the number dropped is counted and sent in the next message.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


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

    def wants(self, message: dict[str, Any]) -> bool:
        if self.types is not None and message.get("type") not in self.types:
            return False
        return self.device_id is None or message.get("device_id") == self.device_id or (
            message.get("type") == "alert" and str(message.get("alert", {}).get("device_id")) == str(self.device_id))

    def offer(self, message: dict[str, Any]) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
            self._pending_drop_report += 1
        if self._pending_drop_report:
            message = {**message, "dropped_before": self._pending_drop_report}
            self._pending_drop_report = 0
        self.queue.put_nowait(message)


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

    def publish(self, messages: Iterable[dict[str, Any]]) -> None:
        for message in messages:
            for sub in self.subscriptions_:
                if sub.wants(message):
                    sub.offer(message)
