"""Synthetic PPG for the unit tests: systolic and dicrotic Gaussian waves on a known beat train."""

from __future__ import annotations

import numpy as np


def synth_ppg(
    *,
    fs: float,
    duration_s: float,
    hr_bpm: float = 72.0,
    dicrotic: float = 0.35,
    rng: np.random.Generator | None = None,
    hr_jitter: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """A PPG (arbitrary units, about 0..1) and the sample of each beat's onset.

    Each beat: a systolic wave peaking 0.15 s after onset and a dicrotic wave (``dicrotic`` times
    as high) 0.4 s after it, both Gaussian; beat intervals jitter by ``hr_jitter`` (fraction).
    """
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    period = 60.0 / hr_bpm
    onsets = []
    s = 0.5
    while s < duration_s:
        onsets.append(s)
        j = rng.uniform(-hr_jitter, hr_jitter) if rng is not None and hr_jitter else 0.0
        s += period * (1 + j)
    x = np.zeros(n)
    for o in onsets:
        x += np.exp(-0.5 * ((t - o - 0.15) / 0.06) ** 2)
        x += dicrotic * np.exp(-0.5 * ((t - o - 0.40) / 0.07) ** 2)
    return x, np.round(np.asarray(onsets) * fs).astype(np.int64)
