"""Median, mean and correlation of the small arrays the streaming stages reduce for every beat and chunk.

`numpy.median` and `numpy.mean` spend tens of microseconds on argument handling for an array of ten
values; a live pipeline asks for thousands of them per record. These give the same numbers bit for bit
(`tests/test_reduce.py` compares them with numpy): the mean is numpy's pairwise sum divided by the
count, the median the middle value, or the two middle values added and halved, each sum started from +0.0 as numpy's is (so a -0.0 comes out as +0.0).
"""

from __future__ import annotations

import math

import numpy as np


def mean_1d(a: np.ndarray) -> float:
    """``float(np.mean(a))`` for a 1-D float64 array (NaN when empty, without numpy's warning)."""
    if a.size == 0:
        return math.nan
    return float(np.add.reduce(a)) / a.size


def median_1d(a: np.ndarray) -> float:
    """``float(np.median(a))`` for a 1-D float64 array (NaN when empty or when it holds a NaN)."""
    s = np.sort(a)
    n = s.size
    if n == 0 or math.isnan(s[-1]):  # NaN sorts last
        return math.nan
    mid = n // 2
    if n % 2:
        return 0.0 + float(s[mid])
    return ((0.0 + float(s[mid - 1])) + float(s[mid])) / 2.0


def median_rows(a: np.ndarray) -> np.ndarray:
    """``np.median(a, axis=0)`` for a finite 2-D float64 array with at least one row."""
    s = np.sort(a, axis=0)
    mid = s.shape[0] // 2
    if s.shape[0] % 2:
        return 0.0 + s[mid]
    return ((0.0 + s[mid - 1]) + s[mid]) / 2.0


def corr_1d(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two finite 1-D float64 arrays of one length; 1.0 when either is constant
    (no shape to tell them apart)."""
    a0, b0 = a - mean_1d(a), b - mean_1d(b)
    den = float(np.sqrt(np.dot(a0, a0) * np.dot(b0, b0)))
    return float(np.dot(a0, b0) / den) if den > 0 else 1.0


def median_axis(a: np.ndarray, *, axis: int) -> np.ndarray:
    """``np.median(a, axis=axis)`` for a finite float64 array with at least one element along ``axis``,
    bit for bit: the middle value, or the two middle ones added to +0.0 and halved, found by a partial
    sort instead of numpy's general path."""
    n = a.shape[axis]
    mid = n // 2
    if n % 2:
        return 0.0 + np.take(np.partition(a, mid, axis=axis), mid, axis=axis)
    part = np.partition(a, (mid - 1, mid), axis=axis)
    return ((0.0 + np.take(part, mid - 1, axis=axis)) + np.take(part, mid, axis=axis)) / 2.0


def percentile_axis(a: np.ndarray, q: float, *, axis: int) -> np.ndarray:
    """``np.percentile(a, q, axis=axis)`` (the default linear method) for a finite float64 array with at
    least one element along ``axis``, bit for bit: numpy's index, weight and interpolation formulas on
    the two order statistics it interpolates, found by a partial sort."""
    n = a.shape[axis]
    virtual = (n - 1) * (q / 100)
    below = math.floor(virtual)
    if virtual >= n - 1:
        below = above = n - 1
    elif virtual < 0:
        below = above = 0
    else:
        above = below + 1
    gamma = virtual - below
    part = np.partition(a, (below, above), axis=axis)
    lo, hi = np.take(part, below, axis=axis), np.take(part, above, axis=axis)
    step = hi - lo
    # numpy's lerp: from the lower value below the midpoint, back from the upper one above it
    return hi - step * (1 - gamma) if gamma >= 0.5 else lo + step * gamma
