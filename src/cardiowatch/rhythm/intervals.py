"""Beat-to-beat (RR or pulse-to-pulse) intervals: plausibility flags and windowed irregularity features.

Everything here takes beat *times* only (ECG R peaks or PPG pulse arrivals), never a waveform, so one
code path serves both sensors.

References
----------
.. [1] Petrenas A, Marozas V, Sörnmo L. Low-complexity detection of atrial fibrillation in continuous
   long-term monitoring. Comput Biol Med 65:184-191 (2015).
.. [2] Lake DE, Moorman JR. Accurate estimation of entropy in very short physiological time series: the
   problem of atrial fibrillation detection in implanted ventricular devices. Am J Physiol Heart Circ
   Physiol 300:H319-H325 (2011).
.. [3] Dash S, Chon KH, Lu S, Raeder EA. Automatic real time detection of atrial fibrillation. Ann Biomed
   Eng 37(9):1701-1709 (2009) (turning-point ratio, RMSSD).
.. [4] Lian J, Wang L, Muessig D. A simple method to detect atrial fibrillation using RR intervals. Am J
   Cardiol 107(10):1494-1497 (2011) (counting the occupied cells of an interval map).
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cardiowatch._checks import check_fs
from cardiowatch._reduce import median_rows
from cardiowatch.errors import SignalError

#: Shortest plausible beat interval (s): 240 bpm. Shorter ones are double detections or noise.
MIN_RR_S = 0.25
#: Longest interval (s) used for irregularity features; longer ones are pauses (reported as events) or gaps.
MAX_RR_S = 3.0
#: Beat classes whose intervals are left out of the irregularity features when classes are known (ECG): an
#: ectopic beat's short coupling interval and the pause after it say nothing about the atrial rhythm, and
#: bigeminy, trigeminy or frequent premature atrial beats would otherwise look irregular. Out of fold on the
#: training records, leaving S intervals out too raised AF Sp by about 2.5 points at the same Se (model card,
#: v7). From intervals alone (PPG) no beat has a class.
ECTOPIC_CLASSES: tuple[str, ...] = ("V", "S")
#: Beats seen where the signal could not be trusted (noise, motion): neither their class nor their time
#: means anything, so the tracker leaves their intervals out of the AF features and raises no pause on them.
UNCLASSIFIABLE_CLASSES: tuple[str, ...] = ("Q",)

#: Names of the columns `rr_window_features` returns, in order (the AF model's input).
FEATURE_NAMES: tuple[str, ...] = (
    "nrmssd",  # RMSSD / mean RR [3]
    "nmad_d",  # median |dRR| / median RR: robust to isolated ectopic beats [1]
    "nmad_d8",  # the same over the 8 central intervals: sharper at onsets
    "tpr",  # turning-point ratio (2/3 for a random series) [3]
    "near_median",  # share of intervals within 6 % of the median (regular sinus: near 1)
    "cv",  # standard deviation / mean of RR
    "hr_bpm",  # 60 / mean RR
    "pnn50",  # share of |dRR| > 50 ms
    "niqr",  # interquartile range / median RR
    "ac1_d",  # lag-1 autocorrelation of dRR (ectopy patterns give about -0.5 with structure)
    "rmssd_sd",  # RMSSD / SD: about sqrt(2) for uncorrelated (AF) intervals, low for sinus arrhythmia
    "poincare_cells",  # occupied cells of the (RR_i, RR_i+1) map / pairs: few for ectopy patterns, many in AF [4]
)

#: Relative distance to the median under which an interval counts as "near" it (feature near_median).
NEAR_MEDIAN_FRACTION = 0.06
#: Side of a cell of the Poincare map (RR_i, RR_i+1), relative to the window's median interval (feature
#: poincare_cells). Sinus rhythm with frequent premature atrial beats is irregular, but its intervals fall in a
#: few clusters (normal, premature, compensatory), so its pairs share few cells; AF's scatter over many.
POINCARE_CELL_FRACTION = 0.06
#: An interval this many times the window's median, within `MISSED_TOLERANCE`, is taken for a missed beat (a
#: PPG loses pulses, a QRS detector beats) and counts as one median interval in the features: one such
#: interval would otherwise make a regular window look irregular.
MISSED_RATIO = 2.0
MISSED_TOLERANCE = 0.2
#: Successive difference counted by pNN50 (s).
PNN50_S = 0.050
#: Number of central intervals in the short-scale feature and the local heart rate.
SHORT_WINDOW = 8
#: Up to this many windows at once (a streaming chunk's) are copied out rather than viewed.
_FEW_WINDOWS = 8


def rr_intervals(sample: np.ndarray, *, fs: float, previous: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Intervals between successive beats and whether each is plausible for rhythm features.

    Parameters
    ----------
    sample : array of int
        Beat times as sample indices from the record's start, ascending.
    fs : float
        Sampling rate (Hz) of the sample indices.
    previous : int, optional
        Sample of the beat before ``sample[0]`` (streaming); without it the first interval is NaN.

    Returns
    -------
    rr_s : ndarray of float64
        ``rr_s[i]`` is the interval (s) ending at beat ``i``; NaN where unknown.
    valid : ndarray of bool
        True where ``MIN_RR_S <= rr_s <= MAX_RR_S``. Implausible, unknown and pause intervals are False:
        they are excluded from irregularity features, never repaired.

    Examples
    --------
    >>> rr, ok = rr_intervals(np.array([0, 100, 200, 210, 400]), fs=100.0)
    >>> rr.tolist(), ok.tolist()
    ([nan, 1.0, 1.0, 0.1, 1.9], [False, True, True, False, True])
    """
    fs = check_fs(fs)
    s = np.asarray(sample)
    if s.ndim != 1:
        raise SignalError(f"beat samples must be 1-D, got shape {s.shape}")
    s = s.astype(np.float64)
    rr = np.empty(len(s))
    if len(s):
        rr[0] = (s[0] - previous) / fs if previous is not None else np.nan
        rr[1:] = (s[1:] - s[:-1]) / fs
    valid = (rr >= MIN_RR_S) & (rr <= MAX_RR_S)  # NaN (unknown) compares False, without a warning
    return rr, valid


