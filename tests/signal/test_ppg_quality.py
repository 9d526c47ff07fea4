"""Tests of the streaming PPG signal-quality stage (`cardiowatch.signal.ppg_quality`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _ppg_synth import synth_ppg
from cardiowatch.errors import SignalError
from cardiowatch.signal.ppg_quality import PpgSignalQuality, ppg_quality
from cardiowatch.signal.quality_segment import QualityFlag, QualitySegment

FS = 100.0


def _labels_at(segments: list[QualitySegment], n: int) -> np.ndarray:
    labels = np.full(n, "good", dtype="<U16")  # samples outside every bad segment are good
    for s in segments:
        labels[s.start : s.end] = s.flag.value
    return labels


def _clean(rng: np.random.Generator, seconds: float = 60) -> np.ndarray:
    x, _ = synth_ppg(fs=FS, duration_s=seconds, hr_bpm=70, rng=rng, hr_jitter=0.05)
    return 2000 + 300 * x + rng.normal(0, 1.0, len(x))


def test_ppg_quality_rates_a_clean_pulse_wave_good(rng: np.random.Generator) -> None:
    x = _clean(rng)

    segments = ppg_quality(x, fs=FS)

    assert segments == []


def test_ppg_quality_reports_bad_stretches_in_order_without_overlap(rng: np.random.Generator) -> None:
    x = _clean(rng, 45.5)
    x[1000:1600] = np.nan
    x[3000:3400] = 2000.0

    segments = ppg_quality(x, fs=FS)

    assert {QualityFlag.MISSING, QualityFlag.FLAT} <= {s.flag for s in segments}
    assert all(a.end <= b.start for a, b in zip(segments, segments[1:]))
    assert all(not (a.end == b.start and a.flag is b.flag) for a, b in zip(segments, segments[1:]))


@pytest.mark.parametrize(
    ("damage", "label"),
    [
        (lambda x: np.full(800, np.nan), QualityFlag.MISSING),
        (lambda x: np.full(800, 2000.0), QualityFlag.FLAT),
        (lambda x: np.minimum(x, np.percentile(x, 50)), QualityFlag.CLIPPED),
        (lambda x: x + 2000 * np.sin(np.linspace(0, 9 * np.pi, 800)), QualityFlag.MOTION),
        (lambda x: 2000 + 0.05 * (x - 2000), QualityFlag.LOW_PERFUSION),
    ],
    ids=["nan", "flat", "clipped", "motion", "low-perfusion"],
)
def test_ppg_quality_flags_bad_stretches(damage, label: QualityFlag, rng: np.random.Generator) -> None:
    x = _clean(rng)
    x[3000:3800] = damage(x[3000:3800])

    labels = _labels_at(ppg_quality(x, fs=FS), len(x))

    assert np.all(labels[3200:3600] == label.value)
    assert np.all(labels[:2800] == "good")


def test_ppg_quality_flags_samples_at_the_adc_rails(rng: np.random.Generator) -> None:
    x = np.clip(np.round(2000 + 2500 * (_clean(rng) - 2000) / 300), 0, 4095)

    segments = ppg_quality(x, fs=FS, adc_range=(0, 4095))

    assert {s.flag for s in segments} == {QualityFlag.CLIPPED}


def test_ppg_quality_adapts_to_a_lasting_gain_change(rng: np.random.Generator) -> None:
    x = _clean(rng, 120)
    x[6000:] = 2000 + 0.5 * (x[6000:] - 2000)  # finger pressure halves the pulse for good

    labels = _labels_at(ppg_quality(x, fs=FS), len(x))

    assert np.all(labels[9000:] == "good")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(0, 500), max_size=40))
def test_ppg_quality_gives_the_same_segments_for_any_chunk_split(cuts: list[int]) -> None:
    rng = np.random.default_rng(3)
    x = _clean(rng, 40)
    x[1200:1500] = np.nan
    x[2500:2900] = 2000.0
    q = PpgSignalQuality(fs=FS)

    q.reset()
    whole = q.process(x) + q.flush()
    q.reset()
    chunked, pos = [], 0
    for c in cuts:
        chunked += q.process(x[pos : pos + c])
        pos += c
    chunked += q.process(x[pos:]) + q.flush()

    assert chunked == whole


def test_ppg_quality_returns_nothing_for_an_empty_chunk() -> None:
    q = PpgSignalQuality(fs=FS).reset()
    assert q.process(np.zeros(0)) == []
    assert q.flush() == []


def test_ppg_quality_rejects_a_bad_sampling_rate() -> None:
    with pytest.raises(SignalError):
        PpgSignalQuality(fs=-3.0).reset()
