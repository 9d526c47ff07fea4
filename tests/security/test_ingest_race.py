"""Issue 20 item 9: the same frame reaching two server processes at once never gives an error.

Two app instances share one database. The race is made deterministic: just before the first process
inserts its frames, the second one stores the same frame and commits, as happens when a device resends
to another worker while the first is still storing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from security_helpers import two_processes_on_one_database

from cardiowatch.protocol import Frame, SensorKind, frame_encode
from cardiowatch.server.ingest import IngestAnswer, IngestItem, PayloadKind
from cardiowatch.server.storage import crud

API_KEY = "race-test-api-key-0123456789"
FRAMES = "/api/v1/ingest/frames"


@pytest.fixture(params=["sqlite", "postgresql"])
def two_processes(request, tmp_path) -> Iterator[tuple[TestClient, TestClient]]:
    """Two server apps on one database."""
    with two_processes_on_one_database(request.param, tmp_path, api_key=API_KEY) as apps:
        yield apps


@contextlib.contextmanager
def before_first_chunk_insert(engine: Engine, action: Callable[[], object]) -> Iterator[list[object]]:
    """Run ``action`` once, just before ``engine`` next inserts sample chunks; yields what it returned."""
    done: list[object] = []

    def hook(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001 - SQLAlchemy's
        if not done and statement.lstrip().upper().startswith("INSERT INTO SAMPLE_CHUNKS"):
            done.append(action())

    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield done
    finally:
        event.remove(engine, "before_cursor_execute", hook)


def frame(device_id: int, seq: int, value: int = 0) -> bytes:
    return frame_encode(Frame(device_id=device_id, seq=seq, t_us=seq * 200_000, fs_millihz=250_000,
                              sensor=SensorKind.ECG, samples=np.full(50, value)))


def register(client: TestClient, name: str) -> tuple[int, dict[str, str]]:
    response = client.post("/api/v1/devices", json={"name": name}, headers={"X-API-Key": API_KEY})
    assert response.status_code == 201, response.text
    return response.json()["id"], {"Authorization": f"Bearer {response.json()['token']}"}


def stored_seqs(client: TestClient, device_id: int) -> list[int]:
    with client.app.state.session_factory() as session:
        return crud.list_seqs(session=session, device_id=device_id)


def test_a_frame_stored_by_another_process_meanwhile_is_a_duplicate_not_an_error(two_processes):
    one, two = two_processes
    device_id, auth = register(one, "patient")
    resend = lambda: two.post(FRAMES, content=frame(device_id, 0), headers=auth)  # noqa: E731
    with before_first_chunk_insert(one.app.state.engine, resend) as other:
        response = one.post(FRAMES, content=frame(device_id, 0) + frame(device_id, 1), headers=auth)
    assert other[0].status_code == 200 and other[0].json()["stored"] == [0]
    assert response.status_code == 200
    assert (response.json()["stored"], response.json()["duplicate"]) == ([1], [0])
    assert stored_seqs(one, device_id) == [0, 1]


def test_other_bytes_stored_meanwhile_are_a_replay_and_the_rest_of_the_batch_is_stored(two_processes):
    one, two = two_processes
    device_id, auth = register(one, "patient")
    other_device, other_auth = register(one, "neighbour")
    replay = lambda: two.post(FRAMES, content=frame(device_id, 0, value=9), headers=auth)  # noqa: E731
    items = [IngestItem(frame(device_id, 0), kind=PayloadKind.FRAMES, token=auth["Authorization"][7:],
                        transport="test"),
             IngestItem(frame(other_device, 0), kind=PayloadKind.FRAMES, token=other_auth["Authorization"][7:],
                        transport="test")]
    with before_first_chunk_insert(one.app.state.engine, replay):
        mine, neighbours = one.app.state.ingestor.ingest_many(items, now=1_700_000_000.0)
    assert isinstance(mine, IngestAnswer) and isinstance(neighbours, IngestAnswer)
    assert [(r.seq, r.error) for r in mine.rejected] == [(0, "Replayed")] and mine.http_status == 409
    assert neighbours.stored == [0]
    assert stored_seqs(one, other_device) == [0]
