"""Streaming ECG signal-quality flags: stretches of input that no beat may come from.

Bad samples are not errors: `EcgQuality` turns them into `QualitySegment`\\ s (the one quality type,
`cardiowatch.signal.quality_segment`), and the QRS detector drops beats near them. Each flag is decided
per sample from the past alone (a causal rule, so the flags are the same for any chunking), and a
reported segment starts where its run began:

``missing``
    a non-finite sample (NaN, inf): a dropped or invalid sample.
``flat``
    the same value for at least ``FLAT_MIN_S`` (a disconnected lead, a stuck ADC, a held gap).
``clipped``
    at least ``CLIP_MIN_S`` of identical samples at the ADC limits (``limits=(lo, hi)`` when the
    caller knows them), or, when not given, at the most extreme value seen so far: a saturated
    amplifier, an AD8232 whose lead came off and whose output sits at a rail.
``noisy``
    a block of `SQI_HOP_S` (aligned to the record's start) whose noise score, from signal-quality
    indices of the last `SQI_WINDOW_S` (kurtosis, band-power ratios, level against the patient's own
    recent signal; `cardiowatch.signal.ecg_sqi`), is above `NOISE_THRESHOLD`: electrode motion or
    muscle noise large against this patient's QRS complexes. Judged `NOISE_LAG_BLOCKS` blocks late,
    so the windows are centred on the block; the per-sample bit marks the sample that decided it.
"""

from __future__ import annotations

import numpy as np

from cardiowatch._checks import check_fs, check_signal
from cardiowatch.signal.ecg_sqi import NOISE_THRESHOLD, SQI_HOP_S, EcgNoiseIndex
from cardiowatch.signal.quality_segment import QualityFlag, QualitySegment
from cardiowatch.stage import StreamingStage

FLAT_MIN_S = 0.100
CLIP_MIN_S = 0.015
#: Fewest identical samples that make a clipped run, whatever the rate.
CLIP_MIN_SAMPLES = 3
#: Without known limits, clipping is judged only after this much signal has set the extremes.
CLIP_WARMUP_S = 1.0
#: A block is judged this many blocks late, so that the indices' window (`SQI_WINDOW_S`) is centred on
#: it: a noisy stretch is flagged where it is, not after it.
NOISE_LAG_BLOCKS = 1

#: The flags `EcgQuality` decides, each with its bit in the per-sample `EcgQuality.flags` output.
FLAGS: tuple[QualityFlag, ...] = (QualityFlag.MISSING, QualityFlag.FLAT, QualityFlag.CLIPPED, QualityFlag.NOISY)
_BIT = {flag: 1 << i for i, flag in enumerate(FLAGS)}
#: The flags `EcgQuality._segments` reports from runs of per-sample bits (``noisy`` comes in blocks).
_RUN_FLAGS = (QualityFlag.MISSING, QualityFlag.FLAT, QualityFlag.CLIPPED)
_RUN_BITS = _BIT[QualityFlag.MISSING] | _BIT[QualityFlag.FLAT] | _BIT[QualityFlag.CLIPPED]


def flag_mask(flags: tuple[QualityFlag, ...]) -> int:
    """The bit mask of `EcgQuality.flags` output that selects ``flags``; ValueError names valid ones."""
    mask = 0
    for flag in flags:
        if flag not in _BIT:
            raise ValueError(f"EcgQuality does not decide {flag!r}; it decides: {', '.join(FLAGS)}")
        mask |= _BIT[flag]
    return mask


