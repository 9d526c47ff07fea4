"""Issue 20 item 2: one frame far ahead must not silence a patient.

A device streams for 60 s of a controlled server clock; one valid frame with a seq far ahead of its
high-water mark arrives. It must be refused (or never hold back the frames after it), every later frame
must still be analysed, and stored times must stay monotonic and within the time the data arrived.
"""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from cardiowatch.pipeline import Beat, PipelineOutput
from cardiowatch.protocol import Frame, SensorKind, frame_encode
from cardiowatch.app import create_app
from cardiowatch.server.config import Settings
from cardiowatch.server.devices import register_device
from cardiowatch.server.pipelines import RESYNC_AFTER_S
from cardiowatch.server.storage import crud

FS_MILLIHZ = 256_000
N_SAMPLES = 64  #: 0.25 s per frame, exact in binary floating point
FRAME_S = N_SAMPLES * 1000 / FS_MILLIHZ
T0_S = 1_700_000_000.0
FRAMES = "/api/v1/ingest/frames"


class BeatPerFrame:
    """Stands in for the pipeline: one beat at the first sample of every chunk it is fed."""

    def __init__(self) -> None:
        self.n = 0

    def process(self, x: np.ndarray) -> PipelineOutput:
        start, self.n = self.n, self.n + len(x)
        return PipelineOutput(beats=(Beat(start, "N"),))

    def flush(self) -> PipelineOutput:
        return PipelineOutput()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def ecg_frame(device_id: int, seq: int, *, boot_t_us: int = 0) -> bytes:
    """A frame without CLOCK_SYNCED whose device time counts from ``boot_t_us`` at seq 0."""
    return frame_encode(Frame(device_id=device_id, seq=seq, t_us=boot_t_us + round(seq * FRAME_S * 1e6),
                              fs_millihz=FS_MILLIHZ, sensor=SensorKind.ECG,
                              samples=np.full(N_SAMPLES, 100 + seq % 7), scale_nv=8000))


@pytest.fixture
def monitor(tmp_path):
    clock = Clock(T0_S)
    # the stand-in pipeline marks each call with a beat: every frame is analysed as it comes
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cw.db'}", alert_tick_s=3600.0, retention_days=0,
                        thingspeak=False, analysis_chunk_s=0.0)
    with TestClient(create_app(settings, pipeline_factory=lambda fs, modality: BeatPerFrame(),
                               clock=clock)) as client:
        with client.app.state.session_factory() as session:
            device, token = register_device(session=session, name="patient", now=T0_S)
            session.commit()
        yield client, clock, device.id, {"Authorization": f"Bearer {token}"}


def stream(client: TestClient, clock: Clock, device_id: int, auth: dict, seqs, **kwargs) -> list[int]:
    """Send each frame alone, one frame time apart; the HTTP status of each."""
    codes = []
    for seq in seqs:
        clock.now += FRAME_S
        codes.append(client.post(FRAMES, content=ecg_frame(device_id, seq, **kwargs), headers=auth).status_code)
    return codes


def stored(client: TestClient, device_id: int) -> tuple[list[tuple[int, int]], list[int]]:
    """``(seq, t_us)`` of every stored frame in seq order, and every stored beat time."""
    with client.app.state.session_factory() as session:
        chunks = sorted((c.seq, c.t_us) for c in crud.list_chunks(session=session, device_id=device_id))
        beats = [b.t_us for b in crud.list_beats(session=session, device_id=device_id)]
    return chunks, beats


def test_a_frame_far_ahead_is_refused_and_every_later_frame_is_analysed(monitor):
    client, clock, device_id, auth = monitor
    assert set(stream(client, clock, device_id, auth, range(240))) == {200}  # 60 s
    clock.now += FRAME_S
    attack = client.post(FRAMES, content=ecg_frame(device_id, 2**32 - 1), headers=auth)
    codes = stream(client, clock, device_id, auth, range(240, 539))
    chunks, beats = stored(client, device_id)
    assert attack.status_code == 400 and attack.json()["rejected"][0]["error"] == "SeqTooFar"
    assert set(codes) == {200}
    assert [seq for seq, _ in chunks] == list(range(539))  # nothing stored that the device did not send
    assert len(beats) == 539  # every frame after the refused one was analysed
    times = [t_us for _, t_us in chunks]
    assert all(b - a == FRAME_S * 1e6 for a, b in zip(times, times[1:]))
    assert times[0] == T0_S * 1e6 and times[-1] + FRAME_S * 1e6 <= clock.now * 1e6


def test_a_frame_ahead_within_reach_holds_analysis_back_no_longer_than_the_resync_time(monitor):
    client, clock, device_id, auth = monitor
    stream(client, clock, device_id, auth, range(240))
    jumped = stream(client, clock, device_id, auth, [240 + 4000])  # a plausible reboot jump: accepted
    codes = stream(client, clock, device_id, auth, range(240, 400))
    _, beats = stored(client, device_id)
    held_back = int(RESYNC_AFTER_S / FRAME_S) - 1  # frames behind the stream before it counts as stale
    assert jumped == [200] and set(codes) == {200}
    assert len(beats) == 240 + 1 + (160 - held_back)


def test_a_rebooted_device_is_analysed_again_and_its_times_stay_monotonic(monitor):
    client, clock, device_id, auth = monitor
    stream(client, clock, device_id, auth, range(240), boot_t_us=3_000_000)
    clock.now += 20.0  # the reboot: seq resumes from the NVS high-water mark, the device clock from zero
    codes = stream(client, clock, device_id, auth, range(4096, 4096 + 40), boot_t_us=-4096 * round(FRAME_S * 1e6))
    chunks, beats = stored(client, device_id)
    times = [t_us for _, t_us in chunks]
    assert set(codes) == {200}
    assert len(beats) == 280
    assert all(b - a >= FRAME_S * 1e6 for a, b in zip(times, times[1:]))
    assert times[-1] + FRAME_S * 1e6 <= clock.now * 1e6
