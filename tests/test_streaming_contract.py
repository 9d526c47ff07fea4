"""The streaming contract, checked on every stateful stage (add yours to STAGES).

Each stage has ``reset()``, ``process(chunk)`` taking any chunk size (0 included) and ``flush()`` at the
end of input. Feeding a signal whole or split anywhere gives the same output (events exactly, floats
to rounding), and ``reset()`` makes a used stage behave like a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch.rhythm.tracker import RhythmTracker
from cardiowatch.signal.filters import EcgFilter
from cardiowatch.signal.ppg import PpgPulseDetector
from cardiowatch.signal.ppg_quality import PpgSignalQuality
from cardiowatch.signal.qrs import QrsDetector
from cardiowatch.signal.quality import EcgQuality
from cardiowatch.signal.vf import VfDetector

FS = 250.0


@dataclass(frozen=True)
class StageSpec:
    """How to build a stage and how to join its per-call outputs into one comparable value."""

    make: Callable[[float], Any]
    join: Callable[[list[Any]], Any]
    signal: Callable[[float], np.ndarray]


def _join_arrays(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(p) for p in parts]) if parts else np.zeros(0)


def _join_lists(parts: list[list[Any]]) -> list[Any]:
    return sorted((item for part in parts for item in part), key=repr)


def _ecg(fs: float) -> np.ndarray:
    """12 s of a spiky ECG-like signal with a NaN gap, a flat stretch and noise."""
    rng = np.random.default_rng(11)
    t = np.arange(int(12 * fs)) / fs
    x = sum(np.exp(-0.5 * ((t - r) / 0.012) ** 2) for r in np.arange(0.4, 12, 0.75))
    x = x + 0.05 * np.sin(2 * np.pi * 0.3 * t) + 0.01 * rng.normal(size=t.size)
    x[int(3 * fs) : int(3.2 * fs)] = np.nan
    x[int(6 * fs) : int(6.5 * fs)] = 0.1
    return x


def _beats(fs: float) -> np.ndarray:
    """Beat times for RhythmTracker: 5 min of sinus rhythm, 8 min of AF, a 2.5 s pause, sinus again."""
    rng = np.random.default_rng(12)
    rr = np.r_[0.8 + 0.01 * rng.normal(size=400), rng.uniform(0.35, 1.05, 700), 2.5,
               0.8 + 0.01 * rng.normal(size=300)]
    return np.round(np.cumsum(rr) * fs).astype(np.int64)


def _ppg(fs: float) -> np.ndarray:
    """40 s of a PPG-like wave (systolic + dicrotic), every 7th beat premature with a weak pulse,
    a NaN gap, a flat stretch, a step of the level and noise."""
    rng = np.random.default_rng(13)
    t = np.arange(int(40 * fs)) / fs
    onsets, heights, o = [], [], 0.3
    while o < 40:
        premature = len(onsets) % 7 == 6
        onsets.append(o)
        heights.append(0.35 if premature else 1.0)
        o += 0.45 if len(onsets) % 7 == 6 else (1.1 if premature else 0.8)
    x = sum(h * (np.exp(-0.5 * ((t - a - 0.15) / 0.06) ** 2) + 0.35 * np.exp(-0.5 * ((t - a - 0.4) / 0.07) ** 2))
            for a, h in zip(onsets, heights))
    x = 2000 + 300 * x + 150 * (t > 25) + 2.0 * rng.normal(size=t.size)
    x[int(10 * fs) : int(10.4 * fs)] = np.nan
    x[int(18 * fs) : int(19 * fs)] = 2100.0
    return x


STAGES: dict[str, StageSpec] = {
    "EcgFilter": StageSpec(lambda fs: EcgFilter(fs=fs), _join_arrays, _ecg),
    "QrsDetector": StageSpec(lambda fs: QrsDetector(fs=fs), _join_arrays, _ecg),
    "EcgQuality": StageSpec(lambda fs: EcgQuality(fs=fs), _join_lists, _ecg),
    "RhythmTracker": StageSpec(lambda fs: RhythmTracker(fs=fs), _join_lists, _beats),
    "PpgPulseDetector": StageSpec(lambda fs: PpgPulseDetector(fs=fs), _join_arrays, _ppg),
    "PpgSignalQuality": StageSpec(lambda fs: PpgSignalQuality(fs=fs), _join_lists, _ppg),
    "VfDetector": StageSpec(lambda fs: VfDetector(fs=fs), _join_lists, _ecg),
}


def _run(stage: Any, x: np.ndarray, cuts: list[int]) -> list[Any]:
    outs, pos = [], 0
    for n in cuts:
        outs.append(stage.process(x[pos : pos + n]))
        pos += n
    outs.append(stage.process(x[pos:]))
    outs.append(stage.flush())
    return outs


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        if a.dtype.kind == "f":
            return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))
        return bool(np.array_equal(a, b))
    return a == b


@pytest.mark.parametrize("name", list(STAGES))
@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(0, 500), max_size=25))
def test_stage_output_is_the_same_for_any_chunk_split(name: str, cuts: list[int]) -> None:
    spec = STAGES[name]
    x = spec.signal(FS)
    stage = spec.make(FS)
    stage.reset()
    whole = spec.join(_run(stage, x, []))
    assert len(whole) > 0  # a stage that outputs nothing would pass vacuously
    stage.reset()
    assert _equal(spec.join(_run(stage, x, cuts)), whole)


@pytest.mark.parametrize("name", list(STAGES))
def test_stage_accepts_empty_chunks_anywhere(name: str) -> None:
    spec = STAGES[name]
    x = spec.signal(FS)
    stage = spec.make(FS)
    stage.reset()
    whole = spec.join(_run(stage, x, []))
    stage.reset()
    outs = [stage.process(x[:0])]
    outs += _run(stage, x, [0, 100, 0, 0, 250])
    assert _equal(spec.join(outs), whole)


@pytest.mark.parametrize("name", list(STAGES))
def test_stage_reset_makes_a_used_stage_behave_like_a_new_one(name: str) -> None:
    spec = STAGES[name]
    x = spec.signal(FS)
    fresh = spec.make(FS)
    fresh.reset()
    expected = spec.join(_run(fresh, x, [777]))
    used = spec.make(FS)
    used.reset()
    _run(used, x[::-1].copy(), [333])  # some other input first
    used.reset()
    assert _equal(spec.join(_run(used, x, [777])), expected)