class EcgQuality(StreamingStage):
    """Streaming bad-signal flags (``missing``, ``flat``, ``clipped``, ``noisy``) as `QualitySegment`\\ s.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz (required).
    limits : (float, float) or None
        The input's physical limits (ADC rails) if known; else clipping is judged from the most
        extreme values seen so far.
    check_noise : bool
        Whether to judge ``noisy`` blocks (the QRS detector, which does not use them, turns it off).

    Attributes
    ----------
    open_ : dict[QualityFlag, int]
        Each flag whose run is still going on at the newest sample, mapped to the run's start (the
        live pipeline shows these as in progress; `process` reports them once they end).

    Examples
    --------
    >>> q = EcgQuality(fs=250.0)
    >>> x = np.r_[np.sin(np.arange(500) / 5.0), np.full(100, np.nan), np.sin(np.arange(500) / 5.0)]
    >>> [(s.start, s.end, s.flag.value) for s in q.process(x) + q.flush()]
    [(500, 600, 'missing')]
    """

    @property
    def delay_s(self) -> float:
        """Flags are decided per sample from the past, except ``noisy``, judged `NOISE_LAG_BLOCKS` blocks late."""
        return (NOISE_LAG_BLOCKS + 1) * SQI_HOP_S if self.check_noise else 0.0

    def __init__(
        self, *, fs: float, limits: tuple[float, float] | None = None, check_noise: bool = True
    ) -> None:
        self.fs = check_fs(fs)
        if limits is not None and not limits[0] < limits[1]:
            raise ValueError(f"limits must be (low, high) with low < high, got {limits}")
        self.limits = limits
        self.check_noise = check_noise

    def reset(self) -> None:
        """Start afresh (next record, or a gap in the input)."""
        self._flat_min = max(2, int(round(FLAT_MIN_S * self.fs)))
        self._clip_min = max(CLIP_MIN_SAMPLES, int(round(CLIP_MIN_S * self.fs)))
        self._warmup = int(round(CLIP_WARMUP_S * self.fs))
        self.n_seen_ = 0
        self.prev_ = np.nan  # last sample
        self.run_ = 0  # length of the run of identical samples ending at the last sample
        self.hi_ = -np.inf  # most extreme finite values seen
        self.lo_ = np.inf
        self.noise_index_ = EcgNoiseIndex(fs=self.fs)
        self.open_: dict[QualityFlag, int] = {}  # flag -> start of the run still open
        self.noisy_closed_: list[QualitySegment] = []
        self._open()

    def _ensure_started(self) -> None:
        if not hasattr(self, "n_seen_"):
            self.reset()

    # ------------------------------------------------------------------ per-sample flags
    def flags(self, chunk: np.ndarray) -> np.ndarray:
        """Advance over ``chunk`` and return its per-sample flag bits (uint8), decided causally.

        A run is flagged from the sample at which it becomes long enough; `process` dates the
        reported segment back to the run's first sample.
        """
        self._ensure_started()
        self._check_open("flags")
        x = check_signal(chunk, name="chunk")
        n = x.size
        bits = np.zeros(n, dtype=np.uint8)
        if n == 0:
            return bits
        finite = np.isfinite(x)
        all_finite = bool(finite.all())
        if not all_finite:
            bits[~finite] |= _BIT[QualityFlag.MISSING]

        # identical-sample runs (NaN never equals anything, so NaN breaks a run)
        prev = np.empty(n)
        prev[0] = self.prev_
        prev[1:] = x[:-1]
        same = x == prev
        breaks = np.flatnonzero(~same)
        self.prev_ = float(x[-1])
        # the longest run ending in the chunk: the one carried in, one between breaks, or the last one
        if breaks.size:
            between = int((breaks[1:] - breaks[:-1]).max(initial=0))
            longest = max(self.run_ + int(breaks[0]), between, n - int(breaks[-1]))
        else:
            longest = self.run_ + n
        if longest < min(self._flat_min, self._clip_min):  # the usual chunk: no run long enough to flag
            self.run_ = n - int(breaks[-1]) if breaks.size else self.run_ + n
            run = None
        else:
            run = _run_lengths(same, self.run_)  # run[i] = identical samples ending at i (1 = none)
            self.run_ = int(run[-1])
            bits[run >= self._flat_min] |= _BIT[QualityFlag.FLAT]

        if self.limits is not None:
            at_limit = (x <= self.limits[0]) | (x >= self.limits[1])
        elif all_finite and self.n_seen_ >= self._warmup and x.max() < self.hi_ and x.min() > self.lo_:
            at_limit = None  # inside the extremes seen so far, which stay as they are
        else:
            xf = np.where(finite, x, np.nan)
            hi = np.fmax.accumulate(np.concatenate([[self.hi_], xf]))[1:]
            lo = np.fmin.accumulate(np.concatenate([[self.lo_], xf]))[1:]
            self.hi_, self.lo_ = float(hi[-1]), float(lo[-1])
            at_limit = finite & ((x >= hi) | (x <= lo))
            if self.n_seen_ < self._warmup:
                at_limit &= np.arange(self.n_seen_, self.n_seen_ + n) >= self._warmup
        if run is not None and at_limit is not None:
            bits[at_limit & (run >= self._clip_min)] |= _BIT[QualityFlag.CLIPPED]

        if self.check_noise:
            bits |= self._noise_bits(x)
        self.n_seen_ += n
        return bits

    def _noise_bits(self, x: np.ndarray) -> np.ndarray:
        """Judge the block `NOISE_LAG_BLOCKS` before each completed one; mark the deciding sample."""
        bits = np.zeros(x.size, dtype=np.uint8)
        ends, scores = self.noise_index_.process(x)
        block = self.noise_index_.hop_
        for end, score in zip(ends.tolist(), scores.tolist()):
            start = end - (NOISE_LAG_BLOCKS + 1) * block  # the judged block's first sample
            if start < 0:
                continue
            if score > NOISE_THRESHOLD:  # NaN (no score yet, or a gap) is not noisy
                bits[end - self.n_seen_ - 1] |= _BIT[QualityFlag.NOISY]
                self.open_.setdefault(QualityFlag.NOISY, start)
            elif QualityFlag.NOISY in self.open_:
                first = self.open_.pop(QualityFlag.NOISY)
                self.noisy_closed_.append(QualitySegment(first, start, QualityFlag.NOISY))
        return bits

    # ------------------------------------------------------------------ segments
    @property
    def final_through(self) -> int:
        """Samples whose flags are decided: every one seen, or up to the last judged noise block."""
        n_seen = getattr(self, "n_seen_", 0)
        if not (self.check_noise and n_seen):
            return n_seen
        block = self.noise_index_.hop_
        return max(0, n_seen - n_seen % block - NOISE_LAG_BLOCKS * block)

    def open_segments(self) -> list[QualitySegment]:
        """The flagged runs still going on at `final_through`, each ending there for now."""
        open_ = getattr(self, "open_", {})
        return sorted((QualitySegment(s, self.n_seen_, f) for f, s in open_.items()), key=_order)

    def process(self, chunk: np.ndarray) -> list[QualitySegment]:
        """Feed the next samples; return the segments that ended within them."""
        start = getattr(self, "n_seen_", 0)
        self._ensure_started()
        self._check_open("process")
        return self._segments(self.flags(chunk), start)

    def flush(self) -> list[QualitySegment]:
        """End of input: close the segments still open."""
        self._ensure_started()
        self._check_open("flush")
        out = self.open_segments() + self.noisy_closed_
        self.open_, self.noisy_closed_ = {}, []
        self._close()
        return sorted(out, key=_order)

    def _segments(self, bits: np.ndarray, offset: int) -> list[QualitySegment]:
        out, self.noisy_closed_ = self.noisy_closed_, []
        if not (bits & _RUN_BITS).any() and not any(flag in self.open_ for flag in _RUN_FLAGS):
            return sorted(out, key=_order)  # the usual chunk: no run of these flags starts, goes on or ends
        for flag in _RUN_FLAGS:
            on = (bits & _BIT[flag]) != 0
            edges = np.diff(np.concatenate([[flag in self.open_], on, [False]]).astype(np.int8))
            starts = np.flatnonzero(edges == 1)
            ends = np.flatnonzero(edges == -1)
            if flag in self.open_:
                starts = np.concatenate([[-1], starts])  # the run open from an earlier chunk
            for s, e in zip(starts.tolist(), ends.tolist()):
                first = self.open_.pop(flag) if s == -1 else offset + s - self._backdate(flag)
                if e == on.size:
                    self.open_[flag] = first  # still open at the chunk's end
                else:
                    out.append(QualitySegment(first, offset + e, flag))
        return sorted(out, key=_order)

    def _backdate(self, flag: QualityFlag) -> int:
        if flag is QualityFlag.FLAT:
            return self._flat_min - 1
        if flag is QualityFlag.CLIPPED:
            return self._clip_min - 1
        return 0


def _order(segment: QualitySegment) -> tuple[int, int]:
    return segment.start, FLAGS.index(segment.flag)


def _run_lengths(same: np.ndarray, carried: int) -> np.ndarray:
    """run[i] = 1 + number of consecutive True in ``same`` ending at i (``carried`` continues a run)."""
    n = same.size
    idx = np.arange(n)
    last_break = np.where(~same, idx, -1)
    np.maximum.accumulate(last_break, out=last_break)
    run = idx - last_break + 1
    no_break = last_break < 0  # no break yet in this chunk: the run continues from before
    run[no_break] = carried + idx[no_break] + 1
    return run
