"""Which interval window each beat's AF decision uses, for the whole record at once (training, checks).

`RhythmTracker` computes exactly these windows incrementally; `af_beat_features` is the vectorised
whole-record form the trainer uses, and the tests check that the two agree.

A beat's decision uses the window of ``window`` valid intervals that ends ``lookahead`` valid intervals
after the beat (a centred window when ``lookahead == window // 2``). Beats whose own interval is
implausible use the window of the last valid interval before them; the first beats of a record use the
first full window.

References
----------
.. [1] Petrenas A, Marozas V, Sörnmo L. Low-complexity detection of atrial fibrillation in continuous
   long-term monitoring. Comput Biol Med 65:184-191 (2015).
"""

from __future__ import annotations

import numpy as np

from cardiowatch.rhythm.intervals import ectopic_intervals, local_rate_bpm, rr_intervals, rr_window_features


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
        AAMI class per beat (ECG): intervals touching a ventricular beat are left out, as
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
    rr, valid = rr_intervals(sample, fs=fs)
    if label is not None:
        valid &= ~ectopic_intervals(label)
    rr_valid = rr[valid]
    table = rr_window_features(rr_valid, window=window)
    rates = local_rate_bpm(rr_valid, window=window)
    end = window_end(valid, window=window, lookahead=lookahead)
    decided = end < len(rr_valid)
    row = np.where(decided, end - (window - 1), 0)
    features = np.full((len(rr), table.shape[1]), np.nan, dtype=np.float32)
    rate = np.full(len(rr), np.nan)
    if len(table):
        features[decided] = table[row[decided]]
        rate[decided] = rates[row[decided]]
    return features, rate, decided
