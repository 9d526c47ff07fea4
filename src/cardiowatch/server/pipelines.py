"""Per-device analysis: one streaming `cardiowatch.pipeline.Pipeline` per device, fed frames in order.

The server does no analysis of its own: this module turns frames into the pipeline's input (one
channel, physical units where the frame declares a scale, NaN while a lead is off) and the pipeline's
`PipelineOutput` (sample indices since the last reset) into server time (Unix µs). A jump in the sequence
numbers, a new sampling rate or a new sensor kind resets the device's pipeline, as the streaming
contract asks; a frame behind the stream (a late resend) is stored but not analysed live, unless the
stream has had no frame in order for `RESYNC_AFTER_S`: then the stream restarts from it, so one frame
far ahead can never silence the frames that follow it.

The pipeline's cost is per call, not per sample, so a device's in-order samples are held until
``analysis_chunk_s`` of them have arrived and then analysed in one call; the live waveform still goes out
per frame. The pipeline is chunk-invariant (tests/test_streaming_contract.py), so the beats, rhythm and
events are those of per-frame analysis, up to ``analysis_chunk_s`` later. Whatever ends a stream (a reset,
`flush`) analyses what is held first, and `due` names the streams whose held samples have waited
``analysis_chunk_s`` (a device gone quiet) for `drain`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from cardiowatch.errors import ModelError
from cardiowatch.pipeline import Pipeline, PipelineConfig, PipelineOutput
from cardiowatch.protocol import Frame, FrameFlags, SensorKind
from cardiowatch.server.devices import STALE_AFTER_S
from cardiowatch.signal.quality_segment import QualityFlag

logger = logging.getLogger(__name__)

#: Column fed to the pipeline for each sensor: IR for the MAX30102 (the stronger pulse signal).
ANALYSED_CHANNEL = {SensorKind.ECG: 0, SensorKind.PPG_RED_IR: 1, SensorKind.PPG_ANALOG: 0}
#: A stream with no frame in order for this long (server time) follows the frames behind it: the device
#: link counts as stale by then, so whatever moved the stream ahead is not this device's live data.
RESYNC_AFTER_S = STALE_AFTER_S


class PipelineLike(Protocol):
    def process(self, samples: np.ndarray) -> PipelineOutput | None: ...
    def flush(self) -> PipelineOutput | None: ...


PipelineFactory = Callable[[float, str], "PipelineLike | None"]


def default_pipeline_factory() -> PipelineFactory:
    """Makes the project's streaming pipeline for a device's rate and modality.

    The ECG beat classifier is loaded now (seconds, not on the first frame of the first device) and
    shared by every device's pipeline. When it is missing (not trained yet), ECG frames are stored but not
    analysed, and a warning says so once.
    """
    classifier: object | None = None
    try:
        from cardiowatch.beats.classifier import BeatClassifier

        classifier = BeatClassifier()
    except ModelError as exc:
        logger.warning("ECG frames are stored but not analysed: %s", exc)

    def factory(fs: float, modality: str) -> PipelineLike | None:
        if modality == "ecg" and classifier is None:
            return None
        return Pipeline(PipelineConfig(fs=fs, sensor=modality), beat_classifier=classifier)

    return factory


@dataclass(frozen=True)
class TimedBeat:
    t_us: int
    label: str  #: AAMI class, "" for a PPG pulse


@dataclass(frozen=True)
class TimedRhythm:
    t_us: int
    rhythm: str  #: a `cardiowatch.rhythm.tracker.RHYTHMS` code
    #: Where the signal was when the change was known (the beat that decided it).
    detected_t_us: int


@dataclass(frozen=True)
class TimedEvent:
    t_us: int
    kind: str  #: a `cardiowatch.rhythm.tracker.EVENTS` kind
    #: Where the signal was when the event was found (its beat, for beat-triggered events).
    detected_t_us: int


@dataclass(frozen=True)
class TimedQuality:
    """A stretch of signal that is not good starts at ``t_us``."""

    t_us: int
    flag: QualityFlag


@dataclass(frozen=True)
class Hrv:
    sdnn_ms: float
    rmssd_ms: float
    pnn50_pct: float


@dataclass
class DeviceAnalysis:
    """What one frame produced, in server time (Unix µs)."""

    device_id: int
    beats: list[TimedBeat] = field(default_factory=list)
    rhythm_changes: list[TimedRhythm] = field(default_factory=list)
    events: list[TimedEvent] = field(default_factory=list)
    quality: list[TimedQuality] = field(default_factory=list)  #: not-good stretches that ended
    quality_now: QualityFlag | None = None  #: a not-good stretch still going on at the frame's end; None: good
    hr_bpm: float | None = None
    hrv: Hrv | None = None  #: over the last 5 min
    reset: bool = False
    #: Waveform for the live feed: first sample time, rate after decimation, values (None where not finite).
    live_t0_us: int = 0
    live_fs: float = 0.0
    live_samples: tuple[float | None, ...] = ()
    #: The frame's samples are held for a later call of the pipeline: no quality was judged on them yet.
    held: bool = False


@dataclass
class _Stream:
    sensor: SensorKind
    fs_millihz: int
    next_seq: int
    t0_us: int
    pipeline: PipelineLike | None
    fed_at: float  #: server time of the last frame fed in order
    n_fed: int = 0
    #: In-order samples not analysed yet, and the server time the oldest of them arrived.
    held: list[np.ndarray] = field(default_factory=list)
    held_since: float | None = None

    @property
    def n_held(self) -> int:
        return sum(len(samples) for samples in self.held)


class PipelineRegistry:
    """The pipelines of every device, created on a device's first frame and reset on gaps.

    Parameters
    ----------
    factory : callable ``(fs, modality) -> pipeline`` or None
        Makes a fresh pipeline; None stores frames without analysis.
    live_max_sample_rate_hz : float
        Waveform samples per second per device on the live feed (decimated for display above it).
    analysis_chunk_s : float
        Seconds of a device's samples held before one call of its pipeline; 0 analyses every frame.
    """

    def __init__(self, factory: PipelineFactory | None, *, live_max_sample_rate_hz: float,
                 analysis_chunk_s: float = 0.0) -> None:
        if not analysis_chunk_s >= 0:
            raise ValueError(f"analysis_chunk_s: expected >= 0 seconds, got {analysis_chunk_s}")
        self.factory = factory
        self.live_max_sample_rate_hz = live_max_sample_rate_hz
        self.analysis_chunk_s = analysis_chunk_s
        self.reset()

    def reset(self) -> None:
        """Forget every device's stream."""
        self.streams_: dict[int, _Stream] = {}

    def feed(self, device_id: int, frame: Frame, *, t_us: int, now: float) -> DeviceAnalysis | None:
        """Analyse one stored frame (first sample at server time ``t_us``, arrived at ``now``); None when
        it is behind the stream (a late resend)."""
        stream = self.streams_.get(device_id)
        out = DeviceAnalysis(device_id=device_id)
        if stream is not None and frame.seq < stream.next_seq and now - stream.fed_at < RESYNC_AFTER_S:
            return None
        if (stream is None or frame.seq != stream.next_seq or frame.sensor is not stream.sensor
                or frame.fs_millihz != stream.fs_millihz):
            if stream is not None:
                self._analyse_held(out, stream)
                self._collect(out, stream, _flush(stream.pipeline))
                out.reset = True
                logger.info("device %d: stream reset at seq %d (expected %d)", device_id, frame.seq,
                            stream.next_seq)
            pipeline = None if self.factory is None else self.factory(frame.fs, frame.sensor.modality)
            stream = self.streams_[device_id] = _Stream(sensor=frame.sensor, fs_millihz=frame.fs_millihz,
                                                        next_seq=frame.seq, t0_us=t_us, pipeline=pipeline,
                                                        fed_at=now)
        signal = frame_signal(frame)
        start = stream.n_fed
        stream.n_fed += len(signal)
        stream.next_seq = frame.seq + 1
        stream.fed_at = now
        if stream.pipeline is not None:
            stream.held.append(signal)
            if stream.held_since is None:
                stream.held_since = now
            # whole samples: 1.1 s at 360 Hz is 396 samples, not 396.00000000000006
            if stream.n_held * 1000 >= round(self.analysis_chunk_s * stream.fs_millihz):
                self._analyse_held(out, stream)
            else:
                out.held = True
        self._decimate(out, stream, signal, start)
        return out

    def due(self, now: float, *, everything: bool = False) -> list[int]:
        """Devices whose held samples have waited ``analysis_chunk_s`` or more at server time ``now`` (the
        device went quiet or late; every device holding samples with ``everything``), for `drain`."""
        return [device_id for device_id, stream in self.streams_.items() if stream.held_since is not None
                and (everything or now - stream.held_since >= self.analysis_chunk_s)]

    def drain(self, device_id: int) -> DeviceAnalysis | None:
        """Analyse a device's held samples now, keeping its stream open; None when none are held."""
        stream = self.streams_.get(device_id)
        if stream is None or not stream.held:
            return None
        out = DeviceAnalysis(device_id=device_id)
        self._analyse_held(out, stream)
        return out

    def drop(self, device_id: int) -> None:
        """Forget a device's stream without asking its pipeline for anything (after the pipeline failed)."""
        self.streams_.pop(device_id, None)

    def flush(self, device_id: int) -> DeviceAnalysis | None:
        """End a device's stream (it went quiet or was revoked): emit what the pipeline still holds."""
        stream = self.streams_.pop(device_id, None)
        if stream is None:
            return None
        out = DeviceAnalysis(device_id=device_id, reset=True)
        self._analyse_held(out, stream)
        self._collect(out, stream, _flush(stream.pipeline))
        return out

    def _analyse_held(self, out: DeviceAnalysis, stream: _Stream) -> None:
        held, stream.held, stream.held_since = stream.held, [], None
        if stream.pipeline is None or not held:
            return
        try:
            self._collect(out, stream, stream.pipeline.process(held[0] if len(held) == 1 else np.concatenate(held)))
        except ModelError as exc:  # a model the pipeline loads lazily is missing: store, don't analyse
            logger.warning("device %d: frames are stored but not analysed: %s", out.device_id, exc)
            stream.pipeline = None

    def _decimate(self, out: DeviceAnalysis, stream: _Stream, signal: np.ndarray, start: int) -> None:
        fs = stream.fs_millihz / 1000.0
        step = max(1, math.ceil(fs / self.live_max_sample_rate_hz))
        first = (-start) % step  # keep the phase across frames: every step-th sample since the reset
        picked = signal[first::step]
        out.live_fs = fs / step
        out.live_t0_us = _sample_t_us(stream, start + first)
        values = np.round(picked, 4).tolist()
        out.live_samples = tuple(values if np.isfinite(picked).all()
                                 else [v if math.isfinite(v) else None for v in values])

    def _collect(self, out: DeviceAnalysis, stream: _Stream, result: PipelineOutput | None) -> None:
        if result is None:
            return
        out.beats += [TimedBeat(_sample_t_us(stream, b.sample), b.label) for b in result.beats]
        out.rhythm_changes += [TimedRhythm(_sample_t_us(stream, c.sample), c.rhythm,
                                           _sample_t_us(stream, c.detected_sample)) for c in result.rhythm_changes]
        out.events += [TimedEvent(_sample_t_us(stream, e.sample), e.kind, _sample_t_us(stream, e.detected_sample))
                       for e in result.events]
        out.quality += [TimedQuality(_sample_t_us(stream, q.start), q.flag) for q in result.quality]
        out.quality_now = result.quality_now
        if result.heart_rate_bpm is not None and math.isfinite(result.heart_rate_bpm):
            out.hr_bpm = float(result.heart_rate_bpm)
        if result.hrv is not None and result.hrv.n_intervals >= 2:
            out.hrv = Hrv(result.hrv.sdnn_ms, result.hrv.rmssd_ms, result.hrv.pnn50_pct)


def frame_signal(frame: Frame) -> np.ndarray:
    """The analysed channel of ``frame`` as float64: mV where ``scale_nv`` is declared, else counts.

    MAX30102 (red+IR) counts are negated: more blood absorbs more light, so its raw IR falls with each
    pulse, while the analog pulse sensor's output rises. Samples of an ECG frame flagged ``LEAD_OFF`` are NaN: they are rail noise, not heart signal, and the
    pipeline flags NaN stretches as unusable rather than reading beats into them.
    """
    values = frame.samples[:, ANALYSED_CHANNEL[frame.sensor]].astype(np.float64)
    if frame.sensor is SensorKind.PPG_RED_IR:
        values = -values  # MAX30102 counts fall as blood volume rises; the pulse detector wants it rising
    if frame.scale_nv:
        values *= frame.scale_nv * 1e-6
    if frame.sensor is SensorKind.ECG and frame.flags & FrameFlags.LEAD_OFF:
        values[:] = np.nan
    return values


def _sample_t_us(stream: _Stream, sample: int) -> int:
    return stream.t0_us + round(int(sample) * 1e9 / stream.fs_millihz)


def _flush(pipeline: PipelineLike | None) -> PipelineOutput | None:
    return None if pipeline is None else pipeline.flush()
