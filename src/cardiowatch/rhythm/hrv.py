"""Time-domain heart rate variability from beat (or pulse) times: `hrv_time`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cardiowatch._checks import check_fs
from cardiowatch.rhythm.intervals import MAX_RR_S, MIN_RR_S, rr_intervals

#: Successive-difference limit of pNN50 (s).
NN50_S = 0.050


@dataclass(frozen=True)
class HrvTime:
    """Time-domain HRV over normal-to-normal (NN) intervals; NaN where too few intervals."""

    mean_nn_ms: float
    sdnn_ms: float
    rmssd_ms: float
    pnn50_pct: float
    n_intervals: int

    @property
    def mean_hr_bpm(self) -> float:
        return 60000.0 / self.mean_nn_ms if self.mean_nn_ms > 0 else math.nan


def hrv_time(sample: np.ndarray, *, fs: float, label: np.ndarray | None = None) -> HrvTime:
    """SDNN, RMSSD and pNN50 of the normal-to-normal intervals between beats.

    An interval counts as NN when it is plausible (`rr_intervals`: 0.25-3 s) and, where beat classes are
    given, both its beats are normal ("N"; "" counts as normal, as PPG gives no classes). Successive
    differences use adjacent NN intervals only.

    Parameters
    ----------
    sample : array of int
        Beat times (sample index from the record's start).
    fs : float
        Sampling rate of ``sample`` (Hz).
    label : array of str, optional
        AAMI class per beat.

    Returns
    -------
    HrvTime

    Examples
    --------
    >>> beats = np.cumsum(np.tile([100, 110], 50))   # 1.00 s and 1.10 s alternating, fs = 100 Hz
    >>> h = hrv_time(beats, fs=100.0)
    >>> round(h.rmssd_ms), round(h.pnn50_pct), round(h.sdnn_ms)
    (100, 100, 50)

    References
    ----------
    .. [1] Task Force of the European Society of Cardiology and the North American Society of Pacing and
       Electrophysiology. Heart rate variability: standards of measurement, physiological interpretation
       and clinical use. Circulation 93(5):1043-1065 (1996).
    """
    s = np.asarray(sample)
    rr, nn = rr_intervals(s, fs=fs)
    if label is not None:
        lab = np.asarray(label, dtype=object)
        if lab.shape != s.shape:
            raise ValueError(f"label has shape {lab.shape}, beats have {s.shape}")
        normal = _normal(lab)
        nn &= normal & np.r_[False, normal[:-1]]
    return _hrv_stats(rr[nn] * 1000.0, np.diff(rr * 1000.0)[nn[1:] & nn[:-1]])


class HrvWindow:
    """`hrv_time` of the beats of the last ``window_s`` seconds, kept up to date beat by beat (streaming).

    Each `add` works out the intervals of its new beats only and keeps those of the window; the figures
    are the very numbers `hrv_time` gives for the window's beats (its first beat has no interval).

    Examples
    --------
    >>> hrv = HrvWindow(fs=100.0, window_s=60.0)
    >>> beats = np.cumsum(np.tile([100, 110], 50))
    >>> h = [hrv.add(beats[i:i + 7], None) for i in range(0, 100, 7)][-1]
    >>> h == hrv_time(beats[beats >= beats[-1] - 6000], fs=100.0)
    True
    """

    def __init__(self, *, fs: float, window_s: float) -> None:
        self.fs = check_fs(fs)
        self.window_s = window_s
        self.clear()

    def clear(self) -> None:
        """Forget every beat (after a gap: the interval across it is unknown)."""
        self.sample_ = np.empty(0, dtype=np.int64)
        # per beat, whatever the window: the interval ending at it (ms) and whether it is normal-to-normal,
        # and the difference from the interval before (ms) and whether both of them are
        self.rr_ms_ = np.empty(0)
        self.nn_ = np.zeros(0, dtype=bool)
        self.diff_ms_ = np.empty(0)
        self.pair_ = np.zeros(0, dtype=bool)
        self.last_normal_ = False

    def add(self, sample: np.ndarray, label: np.ndarray | None) -> HrvTime:
        """Add the next beats (and their classes, None when unknown) and return the window's HRV."""
        s = np.asarray(sample)
        if len(s):
            self._append(s, label)
        # the window's first beat has no interval in the window, nor has the difference after it
        return _hrv_stats(self.rr_ms_[1:][self.nn_[1:]], self.diff_ms_[2:][self.pair_[2:]])

    def _append(self, s: np.ndarray, label: np.ndarray | None) -> None:
        prev = self.sample_[-1:]
        rr = np.diff(np.concatenate([prev, s]).astype(np.float64)) / self.fs
        if not len(prev):
            rr = np.concatenate([[np.nan], rr])
        nn = (rr >= MIN_RR_S) & (rr <= MAX_RR_S)  # NaN (unknown) compares False
        if label is not None:
            normal = _normal(np.asarray(label, dtype=object))
            nn &= normal & np.concatenate([[self.last_normal_], normal[:-1]])
            self.last_normal_ = bool(normal[-1])
        else:
            self.last_normal_ = True
        rr_ms = rr * 1000.0
        before = (self.rr_ms_[-1:], self.nn_[-1:]) if len(prev) else ([np.nan], [False])
        diff_ms = np.diff(np.concatenate([before[0], rr_ms]))
        pair = nn & np.concatenate([before[1], nn[:-1]])
        samples = np.concatenate([self.sample_, s])
        first = int(np.searchsorted(samples, samples[-1] - self.window_s * self.fs, side="left"))
        self.sample_ = samples[first:]
        self.rr_ms_ = np.concatenate([self.rr_ms_, rr_ms])[first:]
        self.nn_ = np.concatenate([self.nn_, nn])[first:]
        self.diff_ms_ = np.concatenate([self.diff_ms_, diff_ms])[first:]
        self.pair_ = np.concatenate([self.pair_, pair])[first:]


def _normal(label: np.ndarray) -> np.ndarray:
    """Beats that count as normal: "N", or "" (no class, as from pulses)."""
    return (label == "N") | (label == "")


def _hrv_stats(nn_ms: np.ndarray, diff_ms: np.ndarray) -> HrvTime:
    """`HrvTime` of the normal-to-normal intervals and of the differences of adjacent ones (ms). The means
    and the standard deviation are numpy's spelled out (the same sums and divisions, bit for bit) without
    their Python wrappers, which cost more than the arithmetic when asked for every chunk."""
    n, m = len(nn_ms), len(diff_ms)
    if n < 2:
        return HrvTime(math.nan, math.nan, math.nan, math.nan, int(n))
    mean = np.add.reduce(nn_ms) / n
    dev = nn_ms - mean
    return HrvTime(
        mean_nn_ms=float(mean),
        sdnn_ms=float(np.sqrt(np.add.reduce(dev * dev) / (n - 1))),
        rmssd_ms=float(np.sqrt(np.add.reduce(diff_ms * diff_ms) / m)) if m else math.nan,
        pnn50_pct=float(100.0 * (np.add.reduce(np.abs(diff_ms) > NN50_S * 1000.0) / m)) if m else math.nan,
        n_intervals=int(n),
    )
