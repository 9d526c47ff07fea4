"""Issue 23: the cluster (RabbitMQ partitions, `cardiowatch worker`, an API node) stores every frame and beat
exactly once while workers die and join, raises every VT/AF alert of a replayed record and never one twice
at once, relays live messages and alert actions, and refuses a revoked device on every node at once.

One real cluster per module (`cardiowatch.server.cluster_run.ClusterProcesses`: 2 workers and an API node
as processes) on a RabbitMQ virtual host and a PostgreSQL schema of its own; loopback only.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from cluster_helpers import Cluster, running_cluster, wait_subscribed
from cluster_helpers import register as _register

from cardiowatch.protocol import Frame, FrameFlags, SensorKind, frame_encode
from cardiowatch.server.storage import crud

SPEED = 5.0  #: record seconds per wall-clock second, for the devices and the workers' alert clock
RECORD, SECONDS = "203", 100  # mitdb 203: AF from the start, ventricular runs at 47 s and 92 s
FRAME_SAMPLES = 180  # 500 ms at 360 Hz
T0_US = 1_764_000_000_000_000
N_DEVICES = 4
ALERTS_CHECKED = ("ventricular_tachycardia", "atrial_fibrillation")


def _record_counts() -> np.ndarray:
    from cardiowatch.data import read_record

    record = read_record("mitdb", RECORD)
    return np.round(record.signals["MLII"][: SECONDS * 360] * 1e6 / 8000).astype(np.int64)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("cluster-logs"), speed=SPEED) as running:
        yield running


def _frames(device_id: int, counts: np.ndarray) -> list[bytes]:
    return [frame_encode(Frame(device_id=device_id, seq=seq, t_us=T0_US + start * 10**9 // 360_000,
                               fs_millihz=360_000, sensor=SensorKind.ECG, samples=counts[start: start + FRAME_SAMPLES],
                               flags=FrameFlags.CLOCK_SYNCED, scale_nv=8000))
            for seq, start in enumerate(range(0, len(counts), FRAME_SAMPLES))]


class Device(threading.Thread):
    """Sends its frames at SPEED times real time through the API node, each until it is acknowledged."""

    def __init__(self, base_url: str, device_id: int, token: str, frames: list[bytes]) -> None:
        super().__init__(daemon=True)
        self.base_url, self.device_id, self.token, self.frames = base_url, device_id, token, frames
        self.acked = 0
        self.failures: Counter = Counter()

    def run(self) -> None:
        period = FRAME_SAMPLES / 360 / SPEED
        start = time.monotonic()
        with httpx.Client(base_url=self.base_url, timeout=5.0) as client:
            for seq, frame in enumerate(self.frames):
                time.sleep(max(0.0, start + seq * period - time.monotonic()))
                while True:
                    try:
                        response = client.post("/api/v1/ingest/frames", content=frame,
                                               headers={"Authorization": f"Bearer {self.token}"})
                        if response.status_code == 200:
                            break
                        self.failures[response.status_code] += 1
                    except httpx.TransportError as exc:
                        self.failures[type(exc).__name__] += 1
                    time.sleep(0.05)
                self.acked += 1


def _offline_beats(counts: np.ndarray) -> list[tuple[int, str]]:
    from cardiowatch.pipeline import Pipeline, PipelineConfig

    out = Pipeline(PipelineConfig(fs=360.0, sensor="ecg")).process(counts.astype(np.float64) * 8e-3)
    return [(b.sample, b.label) for b in out.beats]


def _reference_alerts(tmp_path: Path, frames: list[bytes]) -> Counter:
    """Alert kinds an uninterrupted worker raises on the record, its clock at the record's own speed."""
    from cardiowatch.server.config import Settings
    from cardiowatch.server.devices import register_device
    from cardiowatch.server.ingest import IngestItem, PayloadKind
    from cardiowatch.server.worker import make_worker

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'reference.db'}", summary_period_s=5.0)
    now = [T0_US / 1e6]
    ingestor = make_worker(settings, url="amqp://unused/", partitions=1, clock=lambda: now[0]).ingestor
    with ingestor.session_factory() as session:
        device_id = register_device(session=session, name="reference", now=now[0])[0].id
        session.commit()
    frames = _frames(device_id, _record_counts())
    for seq, frame in enumerate(frames):
        now[0] = T0_US / 1e6 + (seq + 1) * FRAME_SAMPLES / 360
        ingestor.ingest_many([IngestItem(frame, kind=PayloadKind.FRAMES, token=None, transport="test",
                                         broker_device_id=device_id)], now=now[0])
        ingestor.tick(now=now[0])
    with ingestor.session_factory() as session:
        return Counter(a.kind for a in crud.list_alerts(session=session, device_id=device_id))


