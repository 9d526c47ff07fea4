"""The cluster's no-data pieces without a cluster: the sweep's query (`crud.silent_devices`) and the alert
engine's `watch`, which the owner of a silent device runs (docs/deployment.md §3, "No data" for every
device)."""

from __future__ import annotations

from server_helpers import make_settings

from cardiowatch.server.alerts import AlertEngine, DataSeen
from cardiowatch.server.devices import register_device, revoke
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate


def test_the_sweep_finds_the_silent_unrevoked_devices_without_an_open_no_data_alert(database):
    settings = make_settings(database)
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    migrate(engine)
    with make_session_factory(engine)() as session:
        ids = {name: register_device(session=session, name=name, now=100.0)[0].id
               for name in ("never-sent", "sent-lately", "sent-long-ago", "revoked", "alerted", "alert-resolved")}
        crud.mark_devices_seen(session=session, seen={ids["sent-lately"]: (5, "ecg")}, now=990.0)
        crud.mark_devices_seen(session=session, seen={ids["sent-long-ago"]: (5, "ecg")}, now=500.0)
        revoke(session=session, device=crud.get_device(session=session, device_id=ids["revoked"]), now=200.0)
        for n, name in enumerate(("alerted", "alert-resolved"), start=1):
            crud.save_alert(session=session, device_id=ids[name], alert_id=n, kind="no_data", severity="technical",
                            state="active", level=0, detail="", raised_at=200.0, updated_at=200.0,
                            resolved_at=None, action="raised", by="system", at=200.0, snoozed_until=None)
        crud.save_alert(session=session, device_id=ids["alert-resolved"], alert_id=2, kind="no_data",
                        severity="technical", state="resolved", level=0, detail="", raised_at=200.0,
                        updated_at=300.0, resolved_at=300.0, action="resolved", by="system", at=300.0,
                        snoozed_until=None)
        session.commit()
        silent = crud.silent_devices(session=session, before=1000.0 - 30.0)
        with_open = crud.silent_devices(session=session, before=1000.0 - 30.0, with_open_alert=True)
    engine.dispose()
    assert silent == [(ids["never-sent"], 100.0), (ids["sent-long-ago"], 500.0), (ids["alert-resolved"], 100.0)]
    assert with_open == sorted([*silent, (ids["alerted"], 100.0)])


def test_watch_raises_no_data_once_from_the_stored_time_and_data_resolves_it():
    engine = AlertEngine()
    assert engine.watch("7", since=100.0, now=110.0) == []  # silent for 10 s: not yet
    raised = engine.watch("7", since=100.0, now=140.0)
    assert [(t.action.value, t.alert.kind.value) for t in raised] == [("raised", "no_data")]
    assert engine.watch("7", since=100.0, now=150.0) == [] and engine.tick(now=160.0) == []  # one open alert
    resolved = engine.observe("7", DataSeen(), now=170.0)
    assert [(t.action.value, t.alert.kind.value) for t in resolved] == [("resolved", "no_data")]
    # a watch that knows of older data than the engine saw changes nothing
    assert engine.watch("7", since=120.0, now=190.0) == []
    assert [t.alert.kind.value for t in engine.watch("7", since=120.0, now=200.0)] == ["no_data"]
