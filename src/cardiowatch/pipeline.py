"""The one streaming analysis: samples in, beats, rhythm, events and signal quality out.

The same `Pipeline` object runs offline (`cardiowatch annotate`, `report`, the evaluations), in the server
(one per device) and in the end-to-end checks. Stages, for each sensor::

    ECG:  raw lead ─┬─► QrsDetector ─► beat samples ─► BeatClassifierStage ─► RhythmTracker
                    ├─────────────────────────────────────────▲ (raw lead: the stage filters it itself)
                    ├─► EcgQuality ─► QualitySegment
                    └─► VfDetector ─► VF state (takes precedence over the beats)
    PPG:  pleth ────┬─► PpgPulseDetector ─► pulse samples ─────────────────► RhythmTracker (no classes)
                    └─► PpgSignalQuality ─► QualitySegment

Every stage follows the contract of `cardiowatch.stage` (chunks of any size, `flush` at the end of input,
`reset` to start again), so feeding a record whole or in frames gives the same result; so does the
pipeline, which is a stage itself. Sample indices are counted from the first sample since the last
`reset`.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cardiowatch._reduce import median_1d
from cardiowatch._checks import check_fs, check_signal
from cardiowatch.rhythm.hrv import HrvTime, HrvWindow
from cardiowatch.rhythm.tracker import SHAPE_MAX_SHIFT, RhythmChange, RhythmEvent, RhythmTracker
from cardiowatch.signal.quality_segment import QualityFlag, QualitySegment
from cardiowatch.stage import StreamingStage

#: The beat label of a beat seen where the signal cannot be trusted (AAMI Q, unclassifiable).
UNCLASSIFIABLE = "Q"

#: The rhythm code (WFDB aux note ``(VFL``) while the VF detector holds a shockable rhythm.
VF_RHYTHM = "VFL"

logger = logging.getLogger(__name__)

Sensor = Literal["ecg", "ppg"]

#: Short-term HRV is taken over the last 5 minutes of beats (Task Force 1996).
HRV_WINDOW_S = 300.0

#: Beats over which the displayed heart rate is the median interval (about 8 s at rest, as monitors do).
HR_BEATS = 8

#: An interval longer than this (s) is a pause, per sensor. A pulse sensor loses pulses (motion, weak
#: perfusion), and at night (< 60 bpm) one lost pulse makes an interval over 2 s, so from pulses only a
#: significant pause (> 3 s, the usual Holter criterion) is one; the rules compared are in
#: `models/rhythm_af.md`.
PAUSE_S: dict[str, float] = {"ecg": 2.0, "ppg": 3.0}

#: Part of a V beat's waveform (s around its peak) the tracker compares between the beats of a run: the
#: QRS and the start of the T wave, which a fast run's next beat does not reach yet.
SHAPE_SPAN_S = (-0.1, 0.25)


def _shape_points() -> slice:
    """Points of the classifier's beat waveform in `SHAPE_SPAN_S`, widened by the tracker's shift."""
    from cardiowatch.beats.features import N_WAVE_POINTS, WINDOW_POST_S, WINDOW_PRE_S

    t = np.linspace(-WINDOW_PRE_S, WINDOW_POST_S, N_WAVE_POINTS)
    inside = np.flatnonzero((t >= SHAPE_SPAN_S[0] - 1e-9) & (t <= SHAPE_SPAN_S[1] + 1e-9))
    return slice(max(int(inside[0]) - SHAPE_MAX_SHIFT, 0), min(int(inside[-1]) + 1 + SHAPE_MAX_SHIFT, N_WAVE_POINTS))


@dataclass(frozen=True)
class PipelineConfig:
    """What a pipeline needs to know about its input; everything else has defaults."""

    fs: float
    sensor: Sensor
    brady_bpm: float = 50.0
    tachy_bpm: float = 100.0
    pause_s: float | None = None  #: None: the sensor's `PAUSE_S`
    asystole_s: float = 4.0

    def tracker(self) -> RhythmTracker:
        """The rhythm tracker this sensor's pipeline runs (the offline interval replays build it here too)."""
        if self.sensor not in PAUSE_S:
            raise ValueError(f"unknown sensor {self.sensor!r}; valid: {', '.join(map(repr, PAUSE_S))}")
        pause_s = self.pause_s if self.pause_s is not None else PAUSE_S[self.sensor]
        return RhythmTracker(fs=self.fs, brady_bpm=self.brady_bpm, tachy_bpm=self.tachy_bpm, pause_s=pause_s,
                             asystole_s=self.asystole_s)


