"""Causal, patient-adaptive beat features from one ECG lead, computed by a streaming stage.

Every beat gets a fixed-length vector, whatever the sampling rate:

- ``wave_00 .. wave_NN``: the filtered ECG from -250 ms to +450 ms around the beat, aligned on the
  largest absolute deflection near the given beat position, resampled to `N_WAVE_POINTS` points,
  baseline-removed and divided by a *running* per-patient amplitude scale (median peak-to-peak of the
  last beats) -- never by a whole-record statistic, which the live system cannot know;
- ``diff_00 .. diff_NN``: that waveform minus the patient's running template (point-wise median of the
  last beats' waveforms), so morphology is judged against this patient's own dominant beat;
- template correlation, residual energy, relative amplitude and a QRS width estimate;
- RR features: pre-RR, post-RR, local average RR (previous 10 beats), long-run average RR (previous
  5 minutes) and their ratios, which carry most of the SVEB information across patients;
- ``rr_irregularity``: how irregular the patient's recent rhythm is (median absolute change between
  successive RR intervals over the previous `N_IRREGULAR_RR` beats, over their mean). A premature beat
  means an ectopic beat in a regular rhythm, much less so in atrial fibrillation or flutter.

Features of a beat are final once the next beat and the post-window are known; nothing later is used.

References
----------
de Chazal P, O'Dwyer M, Reilly RB. Automatic classification of heartbeats using ECG morphology and
heartbeat interval features. IEEE Trans Biomed Eng 51(7):1196-1206 (2004).
Zhang Z, Dong J, Luo X, Choi KS, Wu X. Heartbeat classification using disease-specific feature selection.
Comput Biol Med 46:79-89 (2014).
Mondéjar-Guerra V, Novo J, Rouco J, Penedo MG, Ortega M. Heartbeat classification fusing temporal and
morphological information of ECGs via ensemble of classifiers. Biomed Signal Process Control 47:41-48 (2019).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from cardiowatch._reduce import corr_1d, mean_1d, median_1d, median_rows
from cardiowatch._checks import check_fs, check_signal
from cardiowatch.errors import SignalError
from cardiowatch.stage import StreamingStage

#: Beat window, seconds before and after the aligned peak.
WINDOW_PRE_S = 0.250
WINDOW_POST_S = 0.450
#: Points the beat window is resampled to (so any sampling rate gives the same features).
N_WAVE_POINTS = 50
#: The aligned peak is the largest |x| within this distance of the given beat position.
ALIGN_S = 0.050
#: Beats in the running amplitude scale and in the running template.
N_SCALE_BEATS = 32
N_TEMPLATE_BEATS = 32
#: Beats in the local average RR; span of the long-run average RR.
N_LOCAL_RR = 10
LONG_RR_S = 300.0
#: RR intervals over which the rhythm's irregularity is measured (chosen by DS1 CV among 16, 32, 64).
N_IRREGULAR_RR = 64
#: Signal kept for beats that a detector reports late; beats older than this get NaN waveforms.
RING_S = 10.0
#: The QRS is searched for width within this distance of the peak.
QRS_HALF_S = 0.100
#: Parts of the window compared with the template on their own: QRS, and P wave (before the QRS).
QRS_SPAN_S = (-0.060, 0.100)
P_SPAN_S = (-0.250, -0.070)

_WAVE_NAMES = tuple(f"wave_{i:02d}" for i in range(N_WAVE_POINTS))
_DIFF_NAMES = tuple(f"diff_{i:02d}" for i in range(N_WAVE_POINTS))
_SHAPE_NAMES = ("template_corr", "qrs_corr", "p_corr", "residual_rms", "amplitude_ratio", "qrs_width_s")
_RR_NAMES = (
    "pre_rr_s", "post_rr_s", "local_rr_s", "long_rr_s",
    "pre_over_local", "post_over_pre", "pre_over_long", "post_over_long", "local_over_long",
    "pre_over_local_median", "rr_irregularity",
)
#: Column names of the feature matrix, in order.
FEATURE_NAMES: tuple[str, ...] = _WAVE_NAMES + _DIFF_NAMES + _SHAPE_NAMES + _RR_NAMES
N_FEATURES = len(FEATURE_NAMES)


@dataclass(frozen=True)
class BeatFeatures:
    """Features of the beats a call produced: ``sample[i]`` is beat i's input position."""

    sample: np.ndarray  #: int64, sample indices from the record's start, as given
    features: np.ndarray  #: float64, shape (n, N_FEATURES); a NaN row part means an unusable window

    def __len__(self) -> int:
        return len(self.sample)

    @staticmethod
    def empty() -> "BeatFeatures":
        return BeatFeatures(np.zeros(0, dtype=np.int64), np.zeros((0, N_FEATURES)))

    @staticmethod
    def concat(parts: "list[BeatFeatures]") -> "BeatFeatures":
        if not parts:
            return BeatFeatures.empty()
        return BeatFeatures(
            np.concatenate([p.sample for p in parts]), np.concatenate([p.features for p in parts], axis=0)
        )


