"""Small generated ECG-like records for the beat-classifier unit tests (no real data)."""

from __future__ import annotations

import numpy as np


def synthetic_ecg(rng: np.random.Generator, *, fs: float, n_beats: int = 60, ectopic_every: int = 7,
                  premature_every: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECG-like signal in mV with narrow normal beats; every ``ectopic_every`` beats an early wide
    inverted beat (V-like); every ``premature_every`` beats (0: none) an early narrow one (S-like).
    Returns ``(x, beat_samples, is_ectopic)``; S-like beats count as not ectopic."""
    rr = rng.normal(0.8, 0.02, n_beats)
    ectopic = (np.arange(n_beats) % ectopic_every) == ectopic_every - 1
    rr[ectopic] *= 0.6
    if premature_every:
        rr[((np.arange(n_beats) % premature_every) == premature_every - 2) & ~ectopic] *= 0.7
    t_beats = 0.5 + np.cumsum(rr)
    duration = t_beats[-1] + 1.0
    t = np.arange(int(duration * fs)) / fs
    x = 0.05 * np.sin(2 * np.pi * 0.3 * t) + rng.normal(0, 0.01, len(t))
    for tb, ect in zip(t_beats, ectopic):
        if ect:
            x += -1.2 * np.exp(-0.5 * ((t - tb) / 0.035) ** 2)
        else:
            x += 1.0 * np.exp(-0.5 * ((t - tb) / 0.010) ** 2)
            x += 0.15 * np.exp(-0.5 * ((t - tb + 0.16) / 0.025) ** 2)  # P wave
        x += 0.25 * np.exp(-0.5 * ((t - tb - 0.28) / 0.05) ** 2)  # T wave
    return x, np.round(t_beats * fs).astype(np.int64), ectopic

