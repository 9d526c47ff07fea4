"""An API node of the cluster reports a device's alert level from the stored alerts (the alert engine runs
in the device's worker); before, `GET /api/v1/devices/{id}` on an API node always said 0."""

from __future__ import annotations

from server_helpers import make_settings

from cardiowatch.server.alerts import EventKind, EventObserved
from cardiowatch.server.cluster_node import ClusterRuntime
from cardiowatch.server.devices import register_device
from cardiowatch.server.worker import make_worker

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"   # never contacted


def test_the_api_node_level_is_the_worker_engine_level(database):
    worker = make_worker(make_settings(database), url=AMQP_URL, partitions=2, pipeline_factory=lambda fs, meta: None)
    alerts = worker.ingestor.alerts
    api_node = ClusterRuntime(publisher=None, ingestor=None, live=None)
    sessions = worker.ingestor.session_factory
    with sessions() as session:
        device, _ = register_device(session=session, name="level", now=0.0)
        levels = [(alerts.level(device.id), api_node.alert_level(session, device.id))]
        raised = alerts.observe(session=session, device_id=device.id,
                                observations=[EventObserved(EventKind.ASYSTOLE)], now=1000.0)
        session.commit()
        levels.append((alerts.level(device.id), api_node.alert_level(session, device.id)))
        alerts.acknowledge(session=session, alert_id=raised[0].alert.alert_id, user="ana", now=1001.0)
        session.commit()
        levels.append((alerts.level(device.id), api_node.alert_level(session, device.id)))
        alerts.tick(session=session, now=1000.0 + 3600)   # the asystole resolves; the silence is a technical alert
        session.commit()
        levels.append((alerts.level(device.id), api_node.alert_level(session, device.id)))
    sessions.kw["bind"].dispose()
    # asystole is critical; acknowledged it stays open; resolved it counts no more (no data: technical)
    assert [engine for engine, _ in levels] == [0, 3, 3, 1]
    assert [node for _, node in levels] == [engine for engine, _ in levels]
