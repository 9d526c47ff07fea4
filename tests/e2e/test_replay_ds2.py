"""Every DS2 record through the running server, accelerated: stored beats and classes equal the offline
pipeline's, and an alert follows every annotated ventricular tachycardia and atrial fibrillation episode.

Latency targets, in the record's own time from the annotated onset: VT alert within `VT_ALERT_S` (a run is
told at its third fast V beat, classified one beat late, and VT alerts have no hysteresis); AF alert within `AF_ALERT_S` (AF is
confirmed 20 beats after the 32-interval window turns irregular, about 20-45 s, then the alert waits its 30 s
hysteresis). AF episodes (AFIB and AFL, joined when less than the AF alert's 60-s clear delay apart)
shorter than `AF_MIN_S` are below what the alert is designed to raise and are reported, not required.

The targets (the alarms issue): every such episode alerted in time and at most `MAX_FALSE_ALERTS_PER_H`
false VT/AF alerts per hour. Each is its own test; a missed one is an ``xfail(strict=True)`` naming the
target and the measured figure, so it flips when met. The replay runs once per module and writes every miss
and false alert to ``e2e_ds2_replay.json`` (``$CW_REPORT_DIR``); ``benchmarks/e2e_replay.py`` turns that
into the docs table.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest
from replay import T0_S, ReplayClock, ReplayServer, record_time_at, replay, stored_beats

from cardiowatch.data import MITDB_DS2, read_record
from cardiowatch.evaluate.match import match_beats
from cardiowatch.pipeline import analyze_signal
from cardiowatch.protocol import frame_decode
from cardiowatch.server.pipelines import frame_signal
from cardiowatch.simulate.device import VirtualDevice
from cardiowatch.simulate.source import source_from_record

log = logging.getLogger(__name__)

SPEED = 12.0
FRAME_SAMPLES = 360
VT_ALERT_S = 10.0
AF_ALERT_S = 120.0
AF_MIN_S = 60.0
AF_JOIN_S = 60.0
#: False VT/AF alerts per hour of replayed record the alarm budget allows (the alarms issue's target).
MAX_FALSE_ALERTS_PER_H = 0.2
#: Record time from the pipeline's detection to the alert, beyond the alert's own hysteresis (the
#: measurement errs late by up to one send of 2 frames = 2 s). Seen on a busy machine: at most 3.5 s.
SYSTEM_ALERT_S = 5.0
#: Hysteresis of the AF alert (server/alert_types.py DEFAULT_TIMING): AF must last this long to alert.
AF_RAISE_S = 30.0
#: Beats this close to the end may still sit in the server's look-ahead (it never saw the end of input).
TAIL_S = 10.0


def reference_episodes(annotations, *, fs: float, n_samples: int) -> list[tuple[str, float, float]]:
    """(kind "VT" or "AF", onset s, end s) from the record's rhythm annotations."""
    kinds = {"(VT": "VT", "(VFL": "VT", "(AFIB": "AF", "(AFL": "AF"}
    changes = annotations.rhythm_changes() + [(n_samples, "(END")]
    episodes: list[list] = []
    for (start, rhythm), (end, _) in zip(changes, changes[1:]):
        kind = kinds.get(rhythm)
        if kind is None:
            continue
        join_s = AF_JOIN_S if kind == "AF" else 0.0
        if episodes and episodes[-1][0] == kind and start / fs - episodes[-1][2] <= join_s:
            episodes[-1][2] = end / fs
        else:
            episodes.append([kind, start / fs, end / fs])
    return [tuple(e) for e in episodes]


