"""Pauses from pulse intervals (PPG): a lost pulse raises none, a significant pause does, ECG unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from cardiowatch.pipeline import Pipeline, PipelineConfig
from cardiowatch.rhythm.tracker import RhythmTracker

from rhythm_synthetic import FS, beats_from_rr, sinus_rr


def _kinds(tracker: RhythmTracker, beats: np.ndarray) -> list[str]:
    tracker.process(beats)
    tracker.flush()
    return [e.kind for e in tracker.events()]


def _night(rng: np.random.Generator, n: int = 300) -> np.ndarray:
    """Sinus rhythm at 50 bpm (1.2 s intervals)."""
    return sinus_rr(rng, n, mean_s=1.2)


def test_a_lost_pulse_at_50_bpm_raises_no_pause_from_pulses_but_does_from_an_ecg(rng) -> None:
    beats = beats_from_rr(_night(rng))
    lost = np.delete(beats, 150)  # one pulse lost: a 2.4 s interval
    assert (lost[150] - lost[149]) / FS == pytest.approx(2.4, abs=0.1)
    assert _kinds(PipelineConfig(fs=FS, sensor="ppg").tracker(), lost) == []
    assert _kinds(PipelineConfig(fs=FS, sensor="ecg").tracker(), lost) == ["PAUSE"]


def test_a_true_pause_of_3_5_s_is_raised_from_pulses(rng) -> None:
    rr = _night(rng)
    rr[150] = 3.5
    tracker = PipelineConfig(fs=FS, sensor="ppg").tracker()
    assert _kinds(tracker, beats_from_rr(rr)) == ["PAUSE"]
    pause = tracker.events()[0]
    assert (pause.end_sample - pause.sample) / FS == pytest.approx(3.5, abs=0.01)


def test_two_lost_pulses_past_the_asystole_limit_still_raise_asystole(rng) -> None:
    beats = np.delete(beats_from_rr(_night(rng)), [150, 151, 152])  # 4.8 s without a pulse
    assert _kinds(PipelineConfig(fs=FS, sensor="ppg").tracker(), beats) == ["ASYSTOLE"]


def test_the_ecg_tracker_is_the_default_tracker(rng) -> None:
    rr = sinus_rr(rng, 300)
    rr[[80, 200]] = [2.5, 5.0]
    beats = beats_from_rr(rr)
    ecg = PipelineConfig(fs=FS, sensor="ecg").tracker()
    default = RhythmTracker(fs=FS)
    settings = ("fs", "brady_bpm", "tachy_bpm", "pause_s", "asystole_s", "ectopic_classes")
    assert [getattr(ecg, k) for k in settings] == [getattr(default, k) for k in settings]
    out_ecg = ecg.process(beats) + ecg.flush()
    out_default = default.process(beats) + default.flush()
    assert out_ecg == out_default
    assert [e.kind for e in ecg.events()] == ["PAUSE", "ASYSTOLE"]


def test_the_ppg_pipeline_runs_the_pulse_threshold_and_a_given_one_wins() -> None:
    assert Pipeline(PipelineConfig(fs=FS, sensor="ppg")).tracker_.pause_s == 3.0
    assert PipelineConfig(fs=FS, sensor="ppg", pause_s=2.5).tracker().pause_s == 2.5
    assert PipelineConfig(fs=FS, sensor="ecg").tracker().pause_s == 2.0
    with pytest.raises(ValueError, match="unknown sensor"):
        PipelineConfig(fs=FS, sensor="eeg").tracker()  # type: ignore[arg-type]
