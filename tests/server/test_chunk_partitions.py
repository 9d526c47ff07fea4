"""Raw chunks in daily partitions (PostgreSQL): placement, (device, seq) kept unique across days and
writers, the migration from the plain table, retention by dropping days, partitions made at start-up."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy import text

from cardiowatch.app import create_app
from cardiowatch.protocol import frame_decode
from cardiowatch.server.devices import register_device
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.chunk_partitions import (
    DAY_S,
    DAYS_AHEAD,
    chunk_days,
    ensure_chunk_partitions,
    partition_name,
)
from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate
from server_helpers import ecg_bytes, make_settings

WAIT_FOR_LOCK_S = 10.0


def _row(device_id: int, seq: int, *, received_at: float) -> dict:
    raw = ecg_bytes(device_id, [seq])
    frame = frame_decode(raw)
    return crud.chunk_row(device_id=device_id, frame=frame, raw=raw, t_us=frame.t_us, now=received_at)


def _migrated(database, revision: str = "head"):
    url, schema = database
    engine = make_engine(url, schema=schema)
    migrate(engine, revision)
    return engine


def _new_device(engine) -> int:
    with make_session_factory(engine)() as session:
        device, _token = register_device(session=session, name="d", now=0.0)
        session.commit()
        return device.id


def _partition_of_each_seq(engine) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, tableoid::regclass::text FROM sample_chunks"))
        return {seq: table.split(".")[-1].strip('"') for seq, table in rows}


def test_chunks_go_to_the_partition_of_the_day_they_arrived(postgres_database):
    engine = _migrated(postgres_database)
    device_id = _new_device(engine)
    with make_session_factory(engine)() as session:
        crud.insert_chunks(session=session, rows=[_row(device_id, 0, received_at=10 * DAY_S + 5.0),
                                                  _row(device_id, 1, received_at=11 * DAY_S + 5.0)])
        session.commit()
    placed = _partition_of_each_seq(engine)
    engine.dispose()
    assert placed == {0: partition_name(10), 1: partition_name(11)}


def test_a_stored_seq_arriving_on_another_day_is_skipped(database):
    engine = _migrated(database)
    device_id = _new_device(engine)
    with make_session_factory(engine)() as session:
        first = crud.insert_chunks(session=session, rows=[_row(device_id, 5, received_at=100.0)])
        session.commit()
        again = crud.insert_chunks(session=session, rows=[_row(device_id, 5, received_at=3 * DAY_S + 100.0)])
        session.commit()
        stored = crud.list_seqs(session=session, device_id=device_id)
    engine.dispose()
    assert (first, again, stored) == ({(device_id, 5)}, set(), [5])


def test_one_seq_twice_in_one_insert_is_stored_once(database):
    engine = _migrated(database)
    device_id = _new_device(engine)
    with make_session_factory(engine)() as session:
        inserted = crud.insert_chunks(session=session, rows=[_row(device_id, 3, received_at=100.0),
                                                             _row(device_id, 3, received_at=DAY_S + 100.0)])
        session.commit()
        stored = crud.list_seqs(session=session, device_id=device_id)
    engine.dispose()
    assert (inserted, stored) == ({(device_id, 3)}, [3])


def test_a_late_frame_below_the_highest_seq_is_stored(database):
    engine = _migrated(database)
    device_id = _new_device(engine)
    with make_session_factory(engine)() as session:
        crud.insert_chunks(session=session, rows=[_row(device_id, 10, received_at=100.0)])
        session.commit()
        late = crud.insert_chunks(session=session, rows=[_row(device_id, 4, received_at=DAY_S + 100.0)])
        session.commit()
        stored = crud.list_seqs(session=session, device_id=device_id)
    engine.dispose()
    assert (late, stored) == ({(device_id, 4)}, [4, 10])


def test_two_writers_of_one_seq_on_different_days_store_it_once(postgres_database):
    url, schema = postgres_database
    engine = _migrated(postgres_database)
    device_id = _new_device(engine)
    with engine.begin() as conn:  # both days exist: neither writer waits on making a partition
        ensure_chunk_partitions(conn, received_at=[100.0, DAY_S + 100.0])
    second_writer = make_engine(f"{url}?application_name={schema}", schema=schema)
    second_result: list[set] = []

    def write_second() -> None:
        with make_session_factory(second_writer)() as session:
            second_result.append(crud.insert_chunks(session=session,
                                                    rows=[_row(device_id, 7, received_at=DAY_S + 100.0)]))
            session.commit()

    with make_session_factory(engine)() as first:
        first_result = crud.insert_chunks(session=first, rows=[_row(device_id, 7, received_at=100.0)])
        thread = threading.Thread(target=write_second)
        thread.start()
        waited = _wait_until_blocked(engine, application_name=schema)
        first.commit()
    thread.join(WAIT_FOR_LOCK_S)
    with make_session_factory(engine)() as session:
        stored = crud.list_seqs(session=session, device_id=device_id)
    second_writer.dispose()
    engine.dispose()
    assert waited, "the second writer never waited for the first"
    assert (first_result, second_result, stored) == ({(device_id, 7)}, [set()], [7])


def _wait_until_blocked(engine, *, application_name: str) -> bool:
    """Whether the connection named ``application_name`` came to wait on another transaction's lock."""
    deadline = time.monotonic() + WAIT_FOR_LOCK_S
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            event = conn.scalar(text("SELECT wait_event FROM pg_stat_activity WHERE application_name = :name"),
                                {"name": application_name})
            conn.rollback()  # a fresh snapshot of pg_stat_activity each time
            if event == "transactionid":
                return True
            time.sleep(0.01)
    return False