def offline_detections(analysis, *, fs: float) -> list[tuple[str, float, float]]:
    """(kind, detection s, the alert's hysteresis s) of each VT and lasting AF the pipeline reports."""
    onsets = [e.detected_sample for e in analysis.events if e.kind == "VT_ONSET"]
    found = [("VT", onset / fs, 0.0) for onset in onsets]
    changes = list(analysis.rhythm_changes)
    for change, nxt in zip(changes, changes[1:] + [None]):
        detected_s = change.detected_sample / fs
        end = nxt.sample if nxt is not None else analysis.n_samples
        # The rhythm VT is dated back to the run's first beat and decided up to ~16 beats later, often
        # after the run's VT_ONSET was told and its alert has cleared: one run is one detection, judged
        # at its first telling (mitdb 233: run at 27.7 s told at 28.8 s, its rhythm decided at 42.2 s).
        if change.rhythm == "VT" and not any(change.sample <= onset <= end for onset in onsets):
            found.append(("VT", detected_s, 0.0))
        elif change.rhythm == "AFIB":
            end_s = (nxt.detected_sample if nxt is not None else analysis.n_samples) / fs
            if end_s - detected_s >= AF_RAISE_S + 2 * SYSTEM_ALERT_S:  # lasts long enough to be raised
                found.append(("AF", detected_s, AF_RAISE_S))
    return found


def alert_delay(mine: list[dict], alert_kind: str, onset_s: float, result, clock,
                *, seconds_per_frame: float) -> float:
    """Record time from ``onset_s`` to the first alert of ``alert_kind`` open at or after it (inf if none)."""
    def at(t: float) -> float:
        return record_time_at(result, clock, t, seconds_per_frame=seconds_per_frame)

    delays = [max(0.0, at(a["raised_at"]) - onset_s) for a in mine if a["kind"] == alert_kind
              and (a["resolved_at"] is None or at(a["resolved_at"]) >= onset_s)]
    return min(delays, default=float("inf"))


def served_signal(source, *, frame_samples: int) -> np.ndarray:
    """Exactly what the server analyses: the device's frames decoded and scaled as the server does."""
    device = VirtualDevice(1, "t", source, frame_samples=frame_samples)
    return np.concatenate([frame_signal(frame_decode(f.data)) for f in device.frames_until(float("inf"))])


# `alone`: `make test` runs it after the rest, by itself: the in-time targets are judged on the wall clock
# (the server's accelerated clock), which a test process busy beside it would take from the server
pytestmark = [pytest.mark.data, pytest.mark.slow, pytest.mark.alone, pytest.mark.xdist_group("e2e_ds2")]


