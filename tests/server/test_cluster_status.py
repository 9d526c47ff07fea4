"""Issue 23, the cluster's last two gaps: a device's MQTT status reports (through RabbitMQ's MQTT plugin)
reach the worker that owns its frames and raise and suppress there what the single-process server does,
a device cannot publish another's; and every registered device is watched for no data by exactly one
worker, also across a killed worker, its one ``no_data`` alert resolved when frames come again.

One real cluster for the module (2 workers and an API node, `cluster_helpers`) whose API node manages the
devices' RabbitMQ logins, as `CARDIOWATCH_MQTT_ACCOUNTS=rabbitmq` does in production."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import aiomqtt
import httpx
import numpy as np
import pytest
from cluster_helpers import (
    MQTT_PORT,
    T0_US,
    Cluster,
    device_owner,
    ecg_frames,
    register,
    running_mqtt_cluster,
    wait_subscribed,
    worker_logs,
)

from cardiowatch.protocol import Frame, FrameFlags, SensorKind, Status, frame_encode, status_encode
from cardiowatch.server.storage import crud

SPEED = 5.0  #: the workers' alert clock runs this many times real time
PPG_FS, PPG_SAMPLES, PPG_SECONDS, PPG_BPM = 100, 50, 30, 200  # a pulse too fast: extreme tachycardia
NO_DATA_S = 30.0  #: `AlertConfig.no_data_s`, on the alert clock
UNTIL_S = 75.0  #: alert-clock seconds after the data that the alerts are compared at: past every delay it starts


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    with running_mqtt_cluster(tmp_path_factory.mktemp("cluster-logs"), speed=SPEED) as running:
        yield running


def _ppg_frames(device_id: int) -> list[bytes]:
    """A PPG pulse at PPG_BPM (PPG frames carry no lead-off flag: a device's status is what says it)."""
    from cardiowatch.dashboard.harness import synthetic_ppg

    counts = np.round(synthetic_ppg(fs=PPG_FS, seconds=PPG_SECONDS, hr_bpm=PPG_BPM) * 1000).astype(np.int64)
    return [frame_encode(Frame(device_id=device_id, seq=seq, t_us=T0_US + seq * PPG_SAMPLES * 10**6 // PPG_FS,
                               fs_millihz=PPG_FS * 1000, sensor=SensorKind.PPG_ANALOG, flags=FrameFlags.CLOCK_SYNCED,
                               samples=counts[seq * PPG_SAMPLES: (seq + 1) * PPG_SAMPLES], scale_nv=1000))
            for seq in range(len(counts) // PPG_SAMPLES)]


LEAD_OFF_LOW_BATTERY = {"lead_off": True, "battery_pct": 10.0}


def _post_frames(cluster: Cluster, device_id: int, token: str, frames: list[bytes]) -> None:
    for frame in frames:
        response = httpx.post(f"{cluster.processes.base_url}/api/v1/ingest/frames", content=frame,
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 200, response.text


def _wait(what: str, check: Callable[[], object], timeout_s: float = 30.0) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def _alerts(cluster: Cluster, device_id: int, kind: str | None = None) -> list:
    with cluster.session() as session:
        return [a for a in crud.list_alerts(session=session, device_id=device_id) if kind in (None, a.kind)]


def _clock(cluster: Cluster) -> float:
    """The workers' alert clock."""
    start = cluster.processes.clock_start
    return start + (time.time() - start) * SPEED


def _raised_by(cluster: Cluster, device_id: int, kind: str) -> list[str]:
    return [name for name, text in worker_logs(cluster).items() if re.search(rf"raised: {device_id} {kind} ", text)]


async def _publish(cluster: Cluster, login_id: int, token: str, topic: str, payload: bytes) -> None:
    with contextlib.suppress(aiomqtt.MqttError):  # a refused publish closes the connection
        async with aiomqtt.Client("127.0.0.1", MQTT_PORT, username=f"{cluster.vhost}:device-{login_id}",
                                  password=token, identifier=f"device-{login_id}", timeout=5) as client:
            await client.publish(topic, payload, qos=1)


def _single_process_kinds(tmp_path: Path, *, status: bool) -> set[str]:
    """Alert kinds the single-process server raises for a device that sends the lead-off and low-battery
    status (if ``status``), then a second later the test's PPG frames, then nothing for UNTIL_S (its
    clock ticked each second)."""
    from cardiowatch.server.alert_service import AlertService
    from cardiowatch.server.config import Settings
    from cardiowatch.server.devices import register_device
    from cardiowatch.server.ingest import IngestItem, Ingestor, PayloadKind
    from cardiowatch.server.pipelines import PipelineRegistry, default_pipeline_factory
    from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate

    engine = make_engine(f"sqlite:///{tmp_path / f'single-{status}.db'}")
    migrate(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        alerts = AlertService.load(session=session)
        device_id = register_device(session=session, name="reference", now=0.0)[0].id
        session.commit()
    registry = PipelineRegistry(default_pipeline_factory(), live_max_sample_rate_hz=Settings().live_max_sample_rate_hz)
    ingestor = Ingestor(session_factory=sessions, registry=registry, alerts=alerts, max_bytes=65536, max_frames=64,
                        summary_period_s=5.0)

    def item(payload: bytes, kind: PayloadKind) -> IngestItem:
        return IngestItem(payload, kind=kind, token=None, transport="test", broker_device_id=device_id)

    t0 = T0_US / 1e6
    if status:
        report = status_encode(Status(device_id=device_id, **LEAD_OFF_LOW_BATTERY))
        ingestor.ingest_many([item(report, PayloadKind.STATUS)], now=t0)
    ingestor.ingest_many([item(frame, PayloadKind.FRAMES) for frame in _ppg_frames(device_id)], now=t0 + 1)
    for second in range(2, int(UNTIL_S) + 2):
        ingestor.tick(now=t0 + second)
    with sessions() as session:
        kinds = {a.kind for a in crud.list_alerts(session=session, device_id=device_id)}
    engine.dispose()
    return kinds


@pytest.mark.alone  # the workers' alert clock runs SPEED times real time: a busy neighbour bends it
def test_mqtt_status_reaches_the_frames_owner_and_alerts_as_one_process(cluster, tmp_path):
    base_url = cluster.processes.base_url
    device_id, token = register(base_url, "status-device")
    control_id, control_token = register(base_url, "no-status-device")
    other_id, _ = register(base_url, "status-other")
    own = status_encode(Status(device_id=device_id, **LEAD_OFF_LOW_BATTERY))
    asyncio.run(_publish(cluster, device_id, token, f"cardiowatch/{device_id}/status", own))

    def reported(device: int):  # noqa: ANN202 - a StatusReport or None
        with cluster.session() as session:
            return crud.latest_status(session=session, device_id=device)

    report = _wait("the status stored", lambda: reported(device_id))
    assert report.lead_off and report.battery_pct == 10.0
    _post_frames(cluster, device_id, token, _ppg_frames(device_id))
    _post_frames(cluster, control_id, control_token, _ppg_frames(control_id))
    sent_at = _clock(cluster)
    foreign = status_encode(Status(device_id=other_id, lead_off=True))
    asyncio.run(_publish(cluster, device_id, token, f"cardiowatch/{other_id}/status", foreign))
    owner = _wait("the frames' owner", lambda: device_owner(cluster, device_id))
    expected = {True: _single_process_kinds(tmp_path, status=True),
                False: _single_process_kinds(tmp_path, status=False)}
    # what the status changes on one process: lead-off and battery alerts, and no tachycardia alarm
    # while the lead is off (the device without a status gets it)
    assert {"lead_off", "low_battery"} <= expected[True] and "extreme_tachycardia" not in expected[True]
    assert "extreme_tachycardia" in expected[False] and "lead_off" not in expected[False]

    time.sleep(max(0.0, sent_at + UNTIL_S - _clock(cluster)) / SPEED)
    deadline = time.monotonic() + 10.0  # a worker behind on a loaded machine catches up
    while True:
        kinds = {device: {a.kind for a in _alerts(cluster, device)} for device in (device_id, control_id)}
        if (kinds[device_id] >= expected[True] and kinds[control_id] >= expected[False]) or \
                time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert kinds == {device_id: expected[True], control_id: expected[False]}
    # the worker that owns the device's frames raised what its status caused, and no other worker did
    assert _raised_by(cluster, device_id, "lead_off") == [owner]
    assert _raised_by(cluster, device_id, "low_battery") == [owner]
    # the broker refused the status the device published on another device's topic
    assert reported(other_id) is None
    assert not _alerts(cluster, other_id, "lead_off")


@pytest.mark.alone
def test_a_silent_device_gets_one_no_data_alert_across_workers(cluster):
    base_url = cluster.processes.base_url
    silent_id, silent_token = register(base_url, "never-sends")
    first = _wait("the silent device's no_data alert", lambda: _alerts(cluster, silent_id, "no_data"))
    raiser = _wait("the worker that raised it", lambda: _raised_by(cluster, silent_id, "no_data"))
    assert len(first) == 1 and first[0].resolved_at is None and len(raiser) == 1
    workers = {f"worker-{i + 1}": proc for i, proc in enumerate(cluster.processes.workers)}
    # a device that streamed to that worker and goes silent as it dies (new devices until one lands on it)
    streamed, sent_at = [], {silent_id: 0.0}
    for index in range(12):
        device_id, token = register(base_url, f"goes-silent-{index}")
        _post_frames(cluster, device_id, token, ecg_frames(device_id, 2))
        streamed.append((device_id, token))
        sent_at[device_id] = _clock(cluster)
        if _wait("its owner", lambda: device_owner(cluster, device_id)) == raiser[0]:
            break
    victim = workers[raiser[0]]
    victim.send_signal(signal.SIGKILL)  # within the no-data delay of the last frame: nothing raised for it yet
    victim.wait()
    joiner = cluster.logs / "worker-3.log"
    cluster.processes.start_worker("worker-3", log=joiner)
    wait_subscribed(joiner)
    time.sleep(3 * NO_DATA_S / SPEED)  # several no-data delays and sweeps after the kill

    devices = [(silent_id, silent_token), *streamed]
    final_at = _clock(cluster)

    def no_data(device_id: int) -> list:
        # the workers' clock runs ahead of the API node's registration times, so a device may look silent
        # since its registration before its first frames come: what counts is the silence after them (and
        # before the frames sent at the end)
        return [a for a in _alerts(cluster, device_id, "no_data") if sent_at[device_id] < a.raised_at < final_at]

    for device_id, _ in devices:
        _wait(f"device {device_id}'s no_data alert", lambda: no_data(device_id))
    before = {device_id: no_data(device_id) for device_id, _ in devices}
    for device_id, token in devices:
        _post_frames(cluster, device_id, token, ecg_frames(device_id, 2, first_seq=10))
    for device_id, _ in devices:
        _wait(f"device {device_id}'s no_data alert resolved",
              lambda: all(a.resolved_at is not None for a in no_data(device_id)))
    for device_id, _ in devices:
        # exactly one, kept open across the kill, resolved by the data (whichever worker the data reached)
        assert [(a.id, a.resolved_at) for a in before[device_id]] == [(before[device_id][0].id, None)], device_id
        assert [a.id for a in no_data(device_id)] == [before[device_id][0].id], device_id