def _worker_devices(log: Path) -> set[int]:
    return {int(m) for m in re.findall(r"device (\d+) taken over", log.read_text(errors="replace"))}


@pytest.mark.data
@pytest.mark.alone  # the workers' alert clock runs SPEED times real time: a busy neighbour bends it
def test_a_killed_worker_and_a_joining_one_lose_and_repeat_nothing(cluster, mitdb, tmp_path):
    base_url = cluster.processes.base_url
    counts = _record_counts()
    devices = []
    for index in range(N_DEVICES):
        device_id, token = _register(base_url, f"patient-{index}")
        devices.append(Device(base_url, device_id, token, _frames(device_id, counts)))
    expected_beats = _offline_beats(counts)
    expected_alerts = _reference_alerts(tmp_path, devices[0].frames)
    assert all(expected_alerts[kind] >= 1 for kind in ALERTS_CHECKED), expected_alerts

    for device in devices:
        device.start()
    time.sleep(0.3 * SECONDS / SPEED)
    owned = {proc: _worker_devices(cluster.logs / f"worker-{i + 1}.log")
             for i, proc in enumerate(cluster.processes.workers)}
    victim = max(owned, key=lambda proc: len(owned[proc]))
    assert owned[victim], "no worker had a device yet"
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    time.sleep(0.2 * SECONDS / SPEED)
    joiner_log = cluster.logs / "worker-3.log"
    cluster.processes.start_worker("worker-3", log=joiner_log)
    wait_subscribed(joiner_log)
    for device in devices:
        device.join(timeout=3 * SECONDS / SPEED)
    assert all(d.acked == len(d.frames) for d in devices), [d.failures for d in devices]

    def stored() -> list[tuple[list[int], list[tuple[int, str]]]]:
        with cluster.session() as session:
            return [(crud.list_seqs(session=session, device_id=d.device_id),
                     [(round((b.t_us - T0_US) * 360 / 1e6), b.label)
                      for b in crud.list_beats(session=session, device_id=d.device_id)]) for d in devices]

    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        result = stored()
        if all(len(seqs) == len(d.frames) and len(beats) >= len(expected_beats) - 3
               for (seqs, beats), d in zip(result, devices)):
            break
        time.sleep(0.5)
    for (seqs, beats), device in zip(stored(), devices):
        assert seqs == list(range(len(device.frames))), f"device {device.device_id}: frames lost or repeated"
        # every beat the uninterrupted pipeline finds, once, at the same sample: no gap, no duplicate
        assert beats == expected_beats[: len(beats)], f"device {device.device_id}: beats differ"
        assert len(beats) >= len(expected_beats) - 3
    # the joiner may have come up after the record ended (starting a worker takes seconds under load):
    # new devices until one lands on a partition it took over, each frame of them stored once
    taken = _worker_devices(joiner_log)
    for index in range(16):
        if taken:
            break
        new_id, new_token = _register(base_url, f"after-join-{index}")
        for seq, frame in enumerate(_frames(new_id, counts[: 5 * FRAME_SAMPLES])):
            answer = httpx.post(f"{base_url}/api/v1/ingest/frames", content=frame,
                                headers={"Authorization": f"Bearer {new_token}"})
            assert answer.status_code == 200, answer.text
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            with cluster.session() as session:
                if crud.list_seqs(session=session, device_id=new_id) == list(range(5)):
                    break
            time.sleep(0.2)
        else:
            pytest.fail(f"device {new_id}: its frames were not all stored after the join")
        taken = _worker_devices(joiner_log)
    assert taken, "the joining worker took no partition"
    with cluster.session() as session:
        for device in devices:
            alerts = sorted(crud.list_alerts(session=session, device_id=device.device_id), key=lambda a: a.raised_at)
            raised = Counter(a.kind for a in alerts)
            for kind in ALERTS_CHECKED:
                # each alert of the record is raised once, as by an uninterrupted worker
                assert raised[kind] == expected_alerts[kind], f"device {device.device_id}: {dict(raised)}"
                # and never twice at once: a kind is raised again only after the alert before it resolved
                same = [a for a in alerts if a.kind == kind]
                for before, after in zip(same, same[1:]):
                    assert before.resolved_at is not None and before.resolved_at <= after.raised_at, \
                        f"device {device.device_id}: {kind} raised again while open"