@pytest.fixture(scope="module")
def replay_report(mitdb, tmp_path_factory) -> dict:
    """Replay all DS2 records through one server; check storage and offline equality on the way."""
    tmp_path = tmp_path_factory.mktemp("ds2")
    records = [read_record(mitdb, r) for r in MITDB_DS2]
    sources = [source_from_record(r) for r in records]
    clock = ReplayClock(T0_S, SPEED)
    with ReplayServer(tmp_path, clock, settings={"alert_tick_s": 0.2}) as server:
        creds, results = replay(server, sources, [f"ds2-{r.name}" for r in records], speed=SPEED,
                       frame_samples=FRAME_SAMPLES)
        stored = {c.device_id: stored_beats(server, c.device_id, fs=r.fs) for c, r in zip(creds, records)}
        alerts = server.get("/api/v1/alerts", limit=5000)
        frames_stored = {c.device_id: server.get(f"/api/v1/devices/{c.device_id}")["stored_frames"] for c in creds}

    report = {"records": {}, "alerted": [], "missed": [], "system_missed": [], "system_delay_s": [],
              "false_alerts": [],
              "latency_s": {"VT": [], "AF": []}}
    hours = 0.0
    for cred, result, record, source in zip(creds, results, records, sources):
        fs = record.fs
        n_frames = -(-len(source.counts) // FRAME_SAMPLES)
        assert frames_stored[cred.device_id] == n_frames, f"{record.name}: gap or duplicate in stored frames"

        # Stored beats and classes equal the offline pipeline's on the same samples.
        offline = analyze_signal(served_signal(source, frame_samples=FRAME_SAMPLES), fs=fs, sensor="ecg")
        cutoff = len(source.counts) - int(TAIL_S * fs)
        want = [(b.sample, b.label) for b in offline.beats if b.sample < cutoff]
        got = [b for b in stored[cred.device_id] if b[0] < cutoff]
        assert got == want, f"{record.name}: stored beats differ from the offline pipeline"

        # Every annotated VT and long-enough AF episode has its alert in time (record time, see replay.py).
        mine = [a for a in alerts if a["device_id"] == cred.device_id]
        episodes = reference_episodes(record.annotations, fs=fs, n_samples=len(source.counts))
        seconds_per_frame = FRAME_SAMPLES / fs
        for kind, onset_s, end_s in episodes:
            alert_kind = "ventricular_tachycardia" if kind == "VT" else "atrial_fibrillation"
            limit_s = VT_ALERT_S if kind == "VT" else AF_ALERT_S
            if kind == "AF" and end_s - onset_s < AF_MIN_S:
                continue
            latency = alert_delay(mine, alert_kind, onset_s, result, clock, seconds_per_frame=seconds_per_frame)
            entry = (record.name, kind, round(onset_s, 1), round(end_s - onset_s, 1), round(latency, 1))
            if latency <= limit_s:
                report["alerted"].append(entry)
                report["latency_s"][kind].append(latency)
            else:
                report["missed"].append(entry)
        # The server alerts on everything the offline pipeline detects: it adds no misses of its own.
        for kind, detected_s, hysteresis_s in offline_detections(offline, fs=fs):
            if detected_s + hysteresis_s + SYSTEM_ALERT_S > (len(source.counts) / fs) - TAIL_S:
                continue
            alert_kind = "ventricular_tachycardia" if kind == "VT" else "atrial_fibrillation"
            delay = alert_delay(mine, alert_kind, detected_s, result, clock, seconds_per_frame=seconds_per_frame)
            report["system_delay_s"].append(round(delay - hysteresis_s, 1))
            if delay - hysteresis_s > SYSTEM_ALERT_S:
                report["system_missed"].append((record.name, kind, round(detected_s, 1)))
        # False alerts: VT/AF alerts raised with no such episode (or its alert window) around them.
        for a in mine:
            kind = {"ventricular_tachycardia": "VT", "atrial_fibrillation": "AF"}.get(a["kind"])
            if kind is None:
                continue
            t = record_time_at(result, clock, a["raised_at"], seconds_per_frame=seconds_per_frame)
            if not any(k == kind and s - 5 <= t <= e + AF_ALERT_S for k, s, e in episodes):
                report["false_alerts"].append((record.name, kind, round(t, 1)))
        hours += len(source.counts) / fs / 3600
        report["records"][record.name] = {"beats": len(got), "alerts": len(mine)}

    report["false_alerts_per_hour"] = len(report["false_alerts"]) / hours
    out = Path(os.environ.get("CW_REPORT_DIR", tmp_path)) / "e2e_ds2_replay.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    log.info("DS2 replay: %s", json.dumps({k: v for k, v in report.items() if k != "records"}))
    return report


def test_server_alerts_on_everything_the_offline_pipeline_detects(replay_report) -> None:
    assert not replay_report["system_missed"], f"not alerted: {replay_report['system_missed']}"


def _alerted(report: dict, kind: str) -> tuple[int, int]:
    alerted = sum(1 for e in report["alerted"] if e[1] == kind)
    return alerted, alerted + sum(1 for e in report["missed"] if e[1] == kind)


@pytest.mark.xfail(strict=True, reason="target: 21 of 21 VT episodes alerted in time; measured 16 of 21 "
                   "(benchmarks/e2e_replay.py, and offline with benchmarks/alarm_budget.py)")
def test_every_vt_episode_is_alerted_in_time(replay_report) -> None:
    alerted, total = _alerted(replay_report, "VT")
    assert total == 21
    assert alerted == total, f"VT: {alerted} of {total} alerted; missed {replay_report['missed']}"


@pytest.mark.xfail(strict=True, reason="target: 11 of 11 AF episodes alerted in time; measured 9 of 11")
def test_every_af_episode_is_alerted_in_time(replay_report) -> None:
    alerted, total = _alerted(replay_report, "AF")
    assert total == 11
    assert alerted == total, f"AF: {alerted} of {total} alerted; missed {replay_report['missed']}"


@pytest.mark.xfail(strict=True, reason="target: <= 0.2 false VT/AF alerts per hour; measured 0.45 "
                   "(benchmarks/e2e_replay.py; 0.45 offline with benchmarks/alarm_budget.py)")
def test_false_vt_and_af_alerts_stay_within_the_budget(replay_report) -> None:
    assert replay_report["false_alerts_per_hour"] <= MAX_FALSE_ALERTS_PER_H, replay_report["false_alerts"]