@dataclass(frozen=True)
class Beat:
    """A detected beat (ECG) or pulse (PPG): sample index and AAMI class ("" when unknown, as for PPG)."""

    sample: int
    label: str
    #: a V beat's QRS part of the classifier's waveform, for the tracker's alike-beats check of a run
    shape: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PipelineOutput:
    """What one `Pipeline.process` (or `flush`) call produced."""

    beats: tuple[Beat, ...] = ()
    rhythm_changes: tuple[RhythmChange, ...] = ()
    events: tuple[RhythmEvent, ...] = ()
    quality: tuple[QualitySegment, ...] = ()  #: bad stretches that ended; every other sample is good
    quality_now: QualityFlag | None = None  #: the flag of a bad stretch still going on; None: good
    heart_rate_bpm: float | None = None  #: median-interval rate over the last `HR_BEATS` beats
    hrv: HrvTime | None = None  #: SDNN, RMSSD, pNN50 over the last `HRV_WINDOW_S`, when beats came in


@dataclass
class RecordAnalysis:
    """Everything a pipeline produced over a whole record."""

    fs: float
    sensor: Sensor
    n_samples: int
    beats: list[Beat] = field(default_factory=list)
    rhythm_changes: list[RhythmChange] = field(default_factory=list)
    events: list[RhythmEvent] = field(default_factory=list)
    episodes: list = field(default_factory=list)  #: `cardiowatch.rhythm.tracker.Episode`
    quality: list[QualitySegment] = field(default_factory=list)

    @property
    def beat_samples(self) -> np.ndarray:
        return np.fromiter((b.sample for b in self.beats), dtype=np.int64, count=len(self.beats))

    @property
    def beat_labels(self) -> np.ndarray:
        return np.array([b.label for b in self.beats], dtype=object)