def ectopic_intervals(label: np.ndarray | list[str], *, previous_ectopic: bool = False,
                      classes: tuple[str, ...] = ECTOPIC_CLASSES) -> np.ndarray:
    """Whether each interval (the one ending at beat ``i``, as `rr_intervals` orders them) starts or ends at
    a beat of ``classes`` (default `ECTOPIC_CLASSES`).

    ``previous_ectopic`` tells whether the beat before ``label[0]`` was one (streaming).

    Examples
    --------
    >>> ectopic_intervals(["N", "N", "V", "N", "N"]).tolist()
    [False, False, True, True, False]
    """
    ectopic = labels_in(np.asarray(label, dtype=object), classes)
    return ectopic | np.concatenate([[previous_ectopic], ectopic[:-1]])


def labels_in(labels: np.ndarray, classes: tuple[str, ...]) -> np.ndarray:
    """``np.isin(labels, classes)`` for an object array of labels and a few classes, many times faster
    (the streaming tracker asks it for every chunk)."""
    out = np.zeros(labels.shape, dtype=bool)
    for cls in classes:
        out |= labels == cls
    return out


def rr_window_features(rr_s: np.ndarray, *, window: int) -> np.ndarray:
    """Irregularity features over every run of ``window`` consecutive (valid) intervals.

    Parameters
    ----------
    rr_s : array of float
        Plausible intervals in seconds (drop invalid ones first, see `rr_intervals`).
    window : int
        Intervals per window (>= 2 * `SHORT_WINDOW`).

    Returns
    -------
    ndarray, shape (len(rr_s) - window + 1, len(FEATURE_NAMES))
        Row ``j`` describes ``rr_s[j : j + window]``; float32, the precision of the C port.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sinus = rr_window_features(0.8 + 0.01 * rng.standard_normal(64), window=32)
    >>> af = rr_window_features(rng.uniform(0.4, 1.0, 64), window=32)
    >>> bool(sinus[:, 0].max() < af[:, 0].min())   # nrmssd separates them
    True

    References
    ----------
    See the module references [1]_ [2]_ [3]_ [4]_.
    """
    rr = np.ascontiguousarray(rr_s, dtype=np.float64)
    if window < 2 * SHORT_WINDOW:
        raise ValueError(f"window must be at least {2 * SHORT_WINDOW} intervals, got {window}")
    if len(rr) < window:
        return np.empty((0, len(FEATURE_NAMES)), dtype=np.float32)
    x = _windows(rr, window)
    k = len(x)
    raw_med = _sorted_quantile(np.sort(x, axis=1), 0.5)[:, None]
    x = np.where(np.abs(x / raw_med - MISSED_RATIO) < MISSED_TOLERANCE, raw_med, x)
    # the reductions below are numpy's mean and std spelled out (the same sums and divisions, bit for
    # bit): their Python wrappers cost more than the arithmetic on a streaming chunk's one window
    d = x[:, 1:] - x[:, :-1]
    abs_d = np.abs(d)
    mean = np.add.reduce(x, axis=1) / window
    dev = x - mean[:, None]
    std = np.sqrt(np.add.reduce(dev * dev, axis=1) / window)
    # one sort per window gives the median and both quartiles (np.percentile's "linear" rule)
    xs = np.sort(x, axis=1)
    med = _sorted_quantile(xs, 0.5)
    q25, q75 = _sorted_quantile(xs, 0.25), _sorted_quantile(xs, 0.75)
    mad_d = _sorted_quantile(np.sort(abs_d, axis=1), 0.5)
    lo = (window - SHORT_WINDOW) // 2
    mad_d8 = _sorted_quantile(np.sort(abs_d[:, lo : lo + SHORT_WINDOW - 1], axis=1), 0.5)
    prod = d[:, 1:] * d[:, :-1]
    sum_sq = np.add.reduce(d * d, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ac1 = np.where(sum_sq > 0, np.add.reduce(prod, axis=1) / sum_sq, 0.0)
    rmssd = np.sqrt(sum_sq / (window - 1))
    # intervals <= MAX_RR_S over a median >= MIN_RR_S: a cell index below 256, so a pair packs into one number
    cell = np.floor((x / med[:, None]) / POINCARE_CELL_FRACTION)
    pairs = np.sort(cell[:, :-1] * 256.0 + cell[:, 1:], axis=1)
    occupied = 1 + np.add.reduce(pairs[:, 1:] != pairs[:, :-1], axis=1)
    features = np.empty((k, len(FEATURE_NAMES)))
    features[:, 0] = rmssd / mean
    features[:, 1] = mad_d / med
    features[:, 2] = mad_d8 / med
    features[:, 3] = np.add.reduce(prod < 0, axis=1) / (window - 2)
    features[:, 4] = np.add.reduce(np.abs(x - med[:, None]) < NEAR_MEDIAN_FRACTION * med[:, None], axis=1) / window
    features[:, 5] = std / mean
    features[:, 6] = 60.0 / mean
    features[:, 7] = np.add.reduce(abs_d > PNN50_S, axis=1) / (window - 1)
    features[:, 8] = (q75 - q25) / med
    features[:, 9] = ac1
    features[:, 10] = np.divide(rmssd, std, out=np.zeros_like(std), where=std > 0)
    features[:, 11] = occupied / (window - 1)
    return features.astype(np.float32)


def _sorted_quantile(xs: np.ndarray, q: float) -> np.ndarray:
    """Quantile ``q`` of each row of the row-sorted ``xs``, by linear interpolation between order statistics."""
    pos = q * (xs.shape[1] - 1)
    i = int(np.floor(pos))
    frac = pos - i
    if frac == 0.0:
        return xs[:, i].copy()
    return xs[:, i] + (xs[:, i + 1] - xs[:, i]) * frac


def local_rate_bpm(rr_s: np.ndarray, *, window: int) -> np.ndarray:
    """Heart rate (bpm) from the median of the `SHORT_WINDOW` central intervals of each window."""
    rr = np.ascontiguousarray(rr_s, dtype=np.float64)
    if len(rr) < window:
        return np.empty(0)
    lo = (window - SHORT_WINDOW) // 2
    x = _windows(rr, window)[:, lo : lo + SHORT_WINDOW]
    return 60.0 / median_rows(x.T)  # np.median(x, axis=1), bit for bit


def _windows(rr: np.ndarray, window: int) -> np.ndarray:
    """Every run of ``window`` consecutive values of the contiguous ``rr``, one per row. A streaming chunk
    adds one window or a few: a reshape or a copy gives them without the sliding view's checks (the same
    rows, reduced alike)."""
    k = len(rr) - window + 1
    if k == 1:
        return rr.reshape(1, window)
    if k <= _FEW_WINDOWS:
        return rr[_window_index(k, window)]
    return sliding_window_view(rr, window)


@functools.cache
def _window_index(k: int, window: int) -> np.ndarray:
    return np.arange(k)[:, None] + np.arange(window)
