"""Replays through MQTT (the real Mosquitto) with faults on: lost sends, duplicates, reconnects and a
drifting device clock still store every frame exactly once, and the analysis equals the offline pipeline's."""

from __future__ import annotations

import uuid

import pytest
from replay import T0_S, ReplayClock, ReplayServer, replay, stored_beats

from cardiowatch.data import read_record
from cardiowatch.pipeline import analyze_signal
from cardiowatch.simulate.device import Faults
from cardiowatch.simulate.source import source_from_record

MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883
FRAME_SAMPLES = 180
SECONDS = 300
TAIL_S = 10.0


@pytest.mark.data
@pytest.mark.slow
def test_mqtt_replay_with_faults_has_no_gap_no_duplicate_and_offline_results(mitdb, bidmc, tmp_path) -> None:
    from test_replay_ds2 import served_signal

    from cardiowatch.data.record import Record

    try:
        import socket

        socket.create_connection((MQTT_HOST, MQTT_PORT), timeout=1).close()
    except OSError as exc:
        import os

        if os.environ.get("CI"):
            pytest.fail(f"CI needs Mosquitto at {MQTT_HOST}:{MQTT_PORT}: {exc}")
        pytest.skip(f"no MQTT broker at {MQTT_HOST}:{MQTT_PORT}")

    def head(record: Record) -> Record:
        n = int(SECONDS * record.fs)
        return Record(record.name, record.database, record.fs, {k: v[:n] for k, v in record.signals.items()},
                      record.units, None)

    records = [head(read_record(mitdb, "233")), head(read_record(mitdb, "219")), head(read_record(bidmc, "bidmc24",
                                                                                               annotator=None))]
    sources = [source_from_record(r) for r in records]
    prefix = f"cw-e2e-{uuid.uuid4().hex[:8]}"
    faults = Faults(drop_rate=0.05, duplicate_rate=0.05, reconnect_every_s=60.0, clock_drift_ppm=80.0, seed=3)
    with ReplayServer(tmp_path, ReplayClock(T0_S, 1.0),
                      settings={"mqtt_host": MQTT_HOST, "mqtt_port": MQTT_PORT, "mqtt_topic_prefix": prefix}) as server:
        creds, results = replay(server, sources, [f"mqtt-{r.name}" for r in records], speed=0, transport="mqtt",
                                faults=faults, frame_samples=FRAME_SAMPLES, mqtt_host=MQTT_HOST, mqtt_port=MQTT_PORT,
                                mqtt_prefix=prefix)
        stored = {c.device_id: stored_beats(server, c.device_id, fs=r.fs) for c, r in zip(creds, records)}
        states = {c.device_id: server.get(f"/api/v1/devices/{c.device_id}") for c in creds}

    assert sum(r.sends_lost for r in results) > 0 and sum(r.duplicates_sent for r in results) > 0
    assert all(r.reconnects >= 1 for r in results)
    for cred, result, record, source in zip(creds, results, records, sources):
        n_frames = -(-len(source.counts) // FRAME_SAMPLES)
        assert result.frames_rejected == 0
        assert states[cred.device_id]["stored_frames"] == n_frames  # no gap, no duplicate
        offline = analyze_signal(served_signal(source, frame_samples=FRAME_SAMPLES), fs=record.fs,
                                 sensor=source.sensor.modality)
        cutoff = len(source.counts) - int(TAIL_S * record.fs)
        want = [(b.sample, b.label) for b in offline.beats if b.sample < cutoff]
        assert [b for b in stored[cred.device_id] if b[0] < cutoff] == want, record.name