def test_migration_keeps_the_chunks_written_before_it(postgres_database):
    url, schema = postgres_database
    before = _migrated(postgres_database, "0005")
    device_id = _new_device(before)
    rows = [_row(device_id, seq, received_at=received_at)
            for seq, received_at in enumerate([100.0, 200.0, 4 * DAY_S + 1.0])]
    with make_session_factory(before)() as session:
        crud.insert_chunks(session=session, rows=rows)
        session.commit()
        written = [(c.id, c.seq, c.t_us, c.frame, c.received_at)
                   for c in crud.list_chunks(session=session, device_id=device_id)]
    before.dispose()
    after = _migrated(postgres_database)
    with make_session_factory(after)() as session:
        read = [(c.id, c.seq, c.t_us, c.frame, c.received_at)
                for c in crud.list_chunks(session=session, device_id=device_id)]
        resent = crud.insert_chunks(session=session, rows=[_row(device_id, 2, received_at=5 * DAY_S)])
        crud.insert_chunks(session=session, rows=[_row(device_id, 3, received_at=5 * DAY_S)])
        session.commit()
        new_id = crud.list_chunks(session=session, device_id=device_id)[-1].id
        with after.connect() as conn:
            days = chunk_days(conn)
    after.dispose()
    assert read == written
    assert resent == set()
    assert new_id > max(row[0] for row in written)
    assert days == {0, 4, 5}


def test_retention_drops_whole_days_and_keeps_the_day_of_the_cutoff(postgres_database):
    engine = _migrated(postgres_database)
    device_id = _new_device(engine)
    with make_session_factory(engine)() as session:
        crud.insert_chunks(session=session, rows=[_row(device_id, day, received_at=day * DAY_S + 100.0)
                                                  for day in range(4)])
        session.commit()
        purged = crud.purge_before(session=session, received_before=2 * DAY_S + 200.0)
        session.commit()
        stored = crud.list_seqs(session=session, device_id=device_id)
    engine.dispose()
    assert purged == crud.Purged(rows_deleted=0, partitions_dropped=[partition_name(0), partition_name(1)])
    assert stored == [2, 3]


def test_server_makes_the_coming_days_partitions_at_start(postgres_database):
    now = 20 * DAY_S + 3600.0
    app = create_app(make_settings(postgres_database), pipeline_factory=None, clock=lambda: now)
    with TestClient(app):
        with app.state.engine.connect() as conn:
            days = chunk_days(conn)
    assert days == set(range(20, 20 + DAYS_AHEAD + 1))
