"""Streaming ECG signal-quality indices per window, and the noise score `EcgQuality` flags ``noisy`` from.

Every `SQI_HOP_S` (blocks aligned to the input's start) the last `SQI_WINDOW_S` of signal are rated
from the past alone, so the scores are the same for any chunking:

shape indices (Li, Mark & Clifford 2008; Clifford et al. 2012)
    kSQI, the kurtosis of the 1-40 Hz band (a clean ECG is peaky, noise is not); basSQI, the share of
    0-1 Hz power in 0-40 Hz (baseline and motion); the share of 40 Hz-and-up power against 5-40 Hz
    (muscle); the mean absolute second difference of the 1-40 Hz band (per s^2) against its range; the crest factor
    (peak against RMS) of the 1-40 Hz band.
level indices, relative to the patient's own recent signal
    the 1-40 Hz power, the median and the 99th percentile of the 1-40 Hz band's magnitude, each minus
    its `SQI_REFERENCE_QUANTILE` th percentile over the previous `SQI_REFERENCE_S` of windows: noise
    at a given SNR is large only against that patient's QRS, so a scale-free level needs a reference
    from the same recording. No score is given before `SQI_MIN_HISTORY` windows have set it.

The score is a logistic regression of these (a tiny model, `NOISE_WEIGHTS`); `EcgQuality` flags a block
noisy when the score of the window centred on it exceeds `NOISE_THRESHOLD`.
Weights and threshold were fitted by ``training/noise_flag_fit.py`` on the DS1 records of mitdb, clean
and with the training half of the nstdb ``em`` and ``ma`` noise at 6 and 0 dB (never DS2, never the
evaluation half of the noise); the threshold leaves 0.5 % of clean DS1 windows above it, and (in
sample) 26 % (em) and 33 % (ma) of the noisy windows at 6 dB, 68 % and 69 % at 0 dB: most noise at
0 dB, a minority at 6 dB, where much of the noise is small against the QRS complexes.

References
----------
Li Q, Mark RG, Clifford GD. Robust heart rate estimation from multiple asynchronous noisy sources using
signal quality indices and a Kalman filter. Physiol Meas 29(1):15-32 (2008).
Clifford GD, Behar J, Li Q, Rezek I. Signal quality indices and data fusion for determining clinical
acceptability of electrocardiograms. Physiol Meas 33(9):1419-1433 (2012).
Behar J, Oster J, Li Q, Clifford GD. ECG signal quality during arrhythmia and its application to false
alarm reduction. IEEE Trans Biomed Eng 60(6):1660-1666 (2013).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from cardiowatch._checks import check_fs
from cardiowatch._reduce import median_axis, percentile_axis

SQI_WINDOW_S = 3.0
SQI_HOP_S = 1.0
#: Level indices are read against this percentile of the previous windows' ...
SQI_REFERENCE_QUANTILE = 20.0
#: ... over this much signal (the 2-minute noise bursts of nstdb leave it mostly clean) ...
SQI_REFERENCE_S = 300.0
#: ... once at least this many windows have set it.
SQI_MIN_HISTORY = 10
#: Names of the indices, in the order of `NOISE_WEIGHTS`.
SQI_NAMES: tuple[str, ...] = (
    "log_kurtosis", "log_baseline_share", "log_hf_ratio", "log_d2_ratio", "log_crest",
    "rel_log_power", "rel_log_floor", "rel_log_peak",
)
#: Logistic-regression weights on the indices and the intercept (``training/noise_flag_fit.py``).
NOISE_WEIGHTS = np.array([-2.662095, 0.766714, -0.190989, 2.945709, 5.243192, -0.633871, 4.559814, 1.090501])
NOISE_INTERCEPT = -21.140478
NOISE_THRESHOLD = 4.139781

_EPS = 1e-12


def ecg_sqi_windows(windows: np.ndarray, *, fs: float) -> np.ndarray:
    """The shape indices and the (absolute) log levels of each row of ``windows``.

    Returns an array of shape ``(n_windows, 8)``: the five shape indices of `SQI_NAMES`, then the log
    1-40 Hz power, log median and log 99th percentile of the 1-40 Hz band's magnitude.
    """
    return _sqi_windows(windows, _bands(windows.shape[1], check_fs(fs)))


@dataclass(frozen=True)
class _Bands:
    """The rfft bins of each band for one window length and rate (the same for every window)."""

    fs: float
    all_40: np.ndarray  #: 0-40 Hz
    above_5: np.ndarray  #: 5-40 Hz
    high: np.ndarray  #: 40 Hz up to 0.45 fs or 100 Hz
    below_1: np.ndarray  #: 0-1 Hz
    qrs: np.ndarray  #: 1-40 Hz
    outside: np.ndarray  #: bins the 1-40 Hz band drops


@functools.lru_cache(maxsize=8)
def _bands(n: int, fs: float) -> _Bands:
    freq = np.fft.rfftfreq(n, 1.0 / fs)

    def band(lo: float, hi: float) -> np.ndarray:
        return (freq >= lo) & (freq < hi)

    out = _Bands(fs, band(0.0, 40.0), band(5.0, 40.0), band(40.0, min(0.45 * fs, 100.0)), band(0.0, 1.0),
                 band(1.0, 40.0), (freq < 1.0) | (freq > 40.0))
    for mask in (out.all_40, out.above_5, out.high, out.below_1, out.qrs, out.outside):
        mask.flags.writeable = False  # shared between calls
    return out


def _sqi_windows(windows: np.ndarray, bands: _Bands) -> np.ndarray:
    # numpy's own reductions (a pairwise sum per row, then a division by the count, as `mean` does it)
    # without `mean`'s, `median`'s and `percentile`'s argument handling: a live stage has one row per call
    add = np.add.reduce
    fs = bands.fs
    n = windows.shape[1]
    w = windows - add(windows, axis=1, keepdims=True) / n
    spec = np.fft.rfft(w, axis=1)
    power = np.abs(spec) ** 2

    def band(mask: np.ndarray) -> np.ndarray:
        return add(power[:, mask], axis=1) + _EPS

    p_0_40, p_5_40 = band(bands.all_40), band(bands.above_5)
    p_hf = band(bands.high)
    spec[:, bands.outside] = 0.0
    y = np.fft.irfft(spec, n, axis=1)
    m2 = add(y**2, axis=1) / n + _EPS
    mag = np.abs(y)
    kurt = add(y**4, axis=1) / n / m2**2
    # curvature of the band in units/s^2 against its range: the same for any sampling rate
    first = y[:, 1:] - y[:, :-1]  # np.diff twice, without its overhead
    second = np.abs(first[:, 1:] - first[:, :-1])
    d2 = add(second, axis=1) / second.shape[1] * fs**2
    span = (y.max(axis=1) - y.min(axis=1)) + _EPS
    return np.column_stack([
        np.log(kurt + _EPS), np.log(band(bands.below_1) / p_0_40), np.log(p_hf / p_5_40), np.log(d2 / span + _EPS),
        np.log(mag.max(axis=1) / np.sqrt(m2) + _EPS),
        np.log(band(bands.qrs)), np.log(median_axis(mag, axis=1) + _EPS),
        np.log(percentile_axis(mag, 99, axis=1) + _EPS),
    ])


class EcgNoiseIndex:
    """Streaming noise score per `SQI_HOP_S` block; the part of `EcgQuality` that rates noise.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz (required).
    weights, intercept : optional
        The model (`NOISE_WEIGHTS`, `NOISE_INTERCEPT` when None); given only when fitting it.

    `process(chunk)` returns the end sample of each block completed in the chunk and the score of the
    window ending there (NaN where none is given: too little history, or a non-finite sample in the
    window); `process_indices` returns the indices themselves, for fitting.

    Examples
    --------
    >>> index = EcgNoiseIndex(fs=250.0)
    >>> ends, scores = index.process(np.sin(np.arange(250 * 20) / 10.0))
    >>> ends[:3].tolist(), bool(np.isnan(scores[0]))
    ([750, 1000, 1250], True)
    """

    def __init__(self, *, fs: float, weights: np.ndarray | None = None, intercept: float | None = None) -> None:
        self.fs = check_fs(fs)
        self.weights = weights
        self.intercept = intercept
        self.reset()

    def reset(self) -> None:
        self.hop_ = max(4, int(round(SQI_HOP_S * self.fs)))
        self.window_ = self.hop_ * int(round(SQI_WINDOW_S / SQI_HOP_S))
        self.n_seen_ = 0
        self.tail_ = np.empty(0)
        # the level indices of the last windows, as rows of a ring (a percentile does not depend on
        # the rows' order)
        self.levels_ = np.zeros((int(round(SQI_REFERENCE_S / SQI_HOP_S)), len(SQI_NAMES) - 5))
        self.n_levels_ = 0
        self.next_level_ = 0  # the ring row the next window's levels overwrite

    def process_indices(self, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance over ``chunk``; return the end sample of each completed block and its `SQI_NAMES`
        indices (a row of NaN where no index is given)."""
        full = np.concatenate([self.tail_, chunk])
        first = self.n_seen_ - self.tail_.size  # sample index of full[0]
        self.n_seen_ += chunk.size
        self.tail_ = full[-self.window_:]
        k0 = max(self.window_, -(-(self.n_seen_ - chunk.size + 1) // self.hop_) * self.hop_)
        ends = np.arange(k0, self.n_seen_ + 1, self.hop_, dtype=np.int64)
        if ends.size == 0:
            return ends, np.empty((0, len(SQI_NAMES)))
        if ends.size == 1:  # the live case: one block per chunk, a plain slice
            start = int(ends[0]) - first - self.window_
            windows = full[start:start + self.window_][None, :]
        else:
            windows = full[(ends - first - self.window_)[:, None] + np.arange(self.window_)[None, :]]
        finite = np.isfinite(windows).all(axis=1)
        raw = np.full((ends.size, len(SQI_NAMES)), np.nan)
        if finite.all():
            raw[:] = _sqi_windows(windows, _bands(self.window_, self.fs))
        elif finite.any():
            raw[finite] = _sqi_windows(windows[finite], _bands(self.window_, self.fs))
        out = np.full_like(raw, np.nan)
        for i in range(ends.size):
            if not finite[i]:
                continue
            if self.n_levels_ >= SQI_MIN_HISTORY:
                ref = percentile_axis(self.levels_[:self.n_levels_], SQI_REFERENCE_QUANTILE, axis=0)
                out[i, :5] = raw[i, :5]
                out[i, 5:] = raw[i, 5:] - ref
            self.levels_[self.next_level_] = raw[i, 5:]
            self.next_level_ = (self.next_level_ + 1) % len(self.levels_)
            self.n_levels_ = min(self.n_levels_ + 1, len(self.levels_))
        return ends, out

    def process(self, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance over ``chunk``; return each completed block's end sample and its score."""
        ends, indices = self.process_indices(chunk)
        return ends, self.score_indices(indices)

    def score_indices(self, indices: np.ndarray) -> np.ndarray:
        """The noise score (log-odds) of rows of `process_indices`; NaN where there are no indices."""
        weights = NOISE_WEIGHTS if self.weights is None else np.asarray(self.weights)
        intercept = NOISE_INTERCEPT if self.intercept is None else self.intercept
        return indices @ weights + intercept