class Pipeline(StreamingStage):
    """Streaming analysis of one sensor channel.

    Parameters
    ----------
    config : PipelineConfig
        Sampling rate, sensor kind and rhythm thresholds.
    beat_classifier : cardiowatch.beats.classifier.BeatClassifier or None
        The ECG beat model; None loads the shipped one. Pass one loaded model to many pipelines (the
        server does) to load it once.

    Examples
    --------
    >>> pipe = Pipeline(PipelineConfig(fs=rec.fs, sensor="ecg"))      # doctest: +SKIP
    >>> outputs = [pipe.process(chunk) for chunk in chunks] + [pipe.flush()]   # doctest: +SKIP
    """

    def __init__(self, config: PipelineConfig, *, beat_classifier: object | None = None) -> None:
        self.config = config
        self.beat_classifier = beat_classifier
        self.reset()

    def reset(self) -> None:
        """Start afresh: a new record, or the data resumed after a gap."""
        cfg = self.config
        fs = check_fs(cfg.fs)
        if cfg.sensor == "ecg":
            from cardiowatch.beats.classifier import BeatClassifier, BeatClassifierStage
            from cardiowatch.signal.qrs import QrsDetector

            from cardiowatch.signal.quality import EcgQuality

            if self.beat_classifier is None:
                self.beat_classifier = BeatClassifier()
            self.detector_ = QrsDetector(fs=fs)
            self.classifier_ = BeatClassifierStage(fs=fs, classifier=self.beat_classifier)
            self.quality_ = EcgQuality(fs=fs)
            self.vf_ = _vf_detector(fs)
        elif cfg.sensor == "ppg":
            from cardiowatch.signal.ppg import PpgPulseDetector
            from cardiowatch.signal.ppg_quality import PpgSignalQuality

            self.detector_ = PpgPulseDetector(fs=fs)
            self.classifier_ = None
            self.quality_ = PpgSignalQuality(fs=fs)
            self.vf_ = None  # a pulse wave shows no fibrillation: during VF it simply has no pulses
        else:
            raise ValueError(f"unknown sensor {cfg.sensor!r}; valid: 'ecg', 'ppg'")
        self.tracker_ = cfg.tracker()
        for stage in self._stages():
            stage.reset()
        self.n_samples_ = 0
        self.recent_beats_: deque[int] = deque(maxlen=HR_BEATS + 1)
        self.hrv_ = HrvWindow(fs=fs, window_s=HRV_WINDOW_S)  # beats of the last HRV_WINDOW_S since a gap
        self.in_gap_ = False  # the last sample seen was NaN
        self.pending_gaps_: deque[int] = deque()  # first samples of NaN runs not yet told to the tracker
        self.held_: list[Beat] = []  # beats past the quality stage's horizon, not yet released
        self.shape_points_ = _shape_points()
        self.gaps_known_: set[int] = set()  # every gap start added, so a still-open span is added once
        self.unclassifiable_ = _Stretches()  # where beats are reported as Q and kept from the tracker
        self.in_vf_ = _Stretches()  # where the VF detector held a shockable rhythm: no beats there
        self.pending_vf_: list = []  # VF state changes not yet placed among the beats (VfChange)
        self.last_detected_: int | None = None  # newest beat out of the detector (before classification)
        self._open()

    def _stages(self) -> list[StreamingStage]:
        stages = [self.detector_, self.classifier_, self.quality_, self.vf_, self.tracker_]
        return [stage for stage in stages if stage is not None]

    @property
    def delay_s(self) -> float:
        """The slowest stage's delay: beats wait for the detector and the classifier in turn, and a
        rhythm change for the tracker's confirmation."""
        beat_delay = self.detector_.delay_s + (self.classifier_.delay_s if self.classifier_ else 0.0)
        return max(beat_delay + self.tracker_.delay_s, self.quality_.delay_s, self.vf_.delay_s if self.vf_ else 0.0)

    def process(self, samples: np.ndarray) -> PipelineOutput:
        """Feed the next samples (any length, 0 included; NaN marks unusable samples)."""
        self._check_open("process")
        x = check_signal(samples, name="samples")
        self._note_gaps(x)
        self.n_samples_ += len(x)
        detected = self.detector_.process(x)
        if len(detected):
            self.last_detected_ = int(detected[-1])
        if self.classifier_ is not None:
            beats = self._classified(self.classifier_.process(x, detected))
        else:
            beats = [Beat(int(s), "") for s in detected]
        vf = self.vf_.process(x) if self.vf_ is not None else []
        return self._rhythm(beats, self.quality_.process(x), vf, final=False)

    def flush(self) -> PipelineOutput:
        """End of input: emit what the look-ahead of every stage still holds; closed until `reset`."""
        self._check_open("flush")
        detected = self.detector_.flush()
        if self.classifier_ is not None:
            beats = self._classified(self.classifier_.process(np.empty(0), detected))
            beats += self._classified(self.classifier_.flush())
        else:
            beats = [Beat(int(s), "") for s in detected]
        vf = self.vf_.flush() if self.vf_ is not None else []
        out = self._rhythm(beats, self.quality_.flush(), vf, final=True)
        self._close()
        return out

    def _classified(self, classified: list) -> list[Beat]:
        """Beats from the classifier, V beats with their shape for the tracker's run check."""
        return [Beat(b.sample, b.aami, b.wave[self.shape_points_].copy()  # not a view of the chunk's features
                     if b.aami == "V" and b.wave is not None else None) for b in classified]

    def _note_gaps(self, x: np.ndarray) -> None:
        """Remember where runs of unusable (NaN) samples start: the interval across one is unknown."""
        bad = ~np.isfinite(x)
        if not bad.any():
            self.in_gap_ = False
            return
        starts = np.flatnonzero(bad & ~np.concatenate([[self.in_gap_], bad[:-1]]))
        for i in starts:
            self._add_gap(int(i) + self.n_samples_)
        self.in_gap_ = bool(bad[-1])

    def _rhythm(self, beats: list[Beat], quality: list[QualitySegment], vf: list, *,
                final: bool) -> PipelineOutput:
        for segment in quality:
            if segment.flag.unclassifiable:
                self.unclassifiable_.note(segment.start, segment.end)
        for segment in self.quality_.open_segments():
            if segment.flag.unclassifiable:
                self.unclassifiable_.note(segment.start, None)
        open_starts, horizon = self._open_quality()
        for segment in quality:
            if segment.flag.unusable:
                self._add_gap(segment.start)
        for start in open_starts:
            self._add_gap(start)
        found: list = self._note_vf(vf)
        if self.vf_ is not None:
            horizon = min(horizon, self.vf_.final_through)
        # A beat is released only once the signal quality up to it is known, so a gap found later can
        # still be put before it and its label is final: the same output whatever the chunking.
        if final:
            horizon = None
        pending = self.held_ + list(beats)
        released = pending if horizon is None else [b for b in pending if b.sample < horizon]
        self.held_ = [] if horizon is None else [b for b in pending if b.sample >= horizon]
        # The tracker keeps a Q beat's intervals out of the AF features and raises no pause on them, but
        # still times asystole from it: noise must not hide a heart that stopped.
        # While VF holds there are no beats: what the QRS detector finds there is the fibrillation wave.
        released = [b for b in released if not self.in_vf_.covers(b.sample)]
        released = [Beat(b.sample, UNCLASSIFIABLE) if self.unclassifiable_.covers(b.sample) else b
                    for b in released]
        sample = np.fromiter((b.sample for b in released), dtype=np.int64, count=len(released))
        label = np.array([b.label for b in released], dtype=object)
        shape = self._shapes(released)
        # Feed beats up to each gap, then tell the tracker about it, so no pause or asystole is read into
        # a stretch with no signal and it stays out of the AF features. A gap is applied once a beat after
        # it has arrived (beats come out of the detectors late), so beats and gaps reach it in order.
        start = 0
        while self.pending_gaps_:
            gap = self.pending_gaps_[0]
            stop = start + int(np.searchsorted(sample[start:], gap))
            if stop == len(sample) and not final:
                break
            found += self.tracker_.process(sample[start:stop], label[start:stop],
                                           None if shape is None else shape[start:stop])
            found += self._place_vf(before=gap)
            self.tracker_.mark_gap()
            self.pending_gaps_.popleft()
            self.recent_beats_.clear()  # the rate is not the interval across a gap
            self._clear_hrv()
            start = stop
        found += self._place_vf(before=int(sample[start]) if start < len(sample) else None)
        found += self.tracker_.process(sample[start:], label[start:], None if shape is None else shape[start:])
        if final:
            found += self.tracker_.flush()
        elif (not self.pending_gaps_ and not self.in_gap_ and not self.in_vf_.open_now()
              and self._silent_past_asystole()):
            found += self.tracker_.advance_to(self.n_samples_)  # no beat for long: asystole
        # Only a still-open stretch can be reported again; every other gap was seen for the last time.
        self.gaps_known_ = set(open_starts)
        found.sort(key=lambda f: f.detected_sample)  # VF's changes and the tracker's, as detected
        changes = tuple(f for f in found if isinstance(f, RhythmChange))
        events = tuple(f for f in found if not isinstance(f, RhythmChange))
        for beat, beat_label in zip(sample[start:], label[start:]):
            if beat_label == UNCLASSIFIABLE:
                self.recent_beats_.clear()  # no rate from beats seen in noise
            else:
                self.recent_beats_.append(int(beat))
        return PipelineOutput(tuple(released), changes, events, tuple(quality), self._quality_now(final),
                              self._heart_rate(), self._hrv(sample[start:], label[start:]))

    def _shapes(self, released: list[Beat]) -> np.ndarray | None:
        """The tracker's shape row of each released beat (NaN but for V beats); None without a classifier."""
        if self.classifier_ is None:
            return None
        width = self.shape_points_.stop - self.shape_points_.start
        out = np.full((len(released), width), np.nan)
        for i, b in enumerate(released):
            if b.shape is not None:
                out[i] = b.shape
        return out

    def _note_vf(self, vf: list) -> list[RhythmChange]:
        """Take the VF detector's state changes. Into VF: ``VFL`` at once, dated to its estimated onset;
        from there beats are dropped (they are held while VF may be declared) and the interval across is
        unknown (a gap). Out of VF: its rhythm
        change waits in `pending_vf_` to be placed among the beats (see `_place_vf`)."""
        from cardiowatch.signal.vf import VfChange

        found = []
        for change in (c for c in vf if isinstance(c, VfChange)):
            if change.in_vf:  # the fibrillation began at its estimated onset, before it was declared
                self.in_vf_.note(change.since, None)
                self._add_gap(change.since)
                found.append(RhythmChange(int(change.since), VF_RHYTHM, int(change.sample)))
            else:
                self.in_vf_.close_open(change.sample)
                self.pending_vf_.append(change)
        return found

    def _place_vf(self, *, before: int | None) -> list[RhythmChange]:
        """The rhythm changes out of VF that come before beat sample ``before`` (all when None): back to
        the rhythm the tracker held before VF, until its beats say otherwise. Placed before the first
        beat after VF reaches the tracker, so the rhythm is the same whatever the chunking."""
        out = []
        while self.pending_vf_ and (before is None or self.pending_vf_[0].sample <= before):
            change = self.pending_vf_.pop(0)
            out.append(RhythmChange(int(change.since), self.tracker_.rhythm or "N", int(change.sample)))
        return out

    def _quality_now(self, final: bool) -> QualityFlag | None:
        """The worst flag still open in the quality stage: an unusable one before one that degrades."""
        if final:
            return None
        flags = [s.flag for s in self.quality_.open_segments()]
        order = list(QualityFlag)
        return min(flags, key=lambda f: (not f.unusable, order.index(f)), default=None)

    def _clear_hrv(self) -> None:
        self.hrv_.clear()

    def _hrv(self, sample: np.ndarray, label: np.ndarray) -> HrvTime | None:
        if len(sample) == 0:
            return None
        return self.hrv_.add(sample, label)

    def _add_gap(self, sample: int) -> None:
        if sample in self.gaps_known_:
            return
        self.gaps_known_.add(sample)
        self.pending_gaps_ = deque(sorted({*self.pending_gaps_, sample}))

    def _silent_past_asystole(self) -> bool:
        """No beat has come out of the detector for asystole_s, counting its reporting lag."""
        if self.last_detected_ is None:
            return False
        silent_s = (self.n_samples_ - self.last_detected_) / self.config.fs - self.detector_.delay_s
        return silent_s > self.config.asystole_s

    def _open_quality(self) -> tuple[list[int], int]:
        """Starts of unusable stretches still open in the quality stage, and how far its flags are final.

        `EcgQuality` decides per sample, so its flags are final up to the newest sample;
        `PpgSignalQuality` rates whole windows, so they are final up to the last complete window.
        """
        starts = {s.start for s in self.quality_.open_segments() if s.flag.unusable}
        return sorted(starts), self.quality_.final_through

    def _heart_rate(self) -> float | None:
        """Median-interval rate over the last `HR_BEATS` beats; 0 after asystole_s with no beat; none
        while VF holds (a monitor must not show a rate then)."""
        if self.in_vf_.open_now():
            self.recent_beats_.clear()
            return None
        if len(self.recent_beats_) < 3:
            return None
        rr_s = np.diff(np.asarray(self.recent_beats_, dtype=np.float64)) / self.config.fs
        since_last_s = (self.n_samples_ - self.recent_beats_[-1]) / self.config.fs
        if since_last_s > self.config.asystole_s + self.detector_.delay_s:
            return 0.0  # no beat for that long: the rate is not what the old intervals say
        return 60.0 / median_1d(rr_s)