@dataclass
class _WindowedBeat:
    sample: int
    peak: int
    wave: np.ndarray  # normalised by nothing yet: baseline removed only
    ptp: float


class BeatFeatureExtractor(StreamingStage):
    """Streaming beat-feature stage over a *filtered* ECG lead.

    Parameters
    ----------
    fs : float
        Sampling rate of the signal in Hz (required).
    delay_samples : int
        How many samples the filtered signal lags the beat positions (the filter's group delay); the
        aligned peak is searched around ``beat + delay_samples``.

    Notes
    -----
    ``process(chunk, beats)`` appends ``chunk`` (filtered samples continuing the record) and queues
    ``beats`` (sorted sample indices, each before the end of the signal received so far, each after every
    beat given before). It returns the features of every beat whose post-window and next beat are now
    known. ``flush()`` finishes the remaining beats (missing samples repeat the last one; the last beat's
    post-RR is taken equal to its pre-RR). Results do not depend on how the input was split.

    References
    ----------
    de Chazal P, O'Dwyer M, Reilly RB. IEEE Trans Biomed Eng 51(7):1196-1206 (2004).
    """

    def __init__(self, *, fs: float, delay_samples: int = 0) -> None:
        self.fs = check_fs(fs)
        self.delay_samples = int(delay_samples)
        self.reset()

    # -- configuration derived from fs (no state) -------------------------------------------------
    @property
    def _pre_n(self) -> int:
        return int(round(WINDOW_PRE_S * self.fs))

    @property
    def _post_n(self) -> int:
        return int(round(WINDOW_POST_S * self.fs))

    @property
    def _align_n(self) -> int:
        return max(1, int(round(ALIGN_S * self.fs)))

    def reset(self) -> None:
        """Forget the record: signal ring, queued beats and the patient's running statistics."""
        self.buffer_ = np.zeros(0)
        self.buffer_start_ = 0  # sample index of buffer_[0]
        self.n_seen_ = 0
        self.last_given_ = -1
        self.pending_: deque[int] = deque()  # beats waiting for their post-window
        self.windowed_: deque[_WindowedBeat] = deque()  # beats waiting for the next beat
        self.prev_peak_: int | None = None
        self.rr_recent_: deque[float] = deque(maxlen=N_LOCAL_RR)
        self.rr_irregular_: deque[float] = deque(maxlen=N_IRREGULAR_RR)
        self.rr_long_: deque[tuple[int, float]] = deque()
        self.rr_long_sum_ = 0.0
        self.ptp_recent_: deque[float] = deque(maxlen=N_SCALE_BEATS)
        # the last N_TEMPLATE_BEATS waveforms, as rows of a ring (the template is their point-wise
        # median, which does not depend on the rows' order)
        self.templates_ = np.zeros((N_TEMPLATE_BEATS, N_WAVE_POINTS))
        self.n_templates_ = 0
        self.next_template_ = 0  # the ring row the next waveform overwrites
        self.grid_ = np.linspace(-WINDOW_PRE_S, WINDOW_POST_S, N_WAVE_POINTS) * self.fs
        self.window_points_ = np.arange(-self._pre_n - 1, self._post_n + 2)  # sample offsets of a beat's window
        t = self.grid_ / self.fs
        # each a run of points, kept as a slice (a view, not a copy, for every beat)
        self.qrs_points_ = _points((t >= QRS_SPAN_S[0]) & (t <= QRS_SPAN_S[1]))
        self.p_points_ = _points((t >= P_SPAN_S[0]) & (t <= P_SPAN_S[1]))
        self.width_points_ = _points(np.abs(t) <= QRS_HALF_S)
        self._open()

    @property
    def delay_s(self) -> float:
        """Longest a beat's features wait after its sample once the next beat is known: the beat's
        post-window and alignment search, past the input's own delay. The next beat's detection
        time comes on top (the RR features need it)."""
        return WINDOW_POST_S + ALIGN_S + self.delay_samples / self.fs

    # -- public streaming API ---------------------------------------------------------------------
    def process(self, chunk: np.ndarray, beats: np.ndarray | list[int] = ()) -> BeatFeatures:
        """Append filtered samples and beat positions; return the features that became final."""
        self._check_open("process")
        x = check_signal(chunk, name="chunk")
        self.buffer_ = np.concatenate([self.buffer_, x]) if len(x) else self.buffer_
        self.n_seen_ += len(x)
        self._queue(beats)
        self._window_ready(final=False)
        out = self._finish_ready(final=False)
        self._trim()
        return out

    def flush(self) -> BeatFeatures:
        """End of input: finish every queued beat (see class notes); closed until `reset`."""
        self._check_open("flush")
        self._window_ready(final=True)
        out = self._finish_ready(final=True)
        self._close()
        return out

    # -- internals --------------------------------------------------------------------------------
    def _queue(self, beats: np.ndarray | list[int]) -> None:
        b = np.asarray(beats, dtype=np.int64).ravel()
        if len(b) == 0:
            return
        if np.any(b[1:] <= b[:-1]) or b[0] <= self.last_given_:
            raise SignalError(f"beats must be strictly increasing across calls; got {b[:5].tolist()}... "
                              f"after {self.last_given_}")
        if b[-1] >= self.n_seen_ or b[0] < 0:
            raise SignalError(f"beat at sample {int(b[-1])} is outside the {self.n_seen_} samples received")
        self.pending_.extend(int(v) for v in b)
        self.last_given_ = int(b[-1])

    def _window_ready(self, *, final: bool) -> None:
        need_after = self._align_n + self._post_n + 1
        while self.pending_:
            beat = self.pending_[0]
            centre = beat + self.delay_samples
            if not final and centre + need_after >= self.n_seen_:
                break
            self.pending_.popleft()
            self.windowed_.append(self._window(beat, centre))

    def _segment(self, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) of the record; edges of the record repeat its first/last sample,
        samples dropped from the ring are NaN."""
        out = np.full(stop - start, np.nan)
        lo, hi = max(start, self.buffer_start_), min(stop, self.buffer_start_ + len(self.buffer_))
        if hi > lo:
            out[lo - start:hi - start] = self.buffer_[lo - self.buffer_start_:hi - self.buffer_start_]
        if len(self.buffer_):
            if start < 0 and self.buffer_start_ == 0:
                out[:min(-start, len(out))] = self.buffer_[0]
            end = self.n_seen_
            if stop > end and end == self.buffer_start_ + len(self.buffer_):
                out[max(end - start, 0):] = self.buffer_[-1]
        return out

    def _window(self, beat: int, centre: int) -> _WindowedBeat:
        a = self._align_n
        near = np.abs(self._segment(centre - a, centre + a + 1))
        nan = np.isnan(near)
        if nan.all():
            peak = centre
        else:  # the first largest, NaN skipped, as np.nanargmax gives it
            peak = centre - a + int(np.argmax(np.where(nan, -np.inf, near) if nan.any() else near))
        pre, post = self._pre_n, self._post_n
        seg = self._segment(peak - pre - 1, peak + post + 2)
        wave = np.interp(self.grid_, self.window_points_, seg)
        if np.any(np.isnan(wave)):
            return _WindowedBeat(beat, peak, np.full(N_WAVE_POINTS, np.nan), float("nan"))
        wave = wave - median_1d(wave)
        return _WindowedBeat(beat, peak, wave, float(np.ptp(wave)))

    def _finish_ready(self, *, final: bool) -> BeatFeatures:
        rows: list[np.ndarray] = []
        samples: list[int] = []
        while len(self.windowed_) >= 2 or (final and self.windowed_):
            cur = self.windowed_.popleft()
            nxt = self.windowed_[0].peak if self.windowed_ else None
            rows.append(self._features(cur, nxt))
            samples.append(cur.sample)
        if not rows:
            return BeatFeatures.empty()
        return BeatFeatures(np.asarray(samples, dtype=np.int64), np.vstack(rows))

    def _features(self, cur: _WindowedBeat, next_peak: int | None) -> np.ndarray:
        fs = self.fs
        # RR history before this beat defines "usual" for the patient.
        recent = np.array(self.rr_recent_)
        local = mean_1d(recent) if len(recent) else float("nan")
        long_run = self.rr_long_sum_ / len(self.rr_long_) if self.rr_long_ else float("nan")
        pre = (cur.peak - self.prev_peak_) / fs if self.prev_peak_ is not None else float("nan")
        post = (next_peak - cur.peak) / fs if next_peak is not None else float("nan")
        if math.isnan(pre):
            pre = post
        if math.isnan(post):
            post = pre
        if math.isnan(local):
            local = pre
        if math.isnan(long_run):
            long_run = local
        local_median = median_1d(recent) if len(recent) else pre
        rr = np.array([
            pre, post, local, long_run,
            _ratio(pre, local), _ratio(post, pre), _ratio(pre, long_run), _ratio(post, long_run),
            _ratio(local, long_run), _ratio(pre, local_median), self._rr_irregularity(),
        ])
        # Morphology against the patient's own running scale and template.
        if math.isfinite(cur.ptp) and cur.ptp > 0:
            self.ptp_recent_.append(cur.ptp)
        scale = median_1d(np.array(self.ptp_recent_)) if self.ptp_recent_ else float("nan")
        usable_scale = math.isfinite(scale) and scale > 0
        wave = cur.wave / scale if usable_scale else np.full(N_WAVE_POINTS, np.nan)
        template = median_rows(self.templates_[:self.n_templates_]) if self.n_templates_ else wave
        diff = wave - template
        wave_finite = bool(np.isfinite(wave).all())
        qrs, p = self.qrs_points_, self.p_points_
        corr = corr_1d if wave_finite and np.isfinite(template).all() else _corr  # checked once here
        corrs = [corr(wave, template), corr(wave[qrs], template[qrs]), corr(wave[p], template[p])]
        shape = np.array([
            *corrs,
            math.sqrt(mean_1d(diff**2)),
            cur.ptp / scale if usable_scale else float("nan"),
            self._qrs_width_s(wave) if wave_finite else float("nan"),
        ])
        if wave_finite:
            self.templates_[self.next_template_] = wave
            self.next_template_ = (self.next_template_ + 1) % N_TEMPLATE_BEATS
            self.n_templates_ = min(self.n_templates_ + 1, N_TEMPLATE_BEATS)
        # Update the RR history with this beat.
        if self.prev_peak_ is not None:
            rr_now = (cur.peak - self.prev_peak_) / fs
            self.rr_recent_.append(rr_now)
            self.rr_irregular_.append(rr_now)
            self.rr_long_.append((cur.peak, rr_now))
            self.rr_long_sum_ += rr_now
            horizon = cur.peak - LONG_RR_S * fs
            while self.rr_long_ and self.rr_long_[0][0] < horizon:
                self.rr_long_sum_ -= self.rr_long_.popleft()[1]
        self.prev_peak_ = cur.peak
        return np.concatenate([wave, diff, shape, rr])

    def _rr_irregularity(self) -> float:
        """Median |successive RR change| over the mean RR of the previous intervals; 0 before two."""
        if len(self.rr_irregular_) < 2:
            return 0.0
        rr = np.asarray(self.rr_irregular_)
        return median_1d(np.abs(rr[1:] - rr[:-1])) / mean_1d(rr)

    def _qrs_width_s(self, wave: np.ndarray) -> float:
        """Time a finite waveform stays above half its peak |amplitude| within +-QRS_HALF_S of the peak."""
        mag = np.abs(wave[self.width_points_])
        top = float(mag.max())
        if top <= 0:
            return 0.0
        step = (WINDOW_PRE_S + WINDOW_POST_S) / (N_WAVE_POINTS - 1)
        return float(np.count_nonzero(mag >= 0.5 * top) * step)

    def _trim(self) -> None:
        keep_from = self.n_seen_ - int(round(RING_S * self.fs))
        if self.pending_:
            keep_from = min(keep_from, self.pending_[0] + self.delay_samples - self._align_n - self._pre_n - 2)
        drop = keep_from - self.buffer_start_
        if drop > 0 and 2 * drop >= len(self.buffer_):  # copy only once half the buffer is stale
            self.buffer_ = self.buffer_[drop:].copy()
            self.buffer_start_ += drop


def _points(mask: np.ndarray) -> slice:
    """A run of waveform points given as a mask, as a slice."""
    idx = np.flatnonzero(mask)
    return slice(int(idx[0]), int(idx[-1]) + 1)


def _ratio(a: float, b: float) -> float:
    return a / b if math.isfinite(a) and math.isfinite(b) and b > 0 else float("nan")


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("nan")
    return corr_1d(a, b)


def beat_features(x: np.ndarray, beats: np.ndarray, *, fs: float, delay_samples: int = 0) -> BeatFeatures:
    """Features of every beat of a whole *filtered* record: a thin wrapper over `BeatFeatureExtractor`."""
    ext = BeatFeatureExtractor(fs=fs, delay_samples=delay_samples)
    beats = np.asarray(beats, dtype=np.int64)
    return BeatFeatures.concat([ext.process(x, beats[beats < len(x)]), ext.flush()])


class EcgBeatFeatureStage(StreamingStage):
    """Streaming beat features from the *raw* ECG lead: `EcgFilter` then `BeatFeatureExtractor`.

    Owning the filter keeps the features exactly those the classifier was trained on, whatever the
    pipeline around it filters for display or detection. Non-finite raw samples make the windows that
    contain them NaN (the classifier labels such beats ``Q``, unclassifiable).

    Parameters
    ----------
    fs : float
        Sampling rate in Hz (required).
    """

    def __init__(self, *, fs: float) -> None:
        self.fs = check_fs(fs)
        self.reset()

    def reset(self) -> None:
        """Forget the record (filter state, signal ring, running statistics)."""
        from cardiowatch.signal.filters import EcgFilter

        self.filter_ = EcgFilter(fs=self.fs)
        self.filter_.reset()
        self.extractor_ = BeatFeatureExtractor(fs=self.fs, delay_samples=self.filter_.delay_samples)
        self._open()

    @property
    def delay_s(self) -> float:
        """See `BeatFeatureExtractor.delay_s` (which counts the filter's delay)."""
        return self.extractor_.delay_s

    def process(self, chunk: np.ndarray, beats: np.ndarray | list[int] = ()) -> BeatFeatures:
        """Append raw samples and the beats found so far (sample indices from the record's start)."""
        self._check_open("process")
        x = check_signal(chunk, name="chunk")
        y = self.filter_.process(x)
        bad = ~np.isfinite(x)
        if bad.any():
            y = y.copy()
            y[bad] = np.nan
        return self.extractor_.process(y, beats)

    def flush(self) -> BeatFeatures:
        """End of input: features of the beats still waiting for their next beat; closed until `reset`."""
        self._check_open("flush")
        out = self.extractor_.flush()
        self._close()
        return out


def ecg_beat_features(x: np.ndarray, beats: np.ndarray, *, fs: float) -> BeatFeatures:
    """Features of every beat of a whole raw ECG record: a thin wrapper over `EcgBeatFeatureStage`."""
    stage = EcgBeatFeatureStage(fs=fs)
    x = check_signal(x, name="x")
    beats = np.asarray(beats, dtype=np.int64)
    beats = beats[(beats >= 0) & (beats < len(x))]
    return BeatFeatures.concat([stage.process(x, beats), stage.flush()])
