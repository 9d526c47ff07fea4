"""Storage: the migrations build the models' schema on both databases; retention; time-range queries."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cardiowatch.protocol import frame_decode
from cardiowatch.server.devices import register_device
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.chunk_partitions import DAY_S
from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate
from cardiowatch.server.storage.models import Base, in_schema_of
from server_helpers import ecg_bytes


def _engine(database):
    url, schema = database
    engine = make_engine(url, schema=schema)
    migrate(engine)
    return engine


def test_migrations_build_exactly_the_models_schema(database):
    engine = _engine(database)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": in_schema_of(conn.dialect.name)})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_migrating_twice_changes_nothing(database):
    engine = _engine(database)
    migrate(engine)
    with make_session_factory(engine)() as session:
        assert crud.count_rows(session=session)["devices"] == 0
    engine.dispose()


def _store(session, device_id: int, seqs, now: float) -> None:
    for seq in seqs:
        raw = ecg_bytes(device_id, [seq])
        frame = frame_decode(raw)
        crud.insert_chunks(session=session, rows=[crud.chunk_row(device_id=device_id, frame=frame, raw=raw,
                                                                 t_us=frame.t_us, now=now)])


def test_retention_removes_raw_chunks_of_days_before_the_cutoff_only(database):
    engine = _engine(database)
    with make_session_factory(engine)() as session:
        device, _token = register_device(session=session, name="d", now=0.0)
        _store(session, device.id, [0, 1], now=100.0)
        _store(session, device.id, [2], now=3 * DAY_S + 100.0)
        crud.add_beats(session=session, device_id=device.id, beats=[(1, "N")])
        session.commit()
        crud.purge_before(session=session, received_before=2 * DAY_S)
        session.commit()
        assert crud.list_seqs(session=session, device_id=device.id) == [2]
        assert len(crud.list_beats(session=session, device_id=device.id)) == 1
    engine.dispose()


def test_chunks_are_queried_by_time_range(database):
    engine = _engine(database)
    with make_session_factory(engine)() as session:
        device, _token = register_device(session=session, name="d", now=0.0)
        _store(session, device.id, range(10), now=1.0)  # 200 ms frames: t_us = seq * 200000
        session.commit()
        rows = crud.list_chunks(session=session, device_id=device.id, start_t_us=400_000, end_t_us=1_000_000)
        assert [r.seq for r in rows] == [2, 3, 4]
    engine.dispose()


def test_episodes_overlapping_a_range_are_returned(database):
    engine = _engine(database)
    with make_session_factory(engine)() as session:
        device, _token = register_device(session=session, name="d", now=0.0)
        crud.start_episode(session=session, device_id=device.id, rhythm="N", t_us=0)
        crud.start_episode(session=session, device_id=device.id, rhythm="AFIB", t_us=100)
        crud.start_episode(session=session, device_id=device.id, rhythm="N", t_us=300)
        session.commit()
        rows = crud.list_episodes(session=session, device_id=device.id, start_t_us=150, end_t_us=250)
        assert [(r.rhythm, r.start_t_us, r.end_t_us) for r in rows] == [("AFIB", 100, 300)]
    engine.dispose()


def test_summary_keeps_hrv_and_stores_nan_as_unknown(database) -> None:
    from cardiowatch.server.devices import register_device
    from cardiowatch.server.storage import crud
    from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate

    url, schema = database
    engine = make_engine(url, schema=schema)
    migrate(engine)
    with make_session_factory(engine)() as session:
        device, _ = register_device(session=session, name="hrv-1", now=1.0)
        crud.add_summary(session=session, device_id=device.id, t_us=1, hr_bpm=60.0, rhythm="N", quality="good",
                         alert_level=0, battery_pct=None, hrv=(42.0, float("nan"), 3.5))
        session.commit()
        row = crud.list_summaries(session=session, device_id=device.id)[0]
    engine.dispose()
    assert (row.sdnn_ms, row.rmssd_ms, row.pnn50_pct) == (42.0, None, 3.5)


def test_migrations_keep_dashboard_tables_an_older_dashboard_made_itself(database):
    from sqlalchemy import MetaData, insert, select

    from cardiowatch.server.storage.models import dashboard_secrets, dashboard_sessions, dashboard_users

    url, schema = database
    engine = make_engine(url, schema=schema)
    migrate(engine, "0002")
    own = MetaData()
    for table in (dashboard_users, dashboard_sessions, dashboard_secrets):
        table.to_metadata(own)
    own.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(dashboard_secrets).values(name="cookie_signing_key", value="kept"))
    migrate(engine)
    with engine.connect() as conn:
        kept = conn.execute(select(dashboard_secrets.c.value)).scalar_one()
    engine.dispose()
    assert kept == "kept"
