"""The streaming contract of `cardiowatch.stage`, checked on every stateful stage (add yours to STAGES).

Each stage has ``reset()``, ``process(chunk)`` taking any chunk size (0 included) and ``flush()`` at the
end of input. Feeding a signal whole or split anywhere gives the same output, in the same order (events
exactly, floats to rounding); ``reset()`` makes a used stage behave like a new one; a flushed stage
refuses input until reset; an implausible sampling rate is refused; ``delay_s`` is a finite delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch.beats.classifier import BeatClassifier, BeatClassifierStage
from cardiowatch.beats.features import BeatFeatures, EcgBeatFeatureStage
from cardiowatch.errors import SignalError
from cardiowatch.pipeline import Pipeline, PipelineConfig, PipelineOutput
from cardiowatch.rhythm.tracker import RhythmTracker
from cardiowatch.signal.filters import EcgFilter
from cardiowatch.signal.ppg import PpgPulseDetector
from cardiowatch.signal.ppg_quality import PpgSignalQuality
from cardiowatch.signal.qrs import QrsDetector
from cardiowatch.signal.quality import EcgQuality
from cardiowatch.signal.vf import VfDetector
from cardiowatch.stage import Stage, StageState

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
    return [item for part in parts for item in part]


def _join_features(parts: list[BeatFeatures]) -> tuple[np.ndarray, np.ndarray]:
    joined = BeatFeatures.concat(parts)
    return joined.sample, joined.features


def _join_classified(parts: list[list[Any]]) -> tuple[list[tuple[int, str]], np.ndarray]:
    """Beats and classes exactly; probabilities to rounding (a batched inference sums in another order)."""
    beats = _join_lists(parts)
    return [(b.sample, b.aami) for b in beats], np.array([b.prob for b in beats], dtype=np.float32)


def _join_pipeline(parts: list[PipelineOutput]) -> tuple[list[Any], ...]:
    return tuple([item for out in parts for item in getattr(out, name)]
                 for name in ("beats", "rhythm_changes", "events", "quality"))


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
    x[int(18 * fs) : int(21 * fs)] = 2100.0  # long enough to flag a whole 2-s window
    return x


class _WithBeats:
    """Feeds a beat-consuming stage the way the pipeline does: each chunk with the QRS detector's beats."""

    def __init__(self, stage: Any, fs: float) -> None:
        self.stage = stage
        self.detector = QrsDetector(fs=fs)

    delay_s = property(lambda self: self.stage.delay_s)
    state = property(lambda self: self.stage.state)

    def reset(self) -> None:
        self.stage.reset()
        self.detector.reset()

    def process(self, chunk: np.ndarray) -> Any:
        return self.stage.process(chunk, self.detector.process(chunk))

    def flush(self) -> Any:
        last = self.stage.process(np.zeros(0), self.detector.flush())
        rest = self.stage.flush()
        return last + rest if isinstance(rest, list) else BeatFeatures.concat([last, rest])


_CLASSIFIER = BeatClassifier()

STAGES: dict[str, StageSpec] = {
    "EcgFilter": StageSpec(lambda fs: EcgFilter(fs=fs), _join_arrays, _ecg),
    "QrsDetector": StageSpec(lambda fs: QrsDetector(fs=fs), _join_arrays, _ecg),
    "EcgQuality": StageSpec(lambda fs: EcgQuality(fs=fs), _join_lists, _ecg),
    "RhythmTracker": StageSpec(lambda fs: RhythmTracker(fs=fs), _join_lists, _beats),
    "PpgPulseDetector": StageSpec(lambda fs: PpgPulseDetector(fs=fs), _join_arrays, _ppg),
    "PpgSignalQuality": StageSpec(lambda fs: PpgSignalQuality(fs=fs), _join_lists, _ppg),
    "VfDetector": StageSpec(lambda fs: VfDetector(fs=fs), _join_lists, _ecg),
    "EcgBeatFeatureStage": StageSpec(lambda fs: _WithBeats(EcgBeatFeatureStage(fs=fs), fs), _join_features, _ecg),
    "BeatClassifierStage": StageSpec(
        lambda fs: _WithBeats(BeatClassifierStage(fs=fs, classifier=_CLASSIFIER), fs), _join_classified, _ecg),
    "Pipeline(ecg)": StageSpec(lambda fs: Pipeline(PipelineConfig(fs=fs, sensor="ecg"), beat_classifier=_CLASSIFIER),
                               _join_pipeline, _ecg),
    "Pipeline(ppg)": StageSpec(lambda fs: Pipeline(PipelineConfig(fs=fs, sensor="ppg")), _join_pipeline, _ppg),
}

#: How to build each stage at a given rate, for the sampling-rate check (the pipeline wraps its stages).
_AT_RATE: dict[str, Callable[[float], Any]] = {
    "EcgFilter": lambda fs: EcgFilter(fs=fs),
    "QrsDetector": lambda fs: QrsDetector(fs=fs),
    "EcgQuality": lambda fs: EcgQuality(fs=fs),
    "RhythmTracker": lambda fs: RhythmTracker(fs=fs),
    "PpgPulseDetector": lambda fs: PpgPulseDetector(fs=fs),
    "PpgSignalQuality": lambda fs: PpgSignalQuality(fs=fs),
    "VfDetector": lambda fs: VfDetector(fs=fs),
    "EcgBeatFeatureStage": lambda fs: EcgBeatFeatureStage(fs=fs),
    "BeatClassifierStage": lambda fs: BeatClassifierStage(fs=fs, classifier=_CLASSIFIER),
    "Pipeline(ecg)": lambda fs: Pipeline(PipelineConfig(fs=fs, sensor="ecg"), beat_classifier=_CLASSIFIER),
    "Pipeline(ppg)": lambda fs: Pipeline(PipelineConfig(fs=fs, sensor="ppg")),
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
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        if a.dtype.kind == "f":  # float32 model outputs round at 1e-7, float64 signal paths at 1e-16
            rtol, atol = (1e-5, 1e-7) if a.dtype == np.float32 else (1e-9, 1e-12)
            return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
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


@pytest.mark.parametrize("name", list(STAGES))
def test_stage_refuses_input_after_flush_until_reset(name: str) -> None:
    spec = STAGES[name]
    x = spec.signal(FS)
    stage = spec.make(FS)
    stage.reset()
    _run(stage, x[:1000], [])
    assert stage.state is StageState.CLOSED
    with pytest.raises(RuntimeError, match="after flush"):
        stage.process(x[1000:1100])
    with pytest.raises(RuntimeError, match="after flush"):
        stage.flush()
    stage.reset()
    assert stage.state is StageState.OPEN
    stage.process(x[:100])  # open again


@pytest.mark.parametrize("name", list(_AT_RATE))
@pytest.mark.parametrize("fs", [0.0, -250.0, float("nan"), 1e6])
def test_stage_refuses_an_implausible_sampling_rate(name: str, fs: float) -> None:
    with pytest.raises(SignalError, match="sampling rate"):
        stage = _AT_RATE[name](fs)
        stage.reset()


@pytest.mark.parametrize("name", list(_AT_RATE))
def test_stage_follows_the_stage_protocol_with_a_finite_delay(name: str) -> None:
    stage = _AT_RATE[name](FS)
    stage.reset()
    assert isinstance(stage, Stage)
    assert 0.0 <= stage.delay_s < 600.0
