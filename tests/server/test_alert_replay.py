"""The server's alert rules offline (`cardiowatch.server.alert_replay`): the same mapping and engine."""

from __future__ import annotations

import numpy as np
import pytest

from cardiowatch.server.alert_replay import AlertReplay, interval_analyses

FS = 250.0


def _alerts(rr: np.ndarray, labels: np.ndarray | None) -> list:
    beats = np.round(np.cumsum(rr) * FS).astype(np.int64)
    replay = AlertReplay()
    now = 0.0
    for now, analysis in interval_analyses(beats, labels, fs=FS):
        replay.analysis(analysis, now=now)
    return replay.finish(now=now)


def _sinus(n: int, rng: np.random.Generator) -> np.ndarray:
    return 0.8 + rng.normal(0.0, 0.02, n)


@pytest.mark.parametrize("label", ["V", "Q"])
def test_a_fast_run_alerts_as_vt_at_once_unless_it_was_read_into_noise(label: str) -> None:
    rng = np.random.default_rng(3)
    rr = np.r_[_sinus(200, rng), np.full(6, 0.4), _sinus(200, rng)]
    labels = np.full(len(rr), "N", dtype=object)
    labels[200:206] = label
    alerts = _alerts(rr, labels)
    vt = [a for a in alerts if a.kind == "ventricular_tachycardia"]
    if label == "Q":
        assert vt == []
    else:
        onset_s = np.sum(rr[:201])
        assert len(vt) == 1 and onset_s < vt[0].raised_s <= onset_s + 3.0  # the third beat, next frame


def test_a_slow_ventricular_run_raises_no_vt_alert() -> None:
    rng = np.random.default_rng(4)
    rr = np.r_[_sinus(200, rng), np.full(6, 0.75), _sinus(200, rng)]  # 80 bpm: idioventricular
    labels = np.full(len(rr), "N", dtype=object)
    labels[200:206] = "V"
    assert [a.kind for a in _alerts(rr, labels) if a.kind == "ventricular_tachycardia"] == []


def test_a_pause_alerts_and_resolves_on_the_engine_clock() -> None:
    rng = np.random.default_rng(5)
    rr = np.r_[_sinus(100, rng), 2.6, _sinus(100, rng)]
    alerts = _alerts(rr, None)
    pause_at = np.sum(rr[:101])
    assert [a.kind for a in alerts] == ["pause"]
    assert pause_at <= alerts[0].raised_s <= pause_at + 1.0
    assert alerts[0].resolved_s is not None
