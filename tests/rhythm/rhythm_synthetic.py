"""Synthetic beat series for the rhythm tests (imported by the tests and conftest)."""

from __future__ import annotations

import numpy as np

FS = 128.0


def beats_from_rr(rr_s: np.ndarray, *, fs: float = FS, start_s: float = 1.0) -> np.ndarray:
    """Beat sample indices from a series of intervals (s)."""
    return np.round((start_s + np.cumsum(rr_s)) * fs).astype(np.int64)


def sinus_rr(rng: np.random.Generator, n: int, *, mean_s: float = 0.8) -> np.ndarray:
    """Regular rhythm: slow respiratory modulation plus 10 ms noise."""
    t = np.arange(n) * mean_s
    return mean_s + 0.03 * np.sin(2 * np.pi * t / 4.0) + 0.01 * rng.standard_normal(n)


def af_rr(rng: np.random.Generator, n: int) -> np.ndarray:
    """Irregularly irregular intervals, 0.35-1.05 s (about 86 bpm)."""
    return rng.uniform(0.35, 1.05, n)
