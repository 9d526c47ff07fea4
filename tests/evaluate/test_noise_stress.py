"""Noise stress: the nstdb SNR definition on synthetic signals, and issue 18's noise targets on DS2.

The data tests run the one streaming `Pipeline` over the DS2 records of mitdb, clean and with the
evaluation half of nstdb ``em`` and ``ma`` at 6 and 0 dB (`cardiowatch.evaluate.noise_stress`); the
same figures are in docs/benchmarks.md (``benchmarks/noise_stress.py``). A missed target is an
``xfail(strict=True)`` that states the target and the measured figure.
"""

from __future__ import annotations

import numpy as np
import pytest

from cardiowatch.data import MITDB_ALL, MITDB_DS2, read_record
from cardiowatch.evaluate.match import DetectionScore, score_detection
from cardiowatch.evaluate.noise_stress import (
    NOISE_PERIOD_S, NOISE_START_S, NoisePart, NoiseStressScore, clean_noisy_share, noise_add_at_snr,
    noise_part, noise_schedule, noise_stress_copy, noise_stress_record, qrs_amplitude,
)
from cardiowatch.signal.qrs import ecg_find_beats

FS = 250.0


def _spikes(seconds: float = 60.0, amplitude: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """A QRS-like spike of ``amplitude`` peak to peak every 0.8 s, on a slow T-like wave."""
    t = np.arange(int(seconds * FS)) / FS
    beats = np.arange(0.5, seconds - 0.5, 0.8)
    x = sum(np.exp(-0.5 * ((t - b) / 0.01) ** 2) - 0.5 * np.exp(-0.5 * ((t - b - 0.03) / 0.01) ** 2)
            for b in beats)
    x = x / np.ptp(x) * amplitude + 0.3 * np.sin(2 * np.pi * t / 0.8)
    return x, np.round(beats * FS).astype(np.int64)


def test_qrs_amplitude_is_the_median_qrs_peak_to_peak() -> None:
    x = np.zeros(int(10 * FS))
    beats = np.arange(1, 10) * int(FS)
    heights = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 4.0, 4.0, 1.0, 1.0])  # two tall ectopic beats
    x[beats] = heights
    x[beats + 5] = -0.5
    assert qrs_amplitude(x, beats, fs=FS) == pytest.approx(1.5)


