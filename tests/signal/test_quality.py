"""ECG quality flags: each flag on the stretch it names, nothing on clean signal, any chunking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch.signal.quality import EcgQuality, flag_mask
from cardiowatch.signal.quality_segment import QualityFlag, QualitySegment

FS = 250.0


def _clean(rng: np.random.Generator, seconds: float = 30.0) -> np.ndarray:
    t = np.arange(int(seconds * FS)) / FS
    beats = sum(np.exp(-0.5 * ((t - r) / 0.012) ** 2) for r in np.arange(0.5, seconds, 0.8))
    return beats + 0.1 * np.sin(2 * np.pi * 0.3 * t) + 0.01 * rng.normal(size=t.size)


def _segments(x: np.ndarray, **kwargs: object) -> list[QualitySegment]:
    q = EcgQuality(fs=FS, **kwargs)  # type: ignore[arg-type]
    return sorted(q.process(x) + q.flush(), key=lambda s: (s.start, s.flag))


def test_ecg_quality_flags_nothing_on_clean_ecg(rng: np.random.Generator) -> None:
    assert _segments(_clean(rng)) == []


def test_ecg_quality_flags_nan_and_inf_exactly(rng: np.random.Generator) -> None:
    x = _clean(rng)
    x[1000:1100] = np.nan
    x[3000] = np.inf
    assert _segments(x) == [QualitySegment(1000, 1100, "missing"), QualitySegment(3000, 3001, "missing")]


def test_ecg_quality_flags_a_flat_stretch_from_its_first_sample(rng: np.random.Generator) -> None:
    x = _clean(rng)
    x[2000:2600] = 0.05
    assert _segments(x) == [QualitySegment(2000, 2600, "flat")]


def test_ecg_quality_ignores_a_constant_run_shorter_than_the_minimum(rng: np.random.Generator) -> None:
    x = _clean(rng)
    x[2000:2010] = 0.05  # 40 ms: a plateau, not a dead lead
    assert _segments(x) == []


def test_ecg_quality_flags_saturation_at_the_running_extreme(rng: np.random.Generator) -> None:
    x = _clean(rng)
    x[4000:4020] = 3.0  # the amplifier sits at its rail for 80 ms
    assert _segments(x) == [QualitySegment(4000, 4020, "clipped")]


def test_ecg_quality_flags_clipping_at_given_limits(rng: np.random.Generator) -> None:
    x = np.clip(_clean(rng) * 3.0, -1.0, 2.0)  # every R peak cut flat at +2
    segs = _segments(x, limits=(-1.0, 2.0))
    assert segs and {s.flag for s in segs} == {"clipped"}
    assert len(segs) == int(np.sum(np.diff((x >= 2.0).astype(int)) == 1))


def test_ecg_quality_flags_broadband_noise_louder_than_the_ecg(rng: np.random.Generator) -> None:
    x = _clean(rng)
    x[int(10 * FS) : int(14 * FS)] += rng.normal(size=int(4 * FS)) * 1.0
    segs = _segments(x)
    assert [s.flag for s in segs] == ["noisy"]
    assert segs[0].start >= 9 * FS and segs[0].end <= 15 * FS and segs[0].n_samples >= 3 * FS


_BAD = _clean(np.random.default_rng(3))
_BAD[500:540] = np.nan
_BAD[1500:1800] = 0.2
_BAD[3000:3010] = 5.0
_BAD[4000:5000] += np.random.default_rng(4).normal(size=1000)


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(0, 700), max_size=30))
def test_ecg_quality_gives_the_same_segments_for_any_chunk_split(cuts: list[int]) -> None:
    q = EcgQuality(fs=FS)
    whole = sorted(q.process(_BAD) + q.flush(), key=lambda s: (s.start, s.flag))
    q.reset()
    got, pos = [], 0
    for n in cuts:
        got += q.process(_BAD[pos : pos + n])
        pos += n
    got += q.process(_BAD[pos:]) + q.flush()
    assert {s.flag for s in whole} == {"missing", "flat", "clipped", "noisy"}
    assert sorted(got, key=lambda s: (s.start, s.flag)) == whole


def test_flag_mask_names_valid_flags_on_error() -> None:
    with pytest.raises(ValueError, match="'lead_off'.*missing, flat, clipped, noisy"):
        flag_mask(("lead_off",))


def test_ecg_quality_rejects_inverted_limits() -> None:
    with pytest.raises(ValueError):
        EcgQuality(fs=FS, limits=(1.0, -1.0))


def _em_like(rng: np.random.Generator, n: int) -> np.ndarray:
    """Electrode-motion-like noise: 0.5-15 Hz random swings with sharp steps, unit RMS."""
    from scipy.signal import butter, sosfilt

    sos = butter(2, [0.5, 15.0], btype="bandpass", fs=FS, output="sos")
    steps = np.cumsum(rng.normal(size=n) * (rng.random(n) < 0.02))
    noise = sosfilt(sos, rng.normal(size=n)) + 0.2 * (steps - steps.mean())
    return noise / noise.std()


def test_ecg_quality_flags_electrode_motion_noise_but_not_the_ecg_around_it(rng: np.random.Generator) -> None:
    x = _clean(rng, seconds=120.0)
    noisy = slice(int(60 * FS), int(80 * FS))
    x[noisy] += 0.5 * _em_like(rng, x[noisy].size)  # RMS half the R wave: about 3 dB as nstdb counts

    segs = [s for s in _segments(x) if s.flag == "noisy"]

    covered = sum(min(s.end, noisy.stop) - max(s.start, noisy.start) for s in segs if s.end > noisy.start)
    assert covered >= 0.8 * (noisy.stop - noisy.start)
    assert all(s.start >= 58 * FS and s.end <= 82 * FS for s in segs)


def test_ecg_quality_flags_nothing_on_two_minutes_of_clean_ecg(rng: np.random.Generator) -> None:
    assert _segments(_clean(rng, seconds=120.0)) == []


@settings(max_examples=20, deadline=None)
@given(cuts=st.lists(st.integers(0, 3000), max_size=20))
def test_ecg_quality_judges_noise_the_same_for_any_chunk_split(cuts: list[int]) -> None:
    rng = np.random.default_rng(5)
    x = _clean(rng, seconds=90.0)
    x[int(50 * FS) : int(65 * FS)] += 0.5 * _em_like(rng, int(15 * FS))
    q = EcgQuality(fs=FS)
    whole = q.process(x) + q.flush()
    q.reset()
    got, pos = [], 0
    for n in cuts:
        got += q.process(x[pos : pos + n])
        pos += n
    got += q.process(x[pos:]) + q.flush()
    assert [s.flag for s in whole] == ["noisy"]
    assert sorted(got, key=lambda s: (s.start, s.flag)) == sorted(whole, key=lambda s: (s.start, s.flag))
