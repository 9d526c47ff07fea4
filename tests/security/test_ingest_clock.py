"""Issue 20 item 8: frames a device buffered while the server was down keep their true times.

A device without a synchronised clock streams, the server process dies (its in-memory state is lost)
and a new one starts on the same database; the frames the device buffered meanwhile arrive together.
Their stored times must keep the device's spacing and continue the stored record without a jump.
"""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from cardiowatch.protocol import Frame, FrameFlags, SensorKind, frame_encode
from cardiowatch.app import create_app
from cardiowatch.server.config import Settings
from cardiowatch.server.devices import register_device
from cardiowatch.server.storage import crud

FS_MILLIHZ = 256_000
N_SAMPLES = 64
FRAME_US = N_SAMPLES * 1_000_000_000 // FS_MILLIHZ  #: 250 000 µs
T0_S = 1_700_000_000.0
BOOT_T_US = 7_000_000  #: device clock (time since boot) at seq 0
FRAMES = "/api/v1/ingest/frames"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def frame_bytes(device_id: int, seq: int, flags: FrameFlags = FrameFlags.NONE, t_us: int | None = None) -> bytes:
    return frame_encode(Frame(device_id=device_id, seq=seq, t_us=BOOT_T_US + seq * FRAME_US if t_us is None else t_us,
                              fs_millihz=FS_MILLIHZ, sensor=SensorKind.ECG, samples=np.arange(N_SAMPLES) % 9,
                              flags=flags, scale_nv=8000))


def server(tmp_path, clock: Clock) -> TestClient:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cw.db'}", alert_tick_s=3600.0, retention_days=0,
                        thingspeak=False)
    return TestClient(create_app(settings, pipeline_factory=None, clock=clock))


def stored_times(client: TestClient, device_id: int) -> dict[int, int]:
    with client.app.state.session_factory() as session:
        return {c.seq: c.t_us for c in crud.list_chunks(session=session, device_id=device_id)}


def test_frames_buffered_across_a_server_restart_keep_their_spacing(tmp_path):
    clock = Clock(T0_S)
    with server(tmp_path, clock) as first:
        with first.app.state.session_factory() as session:
            device, token = register_device(session=session, name="patient", now=T0_S)
            session.commit()
        auth = {"Authorization": f"Bearer {token}"}
        for seq in range(138):
            clock.now += FRAME_US / 1e6
            assert first.post(FRAMES, content=frame_bytes(device.id, seq), headers=auth).status_code == 200
    clock.now += 7.0  # down for 7 s; the device buffered ten frames meanwhile
    with server(tmp_path, clock) as second:
        batch = b"".join(frame_bytes(device.id, seq) for seq in range(138, 148))
        assert second.post(FRAMES, content=batch, headers=auth).json()["stored"] == list(range(138, 148))
        times = stored_times(second, device.id)
    steps = [times[seq + 1] - times[seq] for seq in range(137, 147)]
    assert steps == [FRAME_US] * 10
    assert times[147] + FRAME_US <= clock.now * 1e6


def test_a_burst_from_a_device_seen_for_the_first_time_keeps_its_spacing_and_is_not_in_the_future(tmp_path):
    clock = Clock(T0_S)
    with server(tmp_path, clock) as client:
        with client.app.state.session_factory() as session:
            device, token = register_device(session=session, name="patient", now=T0_S)
            session.commit()
        batch = b"".join(frame_bytes(device.id, seq) for seq in range(10))
        client.post(FRAMES, content=batch, headers={"Authorization": f"Bearer {token}"})
        times = stored_times(client, device.id)
    assert [times[s + 1] - times[s] for s in range(9)] == [FRAME_US] * 9
    assert times[9] + FRAME_US == int(clock.now * 1e6)  # the last sample arrived with the burst


def test_a_clock_synced_frame_claiming_the_future_does_not_move_later_frames(tmp_path):
    clock = Clock(T0_S)
    with server(tmp_path, clock) as client:
        with client.app.state.session_factory() as session:
            device, token = register_device(session=session, name="patient", now=T0_S)
            session.commit()
        auth = {"Authorization": f"Bearer {token}"}
        synced = int(T0_S * 1e6)
        for seq in range(4):
            clock.now += FRAME_US / 1e6
            future = seq == 1
            t_us = synced + seq * FRAME_US + (10**15 if future else 0)
            client.post(FRAMES, content=frame_bytes(device.id, seq, FrameFlags.CLOCK_SYNCED, t_us), headers=auth)
        times = stored_times(client, device.id)
    assert times[1] + FRAME_US <= clock.now * 1e6
    assert (times[2], times[3]) == (synced + 2 * FRAME_US, synced + 3 * FRAME_US)