def test_noise_is_scaled_from_the_qrs_amplitude_not_the_signal_power(rng: np.random.Generator) -> None:
    x, beats = _spikes()
    ptp = qrs_amplitude(x, beats, fs=FS)
    noise = rng.normal(size=x.size // 3) * 7.0 + 3.0  # a shorter part, off-centre: tiled, mean removed

    noisy = noise_add_at_snr(x, noise, 6.0, qrs_ptp=ptp)

    added = noisy - x
    assert 10 * np.log10(ptp**2 / 8 / np.var(added)) == pytest.approx(6.0, abs=1e-9)
    assert abs(added.mean()) < 1e-9
    # the whole-signal-std definition calls the same copy much cleaner than 6 dB
    assert 20 * np.log10(np.std(x) / np.std(added)) < 6.0 - 3.0


def test_noise_is_added_only_where_the_mask_is_on(rng: np.random.Generator) -> None:
    x, _ = _spikes()
    mask = np.zeros(x.size, dtype=bool)
    mask[1000:2000] = True
    noisy = noise_add_at_snr(x, rng.normal(size=500), 0.0, qrs_ptp=1.0, mask=mask)
    assert np.array_equal(noisy[~mask], x[~mask]) and not np.allclose(noisy[mask], x[mask])


def test_noise_schedule_follows_nstdb_from_minute_five() -> None:
    on = noise_schedule(int(15 * 60 * FS), fs=FS)
    at = lambda s: bool(on[int(s * FS)])  # noqa: E731
    assert not at(NOISE_START_S - 1)
    assert at(NOISE_START_S) and at(NOISE_START_S + NOISE_PERIOD_S - 1)
    assert not at(NOISE_START_S + NOISE_PERIOD_S) and at(NOISE_START_S + 2 * NOISE_PERIOD_S)


def test_noise_add_rejects_a_constant_noise() -> None:
    with pytest.raises(ValueError, match="constant"):
        noise_add_at_snr(np.zeros(100), np.ones(10), 6.0, qrs_ptp=1.0)


def test_noise_part_names_the_valid_parts() -> None:
    with pytest.raises(ValueError, match="train"):
        noise_part("em", "test")


# ---------------------------------------------------------------------- real records
@pytest.mark.data
def test_noise_parts_are_the_two_halves_of_the_record(mitdb: str) -> None:
    train, fs = noise_part("em", NoisePart.TRAIN)
    evaluation, _ = noise_part("em", NoisePart.EVAL)
    assert fs == 360.0 and abs(train.size - evaluation.size) <= 1 and not np.array_equal(train[:1000], evaluation[:1000])
    resampled, fs_new = noise_part("em", NoisePart.EVAL, fs=250.0)
    assert fs_new == 250.0 and resampled.size == pytest.approx(evaluation.size * 250 / 360, abs=2)


@pytest.mark.data
@pytest.mark.xdist_group("noise_stress")
def test_noise_flag_marks_under_one_percent_of_clean_mitdb(mitdb: str) -> None:
    share, _ = clean_noisy_share(tuple(MITDB_ALL))
    assert share < 0.01


def _pooled(scores: list[NoiseStressScore]) -> NoiseStressScore:
    total = scores[0]
    for s in scores[1:]:
        total = total + s
    return total


@pytest.fixture(scope="module")
def ds2(mitdb: str) -> dict[tuple[str | None, float | None], NoiseStressScore]:
    runs: dict[tuple[str | None, float | None], NoiseStressScore] = {}
    for noise, snr in [(None, None), ("em", 6.0), ("ma", 6.0)]:
        runs[(noise, snr)] = _pooled([noise_stress_record(r, noise=noise, snr_db=snr) for r in MITDB_DS2])
    return runs


def _at(ds2: dict, snr: float) -> NoiseStressScore:
    return _pooled([ds2[("em", snr)], ds2[("ma", snr)]])


@pytest.mark.data
@pytest.mark.xdist_group("noise_stress")
def test_noise_adds_at_most_half_again_the_clean_false_ectopic_calls(ds2: dict) -> None:
    ratio = _at(ds2, 6.0).false_ectopic_per_hour / ds2[(None, None)].false_ectopic_per_hour
    assert ratio <= 1.5


@pytest.mark.data
@pytest.mark.xdist_group("noise_stress")
@pytest.mark.xfail(strict=True, reason="target N Se >= 95 % at 6 dB (em + ma, Q counted as missed), "
                   "measured 84.52 % with 10.37 % of reference beats reported Q (clean: 93.92 %, Q 1.45 %)")
def test_normal_beats_are_kept_at_6_db(ds2: dict) -> None:
    assert _at(ds2, 6.0).class_score("N").sensitivity >= 0.95


@pytest.mark.data
@pytest.mark.xdist_group("noise_stress")
def test_detection_f1_holds_at_6_db(ds2: dict) -> None:
    assert _at(ds2, 6.0).detection.f1 >= 0.97


@pytest.mark.data
@pytest.mark.xdist_group("noise_stress")
def test_detection_f1_holds_at_0_db(mitdb: str) -> None:
    # the pipeline reports every beat of its QRS detector (Q included), so the detector alone is scored
    total = DetectionScore(0, 0, 0)
    for name in MITDB_DS2:
        rec = read_record("mitdb", name)
        x = rec.signals[rec.ecg_lead()]
        ref = rec.annotations.beats().sample
        for noise in ("em", "ma"):
            y, _ = noise_stress_copy(x, ref, fs=rec.fs, noise=noise, snr_db=0.0, part=NoisePart.EVAL)
            total = total + score_detection(ref, ecg_find_beats(y, fs=rec.fs), fs=rec.fs)
    assert total.f1 >= 0.88
