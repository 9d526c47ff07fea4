"""Time-domain heart rate variability from beat (or pulse) times: `hrv_time`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cardiowatch.rhythm.intervals import rr_intervals

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
        normal = (lab == "N") | (lab == "")
        nn &= normal & np.r_[False, normal[:-1]]
    nn_ms = rr[nn] * 1000.0
    both = nn[1:] & nn[:-1]
    diff_ms = np.diff(rr * 1000.0)[both]
    if len(nn_ms) < 2:
        return HrvTime(math.nan, math.nan, math.nan, math.nan, int(len(nn_ms)))
    return HrvTime(
        mean_nn_ms=float(nn_ms.mean()),
        sdnn_ms=float(nn_ms.std(ddof=1)),
        rmssd_ms=float(np.sqrt(np.mean(diff_ms**2))) if len(diff_ms) else math.nan,
        pnn50_pct=float(100.0 * np.mean(np.abs(diff_ms) > NN50_S * 1000.0)) if len(diff_ms) else math.nan,
        n_intervals=int(len(nn_ms)),
    )
