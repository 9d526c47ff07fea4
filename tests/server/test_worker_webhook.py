"""A cluster worker posts the webhook for the alerts of the devices it owns, with their evidence, as the
single server does (`CARDIOWATCH_WEBHOOK_URL`); before, a cluster sent no webhook at all."""

from __future__ import annotations

import asyncio
import json

from server_helpers import make_settings
from test_notify import _Receiver, receiver  # noqa: F401 - the loopback receiver fixture

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.server.alerts import EventKind, EventObserved
from cardiowatch.server.devices import register_device
from cardiowatch.server.worker import make_worker

#: Never contacted: the worker is not run, only its alert path is driven.
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def test_a_worker_posts_each_transition_of_its_devices_with_evidence(database, receiver):  # noqa: F811
    settings = make_settings(database, webhook_url=f"{receiver}/hook")
    worker = make_worker(settings, url=AMQP_URL, partitions=2, pipeline_factory=lambda fs, meta: None)
    alerts = worker.ingestor.alerts
    with worker.ingestor.session_factory() as session:
        device, _ = register_device(session=session, name="w", now=0.0)
        raised = alerts.observe(session=session, device_id=device.id,
                                observations=[EventObserved(EventKind.ASYSTOLE)], now=1000.0)
        acknowledged = [alerts.acknowledge(session=session, alert_id=raised[0].alert.alert_id, user="ana",
                                           now=1001.0)]
        session.commit()
    worker.ingestor.session_factory.kw["bind"].dispose()

    async def publish() -> None:
        await worker._publish([], raised)
        await worker._publish([], acknowledged)
        await worker.webhook.aclose()

    asyncio.run(publish())
    bodies = [json.loads(b) for b in _Receiver.bodies]
    assert [b["event"] for b in bodies] == ["alert.raised", "alert.acknowledged"]
    assert {b["alert"]["alert_id"] for b in bodies} == {raised[0].alert.alert_id}
    assert bodies[0]["evidence"]["strip_url"].endswith(f"/alerts/{raised[0].alert.alert_id}/strip")
    assert all(b["notice"] == NOT_A_MEDICAL_DEVICE for b in bodies)


def test_a_worker_without_a_webhook_url_posts_nothing(database):
    worker = make_worker(make_settings(database), url=AMQP_URL, partitions=2, pipeline_factory=lambda fs, meta: None)
    worker.ingestor.session_factory.kw["bind"].dispose()
    assert worker.webhook is None
