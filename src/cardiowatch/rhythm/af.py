"""Which interval window each beat's AF decision uses, for the whole record at once (training, checks).

`RhythmTracker` computes exactly these windows incrementally; `af_beat_features` is the vectorised
whole-record form the trainer uses, and the tests check that the two agree.

A beat is decided ``lookahead`` plausible intervals after it (a centred window when
``lookahead == window // 2``), with the newest window of ``window`` intervals the features use as of then.
Without beat classes those are all plausible intervals; with classes, the intervals around ectopic (V and
S) beats time the decision but are left out of the windows. Beats whose own interval is implausible are
decided with the last plausible interval before them; the first beats of a record wait for the first
full window.

References
----------
.. [1] Petrenas A, Marozas V, Sörnmo L. Low-complexity detection of atrial fibrillation in continuous
   long-term monitoring. Comput Biol Med 65:184-191 (2015).
"""

from __future__ import annotations

import numpy as np

from cardiowatch.rhythm.intervals import (
    FEATURE_NAMES,
    ectopic_intervals,
    local_rate_bpm,
    rr_intervals,
    rr_window_features,
)


def window_end(valid: np.ndarray, *, window: int, lookahead: int, n_valid_before: int = 0) -> np.ndarray:
    """Global ordinal of the last valid interval in each beat's decision window."""
    ordinal = n_valid_before + np.cumsum(valid) - 1
    return np.maximum(ordinal + lookahead, window - 1)


def af_beat_features(
    sample: np.ndarray, *, fs: float, window: int, lookahead: int, label: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, local rate and decidability of every beat of a whole record.

    Parameters
    ----------
    sample : array of int
        Beat times (sample index from the record's start).
    fs : float
        Sampling rate of ``sample`` (Hz).
    window, lookahead : int
        Decision window length and look-ahead, in valid intervals (see the module docstring).
    label : array of str, optional
        AAMI class per beat (ECG): intervals touching an ectopic beat are left out, as
        `RhythmTracker` does when it is given classes (`cardiowatch.rhythm.intervals.ECTOPIC_CLASSES`).

    Returns
    -------
    features : ndarray (n_beats, n_features), float32
        NaN rows where the record ended before the beat's window was complete.
    rate_bpm : ndarray (n_beats,)
        Local heart rate of each beat's window (NaN where undecided).
    decided : ndarray of bool
        Whether the beat's window was complete.

    Examples
    --------
    >>> beats = np.cumsum(np.full(100, 100))
    >>> f, rate, ok = af_beat_features(beats, fs=100.0, window=32, lookahead=16)
    >>> int(ok.sum()), round(float(rate[50]))
    (84, 60)
    """
    rr, plausible = rr_intervals(sample, fs=fs)
    use = plausible & ~ectopic_intervals(label) if label is not None else plausible
    rr_used = rr[use]
    table = rr_window_features(rr_used, window=window)
    rates = local_rate_bpm(rr_used, window=window)
    # plausible intervals time the decisions; each one's window is the newest over the intervals used
    newest = np.cumsum(use[plausible]) - window  # index of that window as of each plausible interval
    end = window_end(plausible, window=window, lookahead=lookahead)
    has = newest >= 0
    features = np.full((len(rr), len(FEATURE_NAMES)), np.nan, dtype=np.float32)
    rate = np.full(len(rr), np.nan)
    if not has.any():
        return features, rate, np.zeros(len(rr), dtype=bool)
    end = np.maximum(end, int(np.argmax(has)))  # no decision before the first complete window
    decided = end < len(newest)
    row = newest[end[decided]]
    features[decided] = table[row]
    rate[decided] = rates[row]
    return features, rate, decided
