"""Fuzzing two server processes on one database (issue 20): random valid, invalid, duplicate and
conflicting frames posted to both at once.

Two app instances share one database (SQLite file, or PostgreSQL in a schema of its own), as two
``cardiowatch serve`` processes do. Each example registers fresh devices and posts a random batch of
messages, half through each instance, from two threads at the same time. Whatever the interleaving:
no answer is a server error, every answer is one the API documents, each pair (device, seq) that some
valid frame carried is stored exactly once with the bytes of one of those frames, and nothing else is
stored. Each answer agrees with the database: a frame answered stored or duplicate has its bytes there,
one answered `Replayed` has other bytes there.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from security_helpers import two_processes_on_one_database

from cardiowatch.protocol import Frame, SensorKind, frame_encode
from cardiowatch.server.storage import crud

API_KEY = "two-process-fuzz-api-key-0123456789"
FRAMES = "/api/v1/ingest/frames"
#: What the ingest route may answer to a message of frames: stored, some refused, all replays, bad token.
DOCUMENTED = {200, 400, 401, 409}
N_DEVICES = 2
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def two_processes(request, tmp_path_factory) -> Iterator[tuple[TestClient, TestClient]]:
    with two_processes_on_one_database(request.param, tmp_path_factory.mktemp("two-processes"), api_key=API_KEY,
                                       raise_server_exceptions=False) as apps:
        yield apps


@dataclass(frozen=True)
class Sent:
    """One frame inside a posted message, and whether the server may store it."""

    device_id: int
    seq: int
    raw: bytes
    valid: bool


def ecg_frame(device_id: int, seq: int, value: int) -> bytes:
    return frame_encode(Frame(device_id=device_id, seq=seq, t_us=seq * 200_000, fs_millihz=250_000,
                              sensor=SensorKind.ECG, samples=np.full(50, value), scale_nv=8000))


@st.composite
def frame_plans(draw) -> tuple[int, int, int, str]:
    """(device index, seq, sample value, how it is spoiled): values 0-1 make conflicting valid copies."""
    return (draw(st.integers(0, N_DEVICES - 1)), draw(st.integers(0, 12)), draw(st.integers(0, 1)),
            draw(st.sampled_from(["valid", "valid", "valid", "flipped", "other_device", "cut", "bad_token"])))


@st.composite
def messages(draw) -> list[tuple[int, list[tuple[int, int, int, str]]]]:
    """Messages as (instance 0 or 1, frames): some repeated verbatim, to the other instance."""
    out = [(draw(st.integers(0, 1)), draw(st.lists(frame_plans(), min_size=1, max_size=3)))
           for _ in range(draw(st.integers(1, 12)))]
    repeats = draw(st.lists(st.integers(0, len(out) - 1), max_size=4))
    return out + [(1 - out[i][0], out[i][1]) for i in repeats]


def build(plan: tuple[int, int, int, str], devices: list[tuple[int, str]]) -> tuple[bytes, str, Sent | None]:
    """The bytes of one planned frame, the token it is sent with, and what it is (None: not a frame)."""
    index, seq, value, spoil = plan
    device_id, token = devices[index]
    raw = ecg_frame(device_id, seq, value)
    if spoil == "flipped":
        spoiled = bytearray(raw)
        spoiled[len(raw) // 2] ^= 0x5A
        return bytes(spoiled), token, Sent(device_id, seq, bytes(spoiled), valid=False)
    if spoil == "other_device":
        other_id, _ = devices[(index + 1) % len(devices)]
        return raw, _token_of(devices, other_id), Sent(device_id, seq, raw, valid=False)
    if spoil == "cut":
        return raw[:-3], token, None
    if spoil == "bad_token":
        return raw, "not-a-token-" + "0" * 20, Sent(device_id, seq, raw, valid=False)
    return raw, token, Sent(device_id, seq, raw, valid=True)


def _token_of(devices: list[tuple[int, str]], device_id: int) -> str:
    return dict(devices)[device_id]


def register(client: TestClient, name: str) -> tuple[int, str]:
    response = client.post("/api/v1/devices", json={"name": name}, headers={"X-API-Key": API_KEY})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["token"]


@FUZZ
@given(plan=messages())
def test_two_processes_never_fail_and_store_exactly_the_valid_distinct_frames(two_processes, plan):
    one, two = two_processes
    devices = [register(one, f"fuzz-{uuid.uuid4().hex[:6]}") for _ in range(N_DEVICES)]
    posts: list[tuple[int, bytes, str, list[tuple[int, Sent]]]] = []
    for instance, frames in plan:
        # one message carries one token: frames planned with another token go in a message of their own;
        # a cut frame too, since the frames after it in a message could not be delimited
        by_token: dict[str, tuple[bytes, list[tuple[int, Sent]], int]] = {}
        for frame_plan in frames:
            raw, token, sent = build(frame_plan, devices)
            if sent is None:
                posts.append((instance, raw, token, []))
                continue
            body, sents, n = by_token.get(token, (b"", [], 0))
            by_token[token] = (body + raw, sents + [(n, sent)], n + 1)
        posts += [(instance, body, token, sents) for token, (body, sents, _n) in by_token.items()]

    clients = (one, two)

    def post(item: tuple[int, bytes, str, list[Sent]]):
        instance, body, token, _sents = item
        return clients[instance].post(FRAMES, content=body, headers={"Authorization": f"Bearer {token}"})

    # both instances at once: each takes its own messages in order, the two streams interleave freely
    answers: dict[int, object] = {}

    def stream(instance: int) -> None:
        for i, item in enumerate(posts):
            if item[0] == instance:
                answers[i] = post(item)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(stream, (0, 1)))
    answers = [answers[i] for i in range(len(posts))]

    assert all(a.status_code in DOCUMENTED for a in answers), sorted({a.status_code for a in answers})
    with one.app.state.session_factory() as session:
        stored = crud.stored_frames(session=session, wanted={d: set(range(13)) for d, _ in devices})
    valid: dict[tuple[int, int], set[bytes]] = {}
    for _instance, _body, _token, sents in posts:
        for _index, sent in sents:
            if sent.valid:
                valid.setdefault((sent.device_id, sent.seq), set()).add(sent.raw)
    assert set(stored) == set(valid)
    assert all(stored[pair] in valid[pair] for pair in stored)
    for (_instance, _body, _token, sents), answer in zip(posts, answers):
        if answer.status_code == 401:
            continue
        body = answer.json()
        refused = {r["index"]: r["error"] for r in body["rejected"]}
        for index, sent in sents:
            if not sent.valid:
                assert index in refused, f"an invalid frame was not refused: {sent}"
                continue
            pair = (sent.device_id, sent.seq)
            if index in refused:
                assert refused[index] == "Replayed" and stored[pair] != sent.raw
            else:
                assert sent.seq in body["stored"] + body["duplicate"] and stored[pair] == sent.raw


def test_a_frame_stored_by_the_other_process_before_the_high_water_mark_is_read_is_a_duplicate(two_processes):
    """The race the fuzzer found: the other process stores and commits a frame after this one looked the
    frame up (absent) and before it reads the device's high-water mark (now that frame's seq). The frame
    is a duplicate, not a server error."""
    one, two = two_processes
    device_id, token = register(one, f"race-{uuid.uuid4().hex[:6]}")
    auth = {"Authorization": f"Bearer {token}"}
    raw = ecg_frame(device_id, 0, 0)
    engine = one.app.state.engine
    other: list = []

    def hook(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001 - SQLAlchemy's
        if not other and "devices.last_seq, devices.last_seen_at" in statement:
            other.append(two.post(FRAMES, content=raw, headers=auth))

    event.listen(engine, "before_cursor_execute", hook)
    try:
        answer = one.post(FRAMES, content=raw, headers=auth)
    finally:
        event.remove(engine, "before_cursor_execute", hook)
    assert other[0].status_code == 200 and other[0].json()["stored"] == [0]
    assert answer.status_code == 200 and answer.json()["duplicate"] == [0]
