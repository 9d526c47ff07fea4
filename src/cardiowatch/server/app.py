"""The FastAPI application: `create_app(settings=None)` builds everything; nothing happens at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from cardiowatch import NOT_A_MEDICAL_DEVICE, __version__
from cardiowatch.server.alert_service import AlertService
from cardiowatch.server.broker_auth import BrokerAccountError, make_broker_accounts
from cardiowatch.server.config import Settings
from cardiowatch.server.file_modes import private_sqlite_file
from cardiowatch.server.ingest import Ingestor, SummaryMade
from cardiowatch.server.live import LiveHub
from cardiowatch.server.log_redaction import install_redaction
from cardiowatch.server.notify import WebhookNotifier, notifier_from_settings
from cardiowatch.server.request_limits import BodyGate, JsonDepthLimit, validation_error_answer
from cardiowatch.server.pipelines import PipelineFactory, PipelineRegistry, default_pipeline_factory
from cardiowatch.server.routes import alerts, data, devices, ingest, live, system
from cardiowatch.server.runtime import Runtime, every
from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate
from cardiowatch.server.thingspeak import RHYTHM_FIELD_CODES, DeviceSummary, ThingSpeakBridge, ThingSpeakConfig

logger = logging.getLogger(__name__)

_DEFAULT = object()

#: Installs more on the app (the dashboard's pages, login and API guard) from a layer above the server.
AppExtension = Callable[[FastAPI, Settings], None]


def create_app(settings: Settings | None = None, *, pipeline_factory: PipelineFactory | None | object = _DEFAULT,
               clock: Callable[[], float] = time.time, extensions: Sequence[AppExtension] = ()) -> FastAPI:
    """Build the server (the whole web application with its dashboard: `cardiowatch.app.create_app`).

    ``settings`` default to ``Settings()`` (environment); ``pipeline_factory`` defaults to the project's
    `cardiowatch.pipeline` (tests may pass their own, or None for none). ``clock`` (Unix seconds) times
    ingest and alerts: accelerated replays pass one that runs as fast as the replay, so alert hysteresis
    keeps its meaning in the record's own time. ``extensions`` are installed after the API routes and
    inside the request limits."""
    settings = settings if settings is not None else Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        private_sqlite_file(settings.database_url)   # it holds the cookie key and token hashes
        engine = make_engine(settings.database_url, schema=settings.database_schema,
                             sqlite_synchronous=settings.sqlite_synchronous)
        migrate(engine)
        session_factory = make_session_factory(engine)
        factory = default_pipeline_factory() if pipeline_factory is _DEFAULT else pipeline_factory
        with session_factory() as session:
            alert_service = AlertService.load(session=session)
        ingestor = Ingestor(session_factory=session_factory,
                            registry=PipelineRegistry(factory, live_max_sample_rate_hz=settings.live_max_sample_rate_hz,
                                                      analysis_chunk_s=settings.analysis_chunk_s),
                            alerts=alert_service, max_bytes=settings.max_ingest_bytes,
                            max_frames=settings.max_batch_frames, summary_period_s=settings.summary_period_s)
        notifier, bridge = notifier_from_settings(settings), _make_bridge(settings)
        runtime = _make_runtime(settings, ingestor=ingestor, live=LiveHub(), clock=clock,
                                notify=_with_evidence(notifier, alert_service),
                                summaries=None if bridge is None else _bridge_submit(bridge))
        app.state.engine, app.state.session_factory, app.state.runtime = engine, session_factory, runtime
        app.state.ingestor = ingestor
        app.state.mqtt = None
        await runtime.start()
        retention_s = settings.retention_days * 86400.0 if settings.retention_days > 0 else None
        await runtime.maintain_storage(retention_s=None)  # today's raw-chunk partitions before any frame
        tasks = [asyncio.create_task(every(settings.alert_tick_s, runtime.tick, name="alert tick")),
                 asyncio.create_task(every(3600.0, lambda: runtime.maintain_storage(retention_s=retention_s),
                                           name="storage upkeep"))]
        if settings.mqtt_host and settings.cluster_amqp_url is None:  # a cluster's devices use the broker's MQTT
            from cardiowatch.server.mqtt import MqttIngest

            app.state.mqtt = MqttIngest(
                runtime=runtime, host=settings.mqtt_host, port=settings.mqtt_port,
                prefix=settings.mqtt_topic_prefix, username=settings.mqtt_username,
                password=None if settings.mqtt_password is None else settings.mqtt_password.get_secret_value(),
                publish_acks=settings.mqtt_publish_acks, accounts=app.state.broker_accounts)
            tasks.append(asyncio.create_task(app.state.mqtt.run()))
        if bridge is not None:
            tasks.append(asyncio.create_task(bridge.run()))
        logger.info("cardiowatch server %s ready (%s)", __version__, engine.url.render_as_string(hide_password=True))
        remove_redaction = install_redaction()   # the access log would print ?api_key= and ?token=
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            try:
                await runtime.analyse_all_held()
            except Exception:  # noqa: BLE001 - e.g. the database is gone: the frames are stored, shut down anyway
                logger.exception("held samples not analysed at shutdown")
            await runtime.stop()
            if notifier is not None:
                await notifier.aclose()
            if bridge is not None:
                await bridge.aclose()
            engine.dispose()
            remove_redaction()

    app = FastAPI(title="cardiowatch", version=__version__, lifespan=lifespan,
                  description=f"Real-time arrhythmia monitoring server. {NOT_A_MEDICAL_DEVICE}")
    app.state.settings = settings
    app.state.broker_accounts = make_broker_accounts(settings)
    app.add_exception_handler(BrokerAccountError, _broker_unavailable)
    for module in (system, devices, data, alerts, live):
        app.include_router(module.router)
    app.include_router(ingest.router, max_body_size=settings.max_ingest_bytes)
    app.add_exception_handler(RequestValidationError, validation_error_answer)
    for extension in extensions:
        extension(app, settings)
    app.add_middleware(JsonDepthLimit, max_json_depth=settings.max_json_depth)
    # Outermost, so every body is bounded before anything reads it and a refused one costs O(1);
    # device ingest has its own, usually larger, limit.
    app.add_middleware(BodyGate, max_body_bytes=settings.max_request_bytes,
                       path_limits=dict.fromkeys((route.path for route in ingest.router.routes),
                                                 settings.max_ingest_bytes))
    return app


def _make_runtime(settings: Settings, **kwargs) -> Runtime:  # noqa: ANN003 - Runtime's arguments
    """The single process's `Runtime`, or an API node's when the settings name a cluster broker."""
    if settings.cluster_amqp_url is None:
        return Runtime(**kwargs)
    from cardiowatch.server.cluster_node import ClusterRuntime
    from cardiowatch.server.partitions import PartitionPublisher, routing_prefix

    publisher = PartitionPublisher(url=settings.cluster_amqp_url.get_secret_value(),
                                   prefix=routing_prefix(settings.mqtt_topic_prefix),
                                   partitions=settings.cluster_partitions)
    return ClusterRuntime(publisher=publisher, **kwargs)


async def _broker_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """A device change the MQTT broker did not take is not committed either: the caller may retry."""
    logger.warning("device change refused: %s", exc)
    return JSONResponse({"detail": "the MQTT broker could not be updated; the device is unchanged, retry"},
                        status_code=503)


def _with_evidence(notifier: WebhookNotifier | None, alerts: AlertService):  # noqa: ANN202 - a callback
    """The webhook hook, posting each transition with its alert's evidence and strip link."""
    if notifier is None:
        return None
    return lambda transitions: notifier([alerts.webhook_body(t) for t in transitions])


def _make_bridge(settings: Settings) -> ThingSpeakBridge | None:
    """The ThingSpeak bridge (`server/thingspeak.py`) when ``CARDIOWATCH_THINGSPEAK_*`` names a channel."""
    if not settings.thingspeak:
        return None
    config = ThingSpeakConfig.from_settings(settings)
    return None if config is None else ThingSpeakBridge(config)


def _bridge_submit(bridge: ThingSpeakBridge):  # noqa: ANN202 - a callback
    def submit(summary: SummaryMade) -> None:
        rhythm = summary.rhythm if summary.rhythm in RHYTHM_FIELD_CODES else None
        bridge.submit(DeviceSummary(device_id=summary.device_name, time_s=summary.time_s, hr_bpm=summary.hr_bpm,
                                    rhythm=rhythm, alert_level=summary.alert_level,
                                    battery_pct=summary.battery_pct))

    return submit
