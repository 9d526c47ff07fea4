"""Per-device analysis: one streaming `cardiowatch.pipeline.Pipeline` per device, fed frames in order.

The server does no analysis of its own: this module turns frames into the pipeline's input (one
channel, physical units where the frame declares a scale, NaN while a lead is off) and the pipeline's
output (sample indices since the last reset) into server time (Unix µs). A jump in the sequence
numbers, a new sampling rate or a new sensor kind resets the device's pipeline, as the streaming
contract asks; a frame behind the stream (a late resend) is stored but not analysed live.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from cardiowatch.errors import ModelError
from cardiowatch.protocol import Frame, FrameFlags, SensorKind

logger = logging.getLogger(__name__)

#: Column fed to the pipeline for each sensor: IR for the MAX30102 (the stronger pulse signal).
ANALYSED_CHANNEL = {SensorKind.ECG: 0, SensorKind.PPG_RED_IR: 1, SensorKind.PPG_ANALOG: 0}


class PipelineLike(Protocol):
    def process(self, samples: np.ndarray) -> Any: ...
    def flush(self) -> Any: ...


PipelineFactory = Callable[[float, str], "PipelineLike | None"]


def default_pipeline_factory() -> PipelineFactory | None:
    """The project's streaming pipeline, or None while `cardiowatch.pipeline` is not available.

    The ECG beat classifier is loaded once and shared by every device's pipeline. When a model the
    pipeline needs is missing (not trained yet), frames of that modality are stored but not analysed,
    and a warning says so once.
    """
    try:
        from cardiowatch.pipeline import Pipeline, PipelineConfig
    except ImportError:
        logger.warning("cardiowatch.pipeline is not available: frames are stored but not analysed")
        return None
    classifiers: dict[str, object | None] = {}
    unavailable: set[str] = set()

    def factory(fs: float, modality: str) -> PipelineLike | None:
        if modality in unavailable:
            return None
        try:
            if modality != "ecg":
                return Pipeline(PipelineConfig(fs=fs, sensor=modality))
            if "ecg" not in classifiers:
                from cardiowatch.beats.classifier import BeatClassifier

                classifiers["ecg"] = BeatClassifier()
            return Pipeline(PipelineConfig(fs=fs, sensor=modality), beat_classifier=classifiers["ecg"])
        except ModelError as exc:
            logger.warning("%s frames are stored but not analysed: %s", modality.upper(), exc)
            unavailable.add(modality)
            return None

    # load the models and import the stages now, not on the first frame of the first device (seconds)
    factory(250.0, "ecg")
    factory(100.0, "ppg")
    return factory


@dataclass
class DeviceAnalysis:
    """What one frame produced, in server time (Unix µs)."""

    device_id: int
    beats: list[tuple[int, str]] = field(default_factory=list)
    rhythm_changes: list[tuple[int, str]] = field(default_factory=list)
    events: list[tuple[int, str]] = field(default_factory=list)
    quality: list[tuple[int, str]] = field(default_factory=list)
    quality_now: str | None = None  #: flag of a bad stretch still going on at the frame's end
    hr_bpm: float | None = None
    hrv: tuple[float, float, float] | None = None  #: SDNN ms, RMSSD ms, pNN50 % (last 5 min)
    reset: bool = False
    #: Waveform for the live feed: first sample time, rate after decimation, values.
    live_t0_us: int = 0
    live_fs: float = 0.0
    live_samples: list[float] = field(default_factory=list)


@dataclass
class _Stream:
    sensor: SensorKind
    fs_millihz: int
    next_seq: int
    t0_us: int
    pipeline: PipelineLike | None
    n_fed: int = 0


class PipelineRegistry:
    """The pipelines of every device, created on a device's first frame and reset on gaps.

    Parameters
    ----------
    factory : callable ``(fs, modality) -> pipeline`` or None
        Makes a fresh pipeline; None stores frames without analysis.
    live_max_sample_rate_hz : float
        Waveform samples per second per device on the live feed (decimated for display above it).
    """

    def __init__(self, factory: PipelineFactory | None, *, live_max_sample_rate_hz: float) -> None:
        self.factory = factory
        self.live_max_sample_rate_hz = live_max_sample_rate_hz
        self.reset()

    def reset(self) -> None:
        """Forget every device's stream and clock offset."""
        self.streams_: dict[int, _Stream] = {}
        self.clocks_: dict[int, tuple[int, int]] = {}  # device -> (clock offset µs, next seq)

    def aligned_t_us(self, device_id: int, frame: Frame, *, now: float) -> int:
        """Server time (Unix µs) of the frame's first sample.

        A frame with ``CLOCK_SYNCED`` carries Unix time already. Otherwise the offset between the device
        clock and ours is the smallest ``arrival - t_us`` seen since start-up or the last forward gap
        (transmission delay only adds to it; a reboot, which restarts the device clock, shows as a gap).
        """
        if frame.flags & FrameFlags.CLOCK_SYNCED:
            return frame.t_us
        candidate = int(now * 1e6) - frame.t_us
        offset, next_seq = self.clocks_.get(device_id, (None, None))
        if offset is None or next_seq is None or frame.seq > next_seq:
            offset = candidate
        offset = min(offset, candidate)
        next_seq = frame.seq + 1 if next_seq is None else max(next_seq, frame.seq + 1)
        self.clocks_[device_id] = (offset, next_seq)
        return frame.t_us + offset

    def feed(self, device_id: int, frame: Frame, *, t_us: int) -> DeviceAnalysis | None:
        """Analyse one stored frame; None when it is behind the stream (a late resend)."""
        stream = self.streams_.get(device_id)
        out = DeviceAnalysis(device_id=device_id)
        if stream is not None and frame.seq < stream.next_seq:
            return None
        if (stream is None or frame.seq != stream.next_seq or frame.sensor is not stream.sensor
                or frame.fs_millihz != stream.fs_millihz):
            if stream is not None:
                self._collect(out, stream, _call(stream.pipeline, "flush"))
                out.reset = True
                logger.info("device %d: stream reset at seq %d (expected %d)", device_id, frame.seq,
                            stream.next_seq)
            pipeline = None if self.factory is None else self.factory(frame.fs, frame.sensor.modality)
            stream = self.streams_[device_id] = _Stream(sensor=frame.sensor, fs_millihz=frame.fs_millihz,
                                                        next_seq=frame.seq, t0_us=t_us, pipeline=pipeline)
        signal = frame_signal(frame)
        start = stream.n_fed
        stream.n_fed += len(signal)
        stream.next_seq = frame.seq + 1
        try:
            self._collect(out, stream, _call(stream.pipeline, "process", signal))
        except ModelError as exc:  # a model the pipeline loads lazily is missing: store, don't analyse
            logger.warning("device %d: frames are stored but not analysed: %s", device_id, exc)
            stream.pipeline = None
        self._decimate(out, stream, signal, start)
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
        self._collect(out, stream, _call(stream.pipeline, "flush"))
        return out

    def _decimate(self, out: DeviceAnalysis, stream: _Stream, signal: np.ndarray, start: int) -> None:
        fs = stream.fs_millihz / 1000.0
        step = max(1, math.ceil(fs / self.live_max_sample_rate_hz))
        first = (-start) % step  # keep the phase across frames: every step-th sample since the reset
        picked = signal[first::step]
        out.live_fs = fs / step
        out.live_t0_us = _sample_t_us(stream, start + first)
        values = np.round(picked, 4).tolist()
        out.live_samples = values if np.isfinite(picked).all() else [v if math.isfinite(v) else None for v in values]

    def _collect(self, out: DeviceAnalysis, stream: _Stream, result: Any) -> None:
        if result is None:
            return
        for beat in getattr(result, "beats", None) or ():
            sample, label = _pair(beat, "sample", "label")
            out.beats.append((_sample_t_us(stream, sample), str(label)))
        for change in getattr(result, "rhythm_changes", None) or ():
            sample, rhythm = _pair(change, "sample", "rhythm")
            out.rhythm_changes.append((_sample_t_us(stream, sample), str(rhythm).lstrip("(")))
        for event in getattr(result, "events", None) or ():
            sample, kind = _pair(event, "sample", "kind")
            out.events.append((_sample_t_us(stream, sample), str(getattr(kind, "value", kind))))
        for segment in getattr(result, "quality", None) or ():
            sample, flag = _pair(segment, "start", "flag")
            out.quality.append((_sample_t_us(stream, sample), str(getattr(flag, "value", flag))))
        now = getattr(result, "quality_now", None)
        out.quality_now = None if now is None else str(now.value)
        hr = getattr(result, "heart_rate_bpm", None)
        if hr is not None and math.isfinite(float(hr)):
            out.hr_bpm = float(hr)
        hrv = getattr(result, "hrv", None)
        if hrv is not None and hrv.n_intervals >= 2:
            out.hrv = (float(hrv.sdnn_ms), float(hrv.rmssd_ms), float(hrv.pnn50_pct))


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


def _pair(item: Any, first: str, second: str) -> tuple[Any, Any]:
    if hasattr(item, first):
        return getattr(item, first), getattr(item, second)
    return item[0], item[1]


def _call(pipeline: PipelineLike | None, method: str, *args: Any) -> Any:
    return None if pipeline is None else getattr(pipeline, method)(*args)
