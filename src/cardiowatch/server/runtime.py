"""The running server's parts, one per app: ingest in a worker thread (one at a time), live feed,
background tasks. Transports and routes call `Runtime` so each of them stays a thin adapter."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from cardiowatch.server.alerts import AlertTransition
from cardiowatch.server.ingest import IngestAnswer, Ingestor, PayloadKind, SummaryMade
from cardiowatch.server.live import LiveHub
from cardiowatch.server.storage import crud

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Runtime:
    """Serialises every call into the ingest core on one worker thread and publishes what it returns.

    One thread keeps each device's frames in order for its pipeline and the alert engine single-threaded;
    the event loop stays free for the transports.
    """

    def __init__(self, *, ingestor: Ingestor, live: LiveHub,
                 notify: Callable[[list[AlertTransition]], Any] | None = None,
                 summaries: Callable[[SummaryMade], Any] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.ingestor = ingestor
        self.live = live
        self.notify = notify
        self.summaries = summaries
        self.clock = clock
        self.limiter = anyio.CapacityLimiter(1)

    async def run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``func`` on the ingest worker thread, after every call queued before it."""
        return await anyio.to_thread.run_sync(partial(func, *args, **kwargs), limiter=self.limiter)

    async def ingest(self, payload: bytes, *, kind: PayloadKind, token: str | None, transport: str,
                     topic_device_id: int | None = None) -> IngestAnswer:
        """Hand one message to `Ingestor.ingest`, then publish its live messages and alert transitions."""
        answer = await self.run(self.ingestor.ingest, payload, kind=kind, token=token, transport=transport,
                                now=self.clock(), topic_device_id=topic_device_id)
        self.publish(answer.live, answer.transitions)
        if self.summaries is not None:
            for summary in answer.summaries:
                self.summaries(summary)
        return answer

    def publish(self, live: list[dict[str, Any]], transitions: list[AlertTransition]) -> None:
        """Hand results to the live feed and the webhook (on the event loop's thread: neither waits)."""
        self.live.publish(live)
        if transitions and self.notify is not None:
            self.notify(transitions)

    async def tick(self) -> None:
        transitions = await self.run(self.ingestor.tick, now=self.clock())
        self.publish([{"type": "alert", **t.to_dict()} for t in transitions], transitions)

    async def alert_action(self, method: str, **kwargs: Any) -> AlertTransition:
        """Acknowledge or snooze an alert through the engine (``method`` is ``acknowledge``/``snooze``)."""
        service = self.ingestor.alerts

        def act() -> AlertTransition:
            with self.ingestor.session_factory() as session:
                transition = getattr(service, method)(session=session, now=self.clock(), **kwargs)
                session.commit()
            return transition

        transition = await self.run(act)
        self.publish([{"type": "alert", **transition.to_dict()}], [transition])
        return transition

    async def purge(self, *, retention_s: float) -> int:
        def purge() -> int:
            with self.ingestor.session_factory() as session:
                deleted = crud.purge_before(session=session, received_before=self.clock() - retention_s)
                session.commit()
            return deleted

        return await self.run(purge)


async def every(period_s: float, action: Callable[[], Any], *, name: str) -> None:
    """Run ``await action()`` every ``period_s`` until cancelled; a failure is logged, not fatal."""
    while True:
        await asyncio.sleep(period_s)
        try:
            await action()
        except Exception:  # noqa: BLE001 - a background task must outlive one failed round
            logger.exception("background task %s failed", name)
