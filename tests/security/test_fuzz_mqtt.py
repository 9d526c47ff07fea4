"""Fuzzing the MQTT ingest path (issue 20): any topic and payload through `MqttIngest.handle`.

`handle` is called as the subscriber loop calls it (`MqttIngest._handle_one`), on the app's event loop
with its running `Runtime`; the broker connection is replaced by a recorder of the acks it would
publish, so no broker is needed. For every message: `handle` returns (never raises), the message is
either acknowledged once on its device's ack topic or dropped and counted once, nothing is ever stored
for an unknown or revoked device, and every stored frame is byte for byte one the fuzzer sent.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from security_helpers import API_KEY, security_app

from cardiowatch.errors import FrameError
from cardiowatch.protocol import MAGIC, Frame, SensorKind, envelope_encode, frame_decode, frame_encode, frame_iter
from cardiowatch.server.mqtt import MqttIngest
from cardiowatch.server.storage import crud

PREFIX = "cwfuzz"
UNKNOWN_ID = 4242
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@dataclass
class AckRecorder:
    """Stands in for the aiomqtt client: `MqttIngest.handle` only publishes acks on it."""

    published: list[tuple[str, dict]] = field(default_factory=list)

    async def publish(self, topic: str, payload: str, qos: int = 0) -> None:
        self.published.append((topic, json.loads(payload)))


@dataclass
class Bench:
    client: TestClient
    mqtt: MqttIngest
    acks: AckRecorder
    active: int  #: a registered device
    revoked: int  #: registered, then revoked
    token: str  #: the active device's token
    sent: dict[tuple[int, int], set[bytes]] = field(default_factory=dict)  #: frames put on the wire, by pair

    def handle(self, topic: str, payload: bytes) -> None:
        self.client.portal.call(self.mqtt.handle, self.acks, topic, payload)

    def stored(self, device_id: int) -> dict[tuple[int, int], bytes]:
        with self.client.app.state.session_factory() as session:
            seqs = crud.list_seqs(session=session, device_id=device_id)
            return crud.stored_frames(session=session, wanted={device_id: set(seqs)})

    def statuses(self) -> dict[int, int]:
        with self.client.app.state.session_factory() as session:
            return {d: int(crud.latest_status(session=session, device_id=d) is not None)
                    for d in (self.active, self.revoked, UNKNOWN_ID)}


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> Iterator[Bench]:
    app = security_app(tmp_path_factory.mktemp("fuzz-mqtt"))
    with TestClient(app, raise_server_exceptions=False) as client:
        key = {"X-API-Key": API_KEY}
        active = client.post("/api/v1/devices", json={"name": "active"}, headers=key).json()
        revoked = client.post("/api/v1/devices", json={"name": "revoked"}, headers=key).json()
        assert client.post(f"/api/v1/devices/{revoked['id']}/revoke", headers=key).status_code == 200
        mqtt = MqttIngest(runtime=app.state.runtime, host="127.0.0.1", port=1, prefix=PREFIX)
        yield Bench(client, mqtt, AckRecorder(), active["id"], revoked["id"], active["token"])


def ecg_frame(device_id: int, seq: int, value: int) -> bytes:
    return frame_encode(Frame(device_id=device_id, seq=seq, t_us=seq * 200_000, fs_millihz=250_000,
                              sensor=SensorKind.ECG, samples=np.full(50, value), scale_nv=8000))


# ---------------------------------------------------------------------------------------- strategies
_ID_SPELLINGS = st.one_of(st.sampled_from(["0", "-1", "+1", "01", " 1", "1 ", "١", "1.0", "", "+",
                                           "99999999999999999999"]),
                          st.text(alphabet=string.digits + "٠١٢abc/+#$ ", max_size=6))
_KINDS = st.sampled_from(["frames", "status", "ack", "frame", "", "frames/extra", "#", "+"])


@st.composite
def topics(draw, bench_ids: tuple[int, int]) -> str:
    """Mostly well-formed topics of the three devices (so payloads reach ingest), the rest malformed."""
    active, revoked = bench_ids
    device = str(draw(st.sampled_from([active, active, revoked, UNKNOWN_ID])))
    kind = draw(st.sampled_from(["frames", "frames", "status"]))
    shape = draw(st.integers(0, 9))
    if shape < 6:
        return f"{PREFIX}/{device}/{kind}"
    if shape == 6:
        device = draw(_ID_SPELLINGS)
    elif shape == 7:
        kind = draw(_KINDS)
    elif shape == 8:
        return draw(st.sampled_from(["other", "", PREFIX.upper(), f"{PREFIX}/{PREFIX}", PREFIX + "/"])) \
            + f"/{device}/{kind}"
    else:
        return draw(st.text(max_size=40))
    return f"{PREFIX}/{device}/{kind}"


@st.composite
def payloads(draw, bench_ids: tuple[int, int], token: str) -> bytes:
    active, revoked = bench_ids
    device = draw(st.sampled_from([active, active, revoked, UNKNOWN_ID]))
    frames = b"".join(ecg_frame(draw(st.sampled_from([device, device, active])), draw(st.integers(0, 3000)),
                                draw(st.integers(-5, 5)))
                      for _ in range(draw(st.integers(1, 3))))
    status = json.dumps({"v": 1, "device_id": device, "battery_pct": draw(st.integers(-10, 110))}).encode()
    base = draw(st.sampled_from([frames, frames, status]))
    kind = draw(st.sampled_from(["plain", "plain", "plain", "flipped", "cut", "enveloped", "random", "json"]))
    if kind == "flipped":
        raw = bytearray(base)
        raw[draw(st.integers(0, len(raw) - 1))] ^= draw(st.integers(1, 255))
        return bytes(raw)
    if kind == "cut":
        return base[:draw(st.integers(0, len(base) - 1))]
    if kind == "enveloped":
        return envelope_encode(draw(st.sampled_from([token, "x" * 32])), base)
    if kind == "random":
        return draw(st.binary(max_size=600))
    if kind == "json":
        return draw(st.text(max_size=200)).encode()
    return base


# ---------------------------------------------------------------------------------------------- tests
def _ids(bench: Bench) -> tuple[int, int]:
    return bench.active, bench.revoked


@FUZZ
@given(data=st.data())
def test_any_topic_and_payload_is_acknowledged_or_dropped_and_counted(bench, data):
    topic = data.draw(topics(_ids(bench)), label="topic")
    payload = data.draw(payloads(_ids(bench), bench.token), label="payload")
    _record_frames(bench, payload)
    reasons_before = dict(bench.mqtt.dropped)
    dropped_before, acks_before = sum(reasons_before.values()), len(bench.acks.published)
    received_before = bench.mqtt.received

    bench.handle(topic, payload)  # raises on any bug: the assertion is that it returns

    dropped = sum(bench.mqtt.dropped.values()) - dropped_before
    acked = bench.acks.published[acks_before:]
    assert bench.mqtt.received == received_before + 1
    assert (dropped, len(acked)) in {(1, 0), (0, 1)}, (dropped, acked)
    if acked:
        assert acked[0][0] == f"{PREFIX}/{bench.active}/ack"  # only an active device is ever answered
        event("stored" if acked[0][1]["stored"] else "acknowledged, nothing stored")
    else:
        event("dropped: " + next(r for r, n in bench.mqtt.dropped.items() if n > reasons_before.get(r, 0)))


@FUZZ
@given(data=st.data())
def test_nothing_is_stored_for_unknown_or_revoked_devices_nor_what_nobody_sent(bench, data):
    for _ in range(data.draw(st.integers(1, 4))):
        topic = data.draw(topics(_ids(bench)), label="topic")
        payload = data.draw(payloads(_ids(bench), bench.token), label="payload")
        _record_frames(bench, payload)
        bench.handle(topic, payload)
    assert bench.stored(bench.revoked) == {}
    assert bench.stored(UNKNOWN_ID) == {}
    statuses = bench.statuses()
    assert (statuses[bench.revoked], statuses[UNKNOWN_ID]) == (0, 0)
    for pair, raw in bench.stored(bench.active).items():
        assert raw in bench.sent.get(pair, set()), f"stored {pair} that was never sent"


def test_a_token_wrapped_payload_is_dropped_even_on_the_right_topic(bench):
    """The one payload a known device can send and still be dropped; counted under its own name."""
    before = bench.mqtt.dropped["TokenInPayload"]
    bench.handle(f"{PREFIX}/{bench.active}/frames", envelope_encode(bench.token, ecg_frame(bench.active, 999, 0)))
    assert bench.mqtt.dropped["TokenInPayload"] == before + 1
    assert (bench.active, 999) not in bench.stored(bench.active)


def _record_frames(bench: Bench, payload: bytes) -> None:
    """Remember every well-formed frame inside ``payload`` (at any offset), so a stored frame can be
    traced to bytes the fuzzer sent."""
    for start in range(len(payload)):
        if payload[start:start + len(MAGIC)] != MAGIC:
            continue
        try:
            for raw in frame_iter(payload[start:]):
                frame = frame_decode(raw)
                bench.sent.setdefault((frame.device_id, frame.seq), set()).add(raw)
        except FrameError:
            continue
