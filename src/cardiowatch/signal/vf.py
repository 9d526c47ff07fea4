"""Streaming shockable-rhythm (ventricular fibrillation / flutter) detector that reads the ECG itself.

During VF there are no beats, so this stage does not use the QRS detector: it judges overlapping
windows of the signal. Per window (``window_s`` long, one every ``hop_s``, aligned to the input's
start, causal)::

    x ── EcgFilter 1-30 Hz (causal, state kept) ──► window ──► features ─┬─► boosted trees ──► score p
                                  features of the windows `lags` hops back ─┘   (`vf_model.VfModel`)
    raw window ── quality (non-finite, flat, clipped) ──► unusable windows are never scored
    p >= threshold  ──► shockable window ──► hysteresis (n_enter in a row / n_exit in a row) ──► in_vf

Features (cheap, from the VF-detection literature; all computed at once over a matrix of windows):

``tcsc``
    share of samples above 0.2 of the window's largest magnitude (threshold crossing sample count,
    Arafat et al. 2009). VF spends much of its time far from the baseline; sinus rhythm does not.
``mav``
    mean magnitude over the largest magnitude (Anas et al. 2010).
``leakage``
    VF-filter leakage (Kuo & Dillman 1978): how much of the window a notch at its own mean frequency
    lets through. Near-sinusoidal VF leaks little.
``dom_hz``, ``mean_hz``, ``bandwidth_hz``, ``vf_share``, ``high_share``
    from the Hann-windowed power spectrum in 0.5-30 Hz: dominant and mean frequency, spread around
    the mean, the share of power in 2.5-7.5 Hz (where VF lives) and above 12 Hz (QRS edges, muscle noise)
    (Barro et al. 1989; Figuera et al. 2016).
``log_kurtosis``
    narrow QRS spikes give heavy tails; a sine-like VF wave does not.
``acf_peak``, ``rate_per_s``
    height and lag of the highest normalised autocorrelation peak at lags 0.15-2 s: the regularity and
    the rate of the rhythm read from the signal, without beat detection.
``psr``
    share of a 40 x 40 grid visited by the phase-space trajectory (x[n], x[n + 0.5 s]) (Amann et al. 2007).
``slope_share``
    share of samples whose slope exceeds 0.2 of the window's steepest (after the count features of
    Jekova & Krasteva 2004): a QRS is steep for a few samples only.

Sample entropy was left out: it costs O(n^2) per window and the spectral and autocorrelation
features already separate the regular from the disorganised.

Outputs, in time order: one `VfWindow` per window and a `VfChange` each time the hysteresis flips the
state. A window with many non-finite samples, or held flat or at a rail for `FLAT_RUN_S`, carries that `QualityFlag`, score 0
and is not shockable (a lead that is off is not VF; asystole stays the QRS path's alarm). Feeding the
signal whole or in chunks of any size gives the same outputs.

A caller (the pipeline) reads only the `VfChange`\\ s to follow the state: from a ``VfChange(in_vf=True)``
at ``sample`` until the next ``VfChange(in_vf=False)`` the rhythm is shockable VF/flutter (or rapid VT),
estimated to have begun at ``since``; `VfWindow`\\ s carry the per-window scores for display and audit.

References
----------
Kuo S, Dillman R. Computer detection of ventricular fibrillation. Computers in Cardiology 347-349 (1978).
Barro S, Ruiz R, Cabello D, Mira J. Algorithmic sequential decision-making in the frequency domain for
life threatening ventricular arrhythmias and imitative artefacts. J Biomed Eng 11:320-328 (1989).
Arafat MA, Chowdhury AW, Hasan MK. A simple time domain algorithm for the detection of ventricular
fibrillation in electrocardiogram. Signal Image Video Process 5:1-10 (2011; online 2009).
Anas EMA, Lee SY, Hasan MK. Sequential algorithm for life threatening cardiac pathologies detection
based on mean signal strength and EMD functions. Biomed Eng Online 9:43 (2010).
Amann A, Tratnig R, Unterkofler K. Reliability of old and new ventricular fibrillation detection
algorithms for automated external defibrillators. Biomed Eng Online 4:60 (2005).
Amann A, Tratnig R, Unterkofler K. Detecting ventricular fibrillation by time-delay methods.
IEEE Trans Biomed Eng 54(1):174-177 (2007).
Jekova I, Krasteva V. Real time detection of ventricular fibrillation and tachycardia. Physiol Meas
25:1167-1178 (2004).
Figuera C et al. Machine learning techniques for the detection of shockable rhythms in automated
external defibrillators. PLoS One 11(7):e0159654 (2016).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from cardiowatch._checks import check_fs, check_signal
from cardiowatch.errors import ModelError, SignalError
from cardiowatch.signal.filters import EcgFilter
from cardiowatch.signal.vf_model import VfModel, vf_context
from cardiowatch.signal.quality_segment import QualityFlag
from cardiowatch.stage import StreamingStage

__all__ = [
    "FEATURE_NAMES", "VfChange", "VfDetector", "VfFeatures", "VfHysteresis", "VfModel", "VfWindow",
    "ecg_vf_features", "vf_events", "window_features", "window_quality",
]

#: Band the features see (Hz): drops baseline wander and mains/EMG above 30 Hz.
BAND_HZ = (1.0, 30.0)
SPECTRUM_HZ = (0.5, 30.0)
VF_BAND_HZ = (2.5, 7.5)
HIGH_BAND_HZ = 12.0
TCSC_LEVEL = 0.2
#: Autocorrelation lags searched for the rhythm's period (s): 30 to 400 cycles per minute.
ACF_LAG_S = (0.15, 2.0)
#: Phase-space reconstruction: delay (s) and boxes per axis (Amann et al. 2007).
PSR_DELAY_S = 0.5
PSR_BOXES = 40
SLOPE_LEVEL = 0.2
#: A window is unusable (MISSING) when more than this share of its samples is non-finite. Fewer are held at
#: the last finite value by the filter: recorders mark samples beyond their ADC range as invalid, and a
#: coarse VF wave that saturates must still be judged.
MISSING_MAX_SHARE = 0.10
#: A window holding a run of identical samples this long is FLAT (CLIPPED when the run is at the window's
#: extreme): a lead that is off, an amplifier at its rail, a stuck ADC.
FLAT_RUN_S = 0.5
#: Feature order of the model's inputs.
FEATURE_NAMES: tuple[str, ...] = (
    "tcsc", "mav", "leakage", "dom_hz", "mean_hz", "bandwidth_hz", "vf_share", "high_share",
    "log_kurtosis", "acf_peak", "rate_per_s", "psr", "slope_share",
)
_EPS = 1e-12


@dataclass(frozen=True)
class VfWindow:
    """One judged window: samples ``start`` (inclusive) to ``end`` (exclusive) from the input's start.

    ``score`` is the classifier's probability of a shockable rhythm (0 where not scored), ``shockable``
    whether it reached the model's threshold, ``in_vf`` the state after this window (hysteresis), and
    ``quality`` the reason the window was not scored (None when it was).
    """

    start: int
    end: int
    score: float
    shockable: bool
    in_vf: bool
    quality: QualityFlag | None = None


@dataclass(frozen=True)
class VfChange:
    """The VF state flips: decided at sample ``sample`` (the end of the deciding window).

    ``since`` dates the change back to where the run of windows that decided it began (the last hop of
    its first window): the best estimate of the onset or end of the shockable rhythm.
    """

    sample: int
    in_vf: bool
    since: int


class VfHysteresis:
    """Enter VF after ``n_enter`` shockable windows in a row, leave after ``n_exit`` non-shockable ones."""

    def __init__(self, n_enter: int, n_exit: int) -> None:
        self.n_enter = n_enter
        self.n_exit = n_exit
        self.in_vf = False
        self.run = 0  # windows in a row that disagree with the state
        self.run_end = 0  # end of the first window of that run

    def update(self, shockable: bool, end: int) -> bool:
        """Take the decision of the window ending at sample ``end``; return True when the state flips."""
        if shockable != self.in_vf:
            if self.run == 0:
                self.run_end = end
            self.run += 1
            if self.run >= (self.n_exit if self.in_vf else self.n_enter):
                self.in_vf, self.run = shockable, 0
                return True
        else:
            self.run = 0
        return False


def vf_events(ends: np.ndarray, scores: np.ndarray, quality: tuple[QualityFlag | None, ...], *,
              threshold: float, window: int, hop: int, state: VfHysteresis) -> list[VfWindow | VfChange]:
    """Turn window scores into `VfWindow`\\ s and `VfChange`\\ s, advancing ``state`` (the detector's
    decision step; training replays it on out-of-fold scores)."""
    out: list[VfWindow | VfChange] = []
    for end, score, q in zip(ends.tolist(), scores.tolist(), quality):
        usable = q is None
        shockable = usable and score >= threshold
        flipped = state.update(shockable, end)
        out.append(VfWindow(end - window, end, float(score) if usable else 0.0, shockable, state.in_vf, q))
        if flipped:
            out.append(VfChange(end, state.in_vf, state.run_end - hop))
    return out


@dataclass(frozen=True)
class VfFeatures:
    """Features of every window of a signal: ``ends`` (sample after each window), ``features`` (one row per
    window, columns `FEATURE_NAMES`), ``quality`` (None where the window is usable)."""

    ends: np.ndarray
    features: np.ndarray
    quality: tuple[QualityFlag | None, ...]
    window: int  #: window length in samples


class VfDetector(StreamingStage):
    """Streaming shockable-rhythm detector over raw ECG samples (any rate 125-500 Hz).

    Parameters
    ----------
    fs : float
        Sampling rate in Hz (required), 125 to 500.
    model : VfModel or None
        Classifier and decision rule; None reads the shipped ``vf_detector.json``.

    Examples
    --------
    >>> det = VfDetector(fs=250.0)
    >>> det.reset()
    >>> t = np.arange(2500) / 250.0
    >>> events = det.process(np.sin(2 * np.pi * 5 * t) * (1 + 0.3 * np.sin(t))) + det.flush()
    >>> any(isinstance(e, VfChange) and e.in_vf for e in events)
    True
    """

    MIN_FS = 125.0
    MAX_FS = 500.0

    def __init__(self, *, fs: float, model: VfModel | None = None) -> None:
        self.fs = check_fs(fs)
        if not self.MIN_FS <= self.fs <= self.MAX_FS:
            raise SignalError(f"VfDetector works at {self.MIN_FS:g}-{self.MAX_FS:g} Hz, got fs={fs!r}")
        self.model = model if model is not None else VfModel.load_shipped(features=FEATURE_NAMES)
        if self.model.features != FEATURE_NAMES:
            raise ModelError(f"VF model made for features {self.model.features}, this code computes {FEATURE_NAMES}")
        self.window = int(round(self.model.window_s * self.fs))
        self.hop = int(round(self.model.hop_s * self.fs))
        self._filter = EcgFilter(fs=self.fs, low_hz=BAND_HZ[0], high_hz=BAND_HZ[1])
        self._flat_min = max(2, int(round(FLAT_RUN_S * self.fs)))
        self.reset()

    @property
    def delay_s(self) -> float:
        """A window's result comes at its end, ``window_s`` after its first sample; a `VfChange` comes
        at most ``max(n_enter, n_exit) - 1`` hops after its first deciding window ends."""
        return self.model.window_s + (max(self.model.n_enter, self.model.n_exit) - 1) * self.model.hop_s

    def reset(self) -> None:
        """Start afresh (next record, or a gap in the input)."""
        self._filter.reset()
        self.n_seen_ = 0
        first_end = -(-self.window // self.hop) * self.hop
        self.next_end_ = first_end
        self.buf_start_ = 0  # sample index of buf_raw_[0]
        self.buf_raw_ = np.zeros(0)
        self.buf_filt_ = np.zeros(0)
        self.hyst_ = VfHysteresis(self.model.n_enter, self.model.n_exit)
        self.history_ = np.zeros((0, len(FEATURE_NAMES)))  # features of the last windows (model context)
        self._open()

    def process(self, chunk: np.ndarray) -> list[VfWindow | VfChange]:
        """Feed the next samples (any length); return the windows completed within them and any state
        change, in time order."""
        self._check_open("process")
        ends, feats, quality = self._features(check_signal(chunk, name="chunk"))
        if ends.size == 0:
            return []
        scores = self.model.score(vf_context(self.history_, feats, self.model.lags))
        keep = self.model.max_lag
        self.history_ = np.concatenate([self.history_, feats])[-keep:] if keep else self.history_
        return vf_events(ends, scores, quality, threshold=self.model.threshold, window=self.window,
                         hop=self.hop, state=self.hyst_)

    def flush(self) -> list[VfWindow | VfChange]:
        """End of input: a last partial window is not judged; the stage closes."""
        self._check_open("flush")
        self._close()
        return []

    @property
    def final_through(self) -> int:
        """Samples whose VF state is decided. A change into VF dates back to ``since``, the last hop of
        the first window of the run that declares it: while such a run is going on, samples from there
        on are undecided, and otherwise the next window may start one, so its last hop is undecided. A
        change out of VF takes effect at the end of the window that decides it."""
        hyst = self.hyst_
        if hyst.in_vf:
            return self.next_end_
        if hyst.run > 0:
            return hyst.run_end - self.hop
        return self.next_end_ - self.hop

    # ------------------------------------------------------------------ windows and features
    def _features(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[QualityFlag | None, ...]]:
        """Advance over ``x``; return the ends, feature rows and quality of the windows it completes."""
        filt = self._filter.process(x)
        self.n_seen_ += x.size
        self.buf_raw_ = np.concatenate([self.buf_raw_, x])
        self.buf_filt_ = np.concatenate([self.buf_filt_, filt])
        if self.next_end_ > self.n_seen_:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURE_NAMES))), ()
        ends = np.arange(self.next_end_, self.n_seen_ + 1, self.hop, dtype=np.int64)
        first = int(ends[0]) - self.window - self.buf_start_
        raw = _windows(self.buf_raw_, first, ends.size, self.window, self.hop)
        filt_w = _windows(self.buf_filt_, first, ends.size, self.window, self.hop)
        quality = window_quality(raw, flat_min=self._flat_min)
        feats = window_features(filt_w, fs=self.fs)
        self.next_end_ = int(ends[-1]) + self.hop
        keep = self.next_end_ - self.window - self.buf_start_
        self.buf_raw_ = self.buf_raw_[keep:].copy()
        self.buf_filt_ = self.buf_filt_[keep:].copy()
        self.buf_start_ += keep
        return ends, feats, quality


def _windows(buf: np.ndarray, first: int, rows: int, window: int, hop: int) -> np.ndarray:
    """Read-only view of ``rows`` windows of a contiguous buffer, the first at ``first``, one every ``hop``."""
    if rows == 1:  # the live case: a plain slice, without as_strided's cost
        return buf[first:first + window][None, :]
    step = buf.strides[0]
    return as_strided(buf[first:], shape=(rows, window), strides=(hop * step, step), writeable=False)


def window_quality(raw: np.ndarray, *, flat_min: int) -> tuple[QualityFlag | None, ...]:
    """Per row of raw samples: MISSING (more than `MISSING_MAX_SHARE` non-finite), CLIPPED (a run of
    ``flat_min`` identical samples at the window's extreme), FLAT (such a run elsewhere, or no variation
    at all), else None (usable)."""
    return tuple(_row_quality(row, flat_min) for row in raw)


def _row_quality(raw: np.ndarray, flat_min: int) -> QualityFlag | None:
    n = raw.size
    finite = np.isfinite(raw)
    n_finite = int(np.count_nonzero(finite))
    if (n - n_finite) / n > MISSING_MAX_SHARE:
        return QualityFlag.MISSING
    if n_finite == n:
        lo, hi = float(raw.min()), float(raw.max())
    elif n_finite:
        lo, hi = float(raw[finite].min()), float(raw[finite].max())
    else:
        lo, hi = np.inf, -np.inf
    if hi <= lo:
        return QualityFlag.FLAT
    same = (raw[1:] - raw[:-1]) == 0  # np.diff without its overhead; NaN never equals anything: it breaks a run
    if np.count_nonzero(same) < flat_min - 1:
        return None  # too few repeats in all for any run of flat_min identical samples
    # runs of identical samples lie between the breaks; a run of k repeats holds k + 1 samples
    breaks = np.flatnonzero(~same)
    edges = np.empty(breaks.size + 2, dtype=np.int64)
    edges[0], edges[1:-1], edges[-1] = -1, breaks, n - 1
    first = edges[:-1][edges[1:] - edges[:-1] - 1 >= flat_min - 1] + 1  # first sample of each long run
    if first.size == 0:
        return None
    value = raw[first]
    return QualityFlag.CLIPPED if bool(np.any((value == hi) | (value == lo))) else QualityFlag.FLAT


def window_features(x: np.ndarray, *, fs: float) -> np.ndarray:
    """`FEATURE_NAMES` for every row of ``x`` (filtered windows), vectorised; shape (rows, features)."""
    # Every reduction is numpy's own (a pairwise sum along each row, then a division by the count), as
    # `mean` would do it, without `mean`'s argument handling: a live detector has one row per call.
    n_win, n = x.shape
    out = np.zeros((n_win, len(FEATURE_NAMES)))
    if n_win == 0:
        return out
    add = np.add.reduce
    x = x - add(x, axis=1, keepdims=True) / n
    mag = np.abs(x)
    peak = mag.max(axis=1, keepdims=True) + _EPS
    out[:, 0] = np.count_nonzero(mag > TCSC_LEVEL * peak, axis=1) / n
    out[:, 1] = add(mag / peak, axis=1) / n
    slope = np.abs(x[:, 1:] - x[:, :-1])  # np.diff without its overhead
    out[:, 2] = _leakage(x, mag, slope)

    grid = _spectrum_grid(n, fs)
    spec = np.abs(np.fft.rfft(x * grid.taper, axis=1)) ** 2
    # boolean masks, not slices: numpy sums the rows of the arrays they give in another order than those
    # of a view, and the features of many windows at once must stay what they were
    p, f = spec[:, grid.band], grid.freqs[grid.band]
    total = add(p, axis=1) + _EPS
    out[:, 3] = f[np.argmax(p, axis=1)]
    mean_hz = add(p * f, axis=1) / total
    out[:, 4] = mean_hz
    out[:, 5] = np.sqrt(add(p * (f - mean_hz[:, None]) ** 2, axis=1) / total)
    out[:, 6] = add(p[:, grid.vf_band], axis=1) / total
    out[:, 7] = add(p[:, grid.high_band], axis=1) / total

    var = add(x**2, axis=1) / n + _EPS
    out[:, 8] = np.log(add(x**4, axis=1) / n / var**2 + _EPS)

    acf = np.fft.irfft(np.abs(np.fft.rfft(x, grid.nfft, axis=1)) ** 2, grid.nfft, axis=1)
    lo, hi = grid.acf_lags
    # the biased estimate shrinks with the lag, so the first of equal peaks (the rhythm, not a multiple) wins
    norm = acf[:, lo : hi + 1] / (acf[:, :1] + _EPS)
    best = np.argmax(norm, axis=1)
    out[:, 9] = norm[np.arange(n_win), best]
    out[:, 10] = fs / (lo + best)
    out[:, 11] = _psr(x, delay=grid.psr_delay)
    out[:, 12] = np.count_nonzero(slope > SLOPE_LEVEL * (slope.max(axis=1, keepdims=True) + _EPS), axis=1) / (n - 1)
    return out


@dataclass(frozen=True)
class _Grid:
    """What the features of an ``n``-sample window at one rate need beyond its samples: the same for
    every window of a detector, and costly to remake for each one-second hop."""

    taper: np.ndarray  #: Hann taper of the spectrum
    freqs: np.ndarray  #: frequencies of the rfft bins
    band: np.ndarray  #: bins in `SPECTRUM_HZ`
    vf_band: np.ndarray  #: bins of the band in `VF_BAND_HZ`
    high_band: np.ndarray  #: bins of the band from `HIGH_BAND_HZ`
    nfft: int  #: FFT length of the autocorrelation (no circular wrap)
    acf_lags: tuple[int, int]  #: autocorrelation lags searched, first and last
    psr_delay: int  #: phase-space delay in samples


@functools.lru_cache(maxsize=8)
def _spectrum_grid(n: int, fs: float) -> _Grid:
    taper, freqs = np.hanning(n), np.fft.rfftfreq(n, 1.0 / fs)
    band = (freqs >= SPECTRUM_HZ[0]) & (freqs <= SPECTRUM_HZ[1])
    f = freqs[band]
    grid = _Grid(taper, freqs, band, (f >= VF_BAND_HZ[0]) & (f <= VF_BAND_HZ[1]), f >= HIGH_BAND_HZ,
                 nfft=1 << int(np.ceil(np.log2(2 * n))),
                 acf_lags=(int(round(ACF_LAG_S[0] * fs)), min(n - 1, int(round(ACF_LAG_S[1] * fs)))),
                 psr_delay=min(n - 1, int(round(PSR_DELAY_S * fs))))
    for arr in (grid.taper, grid.freqs, grid.band, grid.vf_band, grid.high_band):
        arr.flags.writeable = False  # shared between calls
    return grid


def _psr(x: np.ndarray, *, delay: int) -> np.ndarray:
    """Share of the `PSR_BOXES` x `PSR_BOXES` grid visited by (x[n], x[n + delay]), each row scaled to
    its range (phase-space reconstruction, Amann et al. 2007): VF wanders, sinus rhythm keeps to a loop."""
    n_win, n = x.shape
    lo = x.min(axis=1, keepdims=True)
    span = x.max(axis=1, keepdims=True) - lo + _EPS
    box = np.minimum((PSR_BOXES * (x - lo) / span).astype(np.int64), PSR_BOXES - 1)
    cell = box[:, :-delay] * PSR_BOXES + box[:, delay:]
    if n_win > 1:
        cell += (np.arange(n_win) * PSR_BOXES**2)[:, None]  # each row its own grid
    visited = np.zeros(n_win * PSR_BOXES**2, dtype=bool)
    visited[cell.ravel()] = True
    return np.count_nonzero(visited.reshape(n_win, -1), axis=1) / PSR_BOXES**2


def _leakage(x: np.ndarray, mag: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """VF-filter leakage per row (Kuo & Dillman 1978, as in Amann et al. 2005); ``mag`` and ``slope`` are
    ``|x|`` and ``|diff(x)|``."""
    n_win, n = x.shape
    add = np.add.reduce
    d = add(slope, axis=1) + _EPS
    half = np.floor(np.pi * add(mag, axis=1) / d + 0.5).astype(np.int64)
    out = np.empty(n_win)
    # the sums run over the whole row with zeros where the shifted window has no sample yet, so they
    # add in the same order whatever the shift
    num, den = np.zeros(n), np.zeros(n)
    for i, h in enumerate(half.tolist()):
        h = min(max(h, 1), n - 1)
        np.abs(np.add(x[i, h:], x[i, :-h], out=num[h:]), out=num[h:])
        np.add(mag[i, h:], mag[i, :-h], out=den[h:])
        num[:h] = den[:h] = 0.0
        out[i] = add(num) / (add(den) + _EPS)
    return out


def ecg_vf_features(x: np.ndarray, *, fs: float, model: VfModel | None = None,
                    chunk_s: float = 60.0) -> VfFeatures:
    """Features and quality of every window of a whole signal, through `VfDetector`'s own streaming path
    (training and the evaluation scorer read them; the model only sets the window and hop)."""
    det = VfDetector(fs=fs, model=model)
    x = check_signal(x, name="signal")
    step = max(1, int(chunk_s * det.fs))
    ends, feats, quality = [], [], []
    for i in range(0, x.size, step):
        e, f, q = det._features(x[i : i + step])
        ends.append(e)
        feats.append(f)
        quality.extend(q)
    return VfFeatures(np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64),
                      np.vstack(feats) if feats else np.zeros((0, len(FEATURE_NAMES))),
                      tuple(quality), det.window)
