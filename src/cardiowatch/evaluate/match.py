"""Beat-by-beat matching and detection scores, as ANSI/AAMI EC57 (and the bxb tool) define them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A detected beat matches a reference beat within this many seconds (EC57).
MATCH_WINDOW_S = 0.150


@dataclass(frozen=True)
class DetectionScore:
    """Counts of a detection comparison and the EC57 figures derived from them."""

    tp: int
    fn: int
    fp: int

    @property
    def sensitivity(self) -> float:
        """Se = TP / (TP + FN); NaN when there is no reference event."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def ppv(self) -> float:
        """+P = TP / (TP + FP); NaN when nothing was detected."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def f1(self) -> float:
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else float("nan")

    def __add__(self, other: "DetectionScore") -> "DetectionScore":
        return DetectionScore(self.tp + other.tp, self.fn + other.fn, self.fp + other.fp)


def match_beats(
    reference: np.ndarray, detected: np.ndarray, *, fs: float, window_s: float = MATCH_WINDOW_S
) -> tuple[np.ndarray, np.ndarray]:
    """Pair reference and detected beat samples one-to-one within ``window_s``.

    Each pair is the closest still-unpaired candidate, taken in time order, as bxb does.
    Returns two equal-length index arrays ``(ref_idx, det_idx)`` into the sorted inputs.

    Examples
    --------
    >>> ref_idx, det_idx = match_beats(np.array([100, 400, 700]), np.array([105, 520, 690]), fs=360)
    >>> ref_idx.tolist(), det_idx.tolist()
    ([0, 2], [0, 2])
    """
    ref = np.asarray(reference, dtype=np.int64)
    det = np.asarray(detected, dtype=np.int64)
    if np.any(np.diff(ref) < 0) or np.any(np.diff(det) < 0):
        raise ValueError("reference and detected samples must be sorted")
    tol = int(round(window_s * fs))
    ref_idx: list[int] = []
    det_idx: list[int] = []
    j = 0
    n_det = len(det)
    for i, r in enumerate(ref):
        while j < n_det and det[j] < r - tol:
            j += 1  # detections too early for this and every later reference beat
        if j >= n_det or det[j] > r + tol:
            continue
        # det[j] is the earliest candidate in the window; take the next one instead when it is
        # closer to r and the following reference beat would not have wanted det[j+1] more.
        k = j
        if k + 1 < n_det and det[k + 1] <= r + tol and abs(det[k + 1] - r) < abs(det[k] - r):
            nxt = ref[i + 1] if i + 1 < len(ref) else None
            if nxt is None or abs(det[k + 1] - r) <= abs(det[k + 1] - nxt):
                k = k + 1
        ref_idx.append(i)
        det_idx.append(k)
        j = k + 1
    return np.asarray(ref_idx, dtype=np.int64), np.asarray(det_idx, dtype=np.int64)


def score_detection(
    reference: np.ndarray, detected: np.ndarray, *, fs: float, window_s: float = MATCH_WINDOW_S
) -> DetectionScore:
    """TP/FN/FP of ``detected`` against ``reference`` beat samples (see `match_beats`)."""
    ref_idx, _ = match_beats(reference, detected, fs=fs, window_s=window_s)
    tp = len(ref_idx)
    return DetectionScore(tp=tp, fn=len(reference) - tp, fp=len(detected) - tp)