class _Stretches:
    """Stretches of input ``[start, end)`` (``end`` None while still open), asked about in time order."""

    def __init__(self) -> None:
        self.ends_: dict[int, int | None] = {}

    def note(self, start: int, end: int | None) -> None:
        """Add a stretch, or close one noted while open."""
        if end is not None or start not in self.ends_:
            self.ends_[start] = end

    def close_open(self, end: int) -> None:
        """Close the stretch still open (if any) at ``end``."""
        for start, stop in self.ends_.items():
            if stop is None:
                self.ends_[start] = end

    def open_now(self) -> bool:
        """Whether a stretch is still open."""
        return any(stop is None for stop in self.ends_.values())

    def covers(self, sample: int) -> bool:
        """Whether ``sample`` lies in a stretch; stretches that ended before it are forgotten, so ask
        about samples in ascending order."""
        for start in [s for s, e in self.ends_.items() if e is not None and e <= sample]:
            del self.ends_[start]
        return any(start <= sample and (end is None or sample < end) for start, end in self.ends_.items())


def _vf_detector(fs: float) -> object | None:
    """The VF detector at rates it supports (125-500 Hz); None elsewhere, said once in the log."""
    from cardiowatch.signal.vf import VfDetector

    if not VfDetector.MIN_FS <= fs <= VfDetector.MAX_FS:
        logger.warning("no VF detection at %g Hz (it works at %g-%g Hz)", fs, VfDetector.MIN_FS, VfDetector.MAX_FS)
        return None
    return VfDetector(fs=fs)


def analyze_signal(x: np.ndarray, *, fs: float, sensor: Sensor, chunk_s: float | None = None,
                   beat_classifier: object | None = None, **config: float) -> RecordAnalysis:
    """Run a `Pipeline` over a whole signal (in chunks of ``chunk_s`` seconds, default all at once)."""
    x = check_signal(x, name="x")
    pipe = Pipeline(PipelineConfig(fs=fs, sensor=sensor, **config), beat_classifier=beat_classifier)
    step = len(x) if chunk_s is None else max(1, int(round(chunk_s * fs)))
    result = RecordAnalysis(fs=fs, sensor=sensor, n_samples=len(x))
    outputs = [pipe.process(x[i:i + step]) for i in range(0, len(x), step)] + [pipe.flush()]
    for out in outputs:
        result.beats += out.beats
        result.rhythm_changes += out.rhythm_changes
        result.events += out.events
        result.quality += out.quality
    result.episodes = pipe.tracker_.episodes()
    return result

