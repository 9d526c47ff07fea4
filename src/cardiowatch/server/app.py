"""The FastAPI application: `create_app(settings=None)` builds everything; nothing happens at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from cardiowatch import NOT_A_MEDICAL_DEVICE, __version__
from cardiowatch.server.alert_service import AlertService
from cardiowatch.server.config import Settings
from cardiowatch.server.ingest import Ingestor
from cardiowatch.server.live import LiveHub
from cardiowatch.server.pipelines import PipelineFactory, PipelineRegistry, default_pipeline_factory
from cardiowatch.server.routes import alerts, data, devices, ingest, live, system
from cardiowatch.server.runtime import Runtime, every
from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate

logger = logging.getLogger(__name__)

_DEFAULT = object()


def create_app(settings: Settings | None = None, *, pipeline_factory: PipelineFactory | None | object = _DEFAULT,
               ) -> FastAPI:
    """Build the server. ``settings`` default to ``Settings()`` (environment); ``pipeline_factory``
    defaults to the project's `cardiowatch.pipeline` (tests may pass their own, or None for none)."""
    settings = settings if settings is not None else Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url, schema=settings.database_schema,
                             sqlite_synchronous=settings.sqlite_synchronous)
        migrate(engine)
        session_factory = make_session_factory(engine)
        factory = default_pipeline_factory() if pipeline_factory is _DEFAULT else pipeline_factory
        with session_factory() as session:
            alert_service = AlertService.load(session=session)
        ingestor = Ingestor(session_factory=session_factory,
                            registry=PipelineRegistry(factory, live_max_sample_rate_hz=settings.live_max_sample_rate_hz),
                            alerts=alert_service, max_bytes=settings.max_ingest_bytes,
                            max_frames=settings.max_batch_frames, summary_period_s=settings.summary_period_s)
        runtime = Runtime(ingestor=ingestor, live=LiveHub(), notify=_make_notifier(settings))
        app.state.engine, app.state.session_factory, app.state.runtime = engine, session_factory, runtime
        app.state.ingestor = ingestor
        app.state.mqtt = None
        tasks = [asyncio.create_task(every(settings.alert_tick_s, runtime.tick, name="alert tick"))]
        if settings.retention_days > 0:
            retention_s = settings.retention_days * 86400.0
            tasks.append(asyncio.create_task(every(3600.0, lambda: runtime.purge(retention_s=retention_s),
                                                   name="retention")))
        if settings.mqtt_host:
            from cardiowatch.server.mqtt import MqttIngest

            app.state.mqtt = MqttIngest(
                runtime=runtime, host=settings.mqtt_host, port=settings.mqtt_port,
                prefix=settings.mqtt_topic_prefix, username=settings.mqtt_username,
                password=None if settings.mqtt_password is None else settings.mqtt_password.get_secret_value(),
                publish_acks=settings.mqtt_publish_acks)
            tasks.append(asyncio.create_task(app.state.mqtt.run()))
        logger.info("cardiowatch server %s ready (%s)", __version__, engine.url.render_as_string(hide_password=True))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            engine.dispose()

    app = FastAPI(title="cardiowatch", version=__version__, lifespan=lifespan,
                  description=f"Real-time arrhythmia monitoring server. {NOT_A_MEDICAL_DEVICE}")
    app.state.settings = settings
    for module in (system, devices, data, alerts, ingest, live):
        app.include_router(module.router)
    return app


def _make_notifier(settings: Settings):  # noqa: ANN202 - returns the notifier's callable or None
    """The webhook notifier of `server/notify.py` when a webhook is configured (None otherwise)."""
    if not settings.webhook_url:
        return None
    try:
        from cardiowatch.server import notify
    except ImportError:
        logger.warning("webhook_url is set but cardiowatch.server.notify is not available")
        return None
    factory = getattr(notify, "make_notifier", None)
    return None if factory is None else factory(settings.webhook_url)
