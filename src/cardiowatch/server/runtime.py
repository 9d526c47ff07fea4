"""The running server's parts, one per app: ingest in a worker thread (one at a time), live feed,
background tasks. Transports and routes call `Runtime` so each of them stays a thin adapter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy.orm import Session

from cardiowatch.server.alerts import AlertTransition
from cardiowatch.server.analysis import SummaryMade
from cardiowatch.server.ingest import IngestAnswer, IngestItem, Ingestor, IngestRejected, PayloadKind
from cardiowatch.server.live import AlertMessage, LiveHub, LiveMessage
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
                 clock: Callable[[], float] = time.time, max_batch: int = 256) -> None:
        self.ingestor = ingestor
        self.live = live
        self.notify = notify
        self.summaries = summaries
        self.clock = clock
        self.limiter = anyio.CapacityLimiter(1)
        self.max_batch = max_batch
        self.queue_: asyncio.Queue[tuple[IngestItem, asyncio.Future]] | None = None
        self.batcher_: asyncio.Task | None = None

    async def start(self) -> None:
        """Start the batcher (on the app's event loop)."""
        self.queue_ = asyncio.Queue()
        self.batcher_ = asyncio.create_task(self._batches())

    async def stop(self) -> None:
        if self.batcher_ is not None:
            self.batcher_.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.batcher_
            self.batcher_ = None

    async def run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``func`` on the ingest worker thread, after every call queued before it."""
        return await anyio.to_thread.run_sync(partial(func, *args, **kwargs), limiter=self.limiter)

    async def ingest(self, payload: bytes, *, kind: PayloadKind, token: str | None, transport: str,
                     topic_device_id: int | None = None, broker_device_id: int | None = None) -> IngestAnswer:
        """Hand one message to the ingest core and wait for its answer (after the commit that stores it).

        Messages that arrive while a batch is being stored wait and go together in the next one (one
        commit for all), so the commit rate, not the message rate, bounds throughput.
        """
        if self.queue_ is None:
            raise RuntimeError("Runtime.ingest: expected a started runtime, got one not started")
        future = asyncio.get_running_loop().create_future()
        self.queue_.put_nowait((IngestItem(payload, kind=kind, token=token, transport=transport,
                                           topic_device_id=topic_device_id, broker_device_id=broker_device_id),
                                future))
        result = await future
        if isinstance(result, IngestRejected):
            raise result
        return result

    async def _batches(self) -> None:
        queue = self.queue_
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                results = await self.run(self.ingestor.ingest_many, [item for item, _ in batch], now=self.clock())
            except Exception as exc:  # noqa: BLE001 - e.g. the database is down: every waiter gets the error
                logger.exception("ingest batch of %d messages failed", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results):
                if isinstance(result, IngestAnswer):
                    self.publish(result.live, result.transitions)
                    if self.summaries is not None:
                        for summary in result.summaries:
                            self.summaries(summary)
                if not future.done():  # the waiter may have gone (client disconnected)
                    future.set_result(result)

    def publish(self, live: list[LiveMessage], transitions: list[AlertTransition]) -> None:
        """Hand results to the live feed and the webhook (on the event loop's thread: neither waits)."""
        self.live.publish(live)
        if transitions and self.notify is not None:
            self.notify(transitions)

    def alert_level(self, session: Session, device_id: int) -> int:
        """The device's alert level (0 none, else the highest open `Severity`), from the alert engine."""
        return self.ingestor.alerts.level(device_id)

    async def tick(self) -> None:
        try:
            held = await self.run(self.ingestor.analyse_held, now=self.clock())
            self.publish(held.live, held.transitions)
        except Exception:  # noqa: BLE001 - e.g. the database is down: no-data and escalation still tick
            self.ingestor.counters.analysis_errors += 1
            logger.exception("analysis of held samples failed; frames stay stored")
        transitions = await self.run(self.ingestor.tick, now=self.clock())
        self.publish([AlertMessage(t) for t in transitions], transitions)

    async def analyse_all_held(self) -> None:
        """Analyse every sample the pipelines hold (at shutdown: nothing stored stays unanalysed)."""
        held = await self.run(self.ingestor.analyse_held, now=self.clock(), everything=True)
        self.publish(held.live, held.transitions)

    async def alert_action(self, method: str, **kwargs: Any) -> AlertTransition:
        """Acknowledge or snooze an alert through the engine (``method`` is ``acknowledge``/``snooze``)."""
        service = self.ingestor.alerts

        def act() -> AlertTransition:
            with self.ingestor.session_factory() as session:
                transition = getattr(service, method)(session=session, now=self.clock(), **kwargs)
                session.commit()
            return transition

        transition = await self.run(act)
        self.publish([AlertMessage(transition)], [transition])
        return transition

    async def maintain_storage(self, *, retention_s: float | None) -> crud.Purged | None:
        """Make the raw-chunk partitions of the coming days, then (with ``retention_s``) remove what is older."""
        def maintain() -> crud.Purged | None:
            with self.ingestor.session_factory() as session:
                crud.prepare_chunk_partitions(session=session, now=self.clock())
                session.commit()
                if retention_s is None:
                    return None
                purged = crud.purge_before(session=session, received_before=self.clock() - retention_s)
                session.commit()
            return purged

        return await self.run(maintain)


async def every(period_s: float, action: Callable[[], Any], *, name: str) -> None:
    """Run ``await action()`` every ``period_s`` until cancelled; a failure is logged, not fatal."""
    while True:
        await asyncio.sleep(period_s)
        try:
            await action()
        except Exception:  # noqa: BLE001 - a background task must outlive one failed round
            logger.exception("background task %s failed", name)
