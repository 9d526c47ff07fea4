"""Streaming QRS detector (Pan-Tompkins / Hamilton-Tompkins family), exact under any chunking.

Algorithm, per sample (what the C port runs; every step is a causal filter or a comparison)::

    x ── hold last finite ──┬─► EcgFilter 0.5-40 Hz ─────────────────────► w[n]  (R-peak timing)
                            ├─► band-pass 5-20 Hz (Butterworth, 2 sections) ─► b[n]
                            └─► EcgQuality flags (missing, flat, clipped) ─► bad[n]
    d[n]   = b[n] - b[n-k]                      slope over k = 10 ms
    e[n]   = |d[n]|                             (absolute value, not square: amplitude-linear)
    v[n]   = (1/W) * sum(e[n-W+1 .. n])         moving-window integral, W = 120 ms

1. Candidates. ``v[m]`` is a candidate when it is the largest value within +/- 250 ms and larger
   than ``v[m-1]`` (a plateau counts once). Deciding this needs 250 ms of look-ahead; it also sets
   the highest rate detected, 240 beats/min. Each candidate carries its height ``v[m]``, its
   steepest slope ``max e`` over the integration window, and its R peak: the sample of largest
   ``|w|`` within +/- 80 ms of the QRS centre that the integration lag points to, moved back by the
   0.5-40 Hz filter's group delay (raw-signal timing). A candidate whose R peak lies within 150 ms
   of a sample flagged ``nan``, ``flat`` or ``clipped`` is dropped: no beat, no level update.
2. Learning: candidates in the 2 s from the first one are held; then the QRS level starts at the
   tallest and the noise level at the median of those below half of it, and the held ones replay.
3. Classification (Hamilton & Tompkins 1986): QRS level ``Q`` and noise level ``N`` are medians of
   the last 8 QRS and noise heights; threshold ``T = N + 0.3125 (Q - N)``. A candidate above ``T``
   is a beat unless it comes within 360 ms of the previous beat with less than 0.3 of its slope
   (a T wave, after Pan & Tompkins 1985). A candidate within 200 ms of the last beat is ignored.
4. Search-back: when no beat follows the last one within ``D = min(1.66 median RR, 3 s)``, the
   tallest held candidate above ``T / 2`` and at least 360 ms after it becomes a beat (and the
   search repeats from that beat). If none qualifies, one more search at ``2 D`` accepts down to
   ``T / 4`` (the signal may have shrunk: electrode contact); then it waits for the next beat.
5. Relearning: when a flagged stretch of at least 1 s ends (lead off, a gap in the data), the
   levels and RR history are dropped and learning (step 2) starts again from the next candidate.

A beat is reported once its candidate is decided: normally about 0.3 s after its R peak, at most
`QrsDetector.delay_s` after it (a search-back beat, or the learning period).

Every intermediate signal comes from a causal recurrence (``sosfilt``/``lfilter`` with kept state)
and every decision from a fixed window of finished samples, so the beats are identical however the
input is split into chunks. All windows are set in seconds and converted with ``fs``; the state is a
few hundred samples of ``v``, ``e``, ``w`` plus the level and RR histories.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d

from cardiowatch._reduce import mean_1d, median_1d
from cardiowatch._checks import check_fs, check_signal
from cardiowatch.signal.filters import DELAY_REFERENCE_HZ, EcgFilter, SosStream, design_bandpass
from cardiowatch.signal.filters import group_delay_samples
from cardiowatch.signal.quality import EcgQuality, flag_mask
from cardiowatch.signal.quality_segment import QualityFlag
from cardiowatch.stage import StreamingStage

logger = logging.getLogger(__name__)

#: Pass band of the detection filter (Hz): where QRS energy dominates P and T waves.
DETECT_BAND_HZ = (5.0, 20.0)
SLOPE_SPAN_S = 0.010
INTEGRATION_S = 0.120
#: A candidate must be the tallest integrated value within this distance on each side.
PEAK_HALF_WINDOW_S = 0.250
#: Half-width of the window around the expected QRS centre searched for the R peak.
R_SEARCH_S = 0.080
BASELINE_END_S = 0.020
LEARN_S = 2.0
REFRACTORY_S = 0.200
T_WAVE_WINDOW_S = 0.360
T_WAVE_SLOPE_RATIO = 0.3
THRESHOLD_COEF = 0.3125
SEARCHBACK_RR = 1.66
SEARCHBACK_MAX_S = 3.0
SEARCHBACK_GAP_S = 0.360
INITIAL_RR_S = 1.0
LEVEL_MEMORY = 8
#: A candidate whose R peak lies within this distance of a flagged sample is dropped.
QUALITY_MARGIN_S = 0.150
#: The quality flags that forbid beats (a noisy stretch still gets its QRS complexes detected).
BLOCKING_FLAGS = (QualityFlag.MISSING, QualityFlag.FLAT, QualityFlag.CLIPPED)
#: After a flagged stretch this long (a lead off, a gap) the levels are learnt afresh: the electrodes
#: that come back may give a very different amplitude.
RELEARN_AFTER_BAD_S = 1.0
SEARCHBACK_RETRIES = 1
SEARCHBACK_DECAY = 0.5


@dataclass(frozen=True)
class _Candidate:
    m: int  # sample of the integrated-signal peak (detection timing)
    height: float
    slope: float
    r: int  # R peak, raw-signal timing


class QrsDetector(StreamingStage):
    """Causal streaming QRS detector; same beats for any chunking of the input.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz (required; any rate from about 100 Hz up).

    Examples
    --------
    >>> det = QrsDetector(fs=rec.fs)            # doctest: +SKIP
    >>> det.reset()                              # doctest: +SKIP
    >>> beats = np.concatenate([det.process(c) for c in chunks] + [det.flush()])  # doctest: +SKIP

    References
    ----------
    Pan J, Tompkins WJ. A real-time QRS detection algorithm. IEEE Trans Biomed Eng 32(3):230-236 (1985).
    Hamilton PS, Tompkins WJ. Quantitative investigation of QRS detection rules using the MIT/BIH
    arrhythmia database. IEEE Trans Biomed Eng 33(12):1157-1165 (1986).
    Elgendi M. Fast QRS detection with an optimized knowledge-based method. PLoS ONE 8(9):e73557 (2013).
    """

    def __init__(self, *, fs: float) -> None:
        self.fs = check_fs(fs)
        self._configure()

    def _configure(self) -> None:
        fs = self.fs
        self._sos = design_bandpass(fs=fs, low_hz=DETECT_BAND_HZ[0], high_hz=DETECT_BAND_HZ[1], order=2)
        self._k = self._samples(SLOPE_SPAN_S)
        self._w = self._samples(INTEGRATION_S)
        self._mwi_taps = np.full(self._w, 1.0 / self._w)
        self._half = self._samples(PEAK_HALF_WINDOW_S)
        self._r_half = self._samples(R_SEARCH_S)
        self._margin = self._samples(QUALITY_MARGIN_S)
        self._ends = self._samples(BASELINE_END_S)
        self._relearn_run = self._samples(RELEARN_AFTER_BAD_S)
        # integrated peak -> QRS centre: half the integration window, half the slope span, band delay
        g_band = group_delay_samples(self._sos, fs=fs, freq_hz=DELAY_REFERENCE_HZ)
        self._lag = int(round((self._w - 1) / 2 + self._k / 2 + g_band))
        self._wide_delay = EcgFilter(fs=fs).delay_samples
        self._history = self._half + self._w + self._lag + self._r_half + self._wide_delay + self._margin + 4
        self._blocking = flag_mask(BLOCKING_FLAGS)

    # ------------------------------------------------------------------ configuration (derived)
    def _samples(self, seconds: float) -> int:
        return max(1, int(round(seconds * self.fs)))

    @property
    def delay_s(self) -> float:
        """Longest time from an R peak to the `process` call that reports it (seconds).

        A beat is decided once its candidate has its look-ahead: at most ``(lag + R window + 200 ms
        peak window)`` after the R peak. A search-back beat waits for the last search-back deadline
        (``(1 + SEARCHBACK_RETRIES) * 3 s`` after the previous beat, and at least 360 ms after it), and
        the first beats of a record wait for the 2 s learning period.
        """
        decide = (self._lag + self._r_half + self._half) / self.fs
        search = (1 + SEARCHBACK_RETRIES) * SEARCHBACK_MAX_S - SEARCHBACK_GAP_S
        return max(search, LEARN_S) + decide

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget everything: the next sample is sample 0 of a new record."""
        self.wide_ = EcgFilter(fs=self.fs)
        self.wide_.reset()
        self.band_ = SosStream(self._sos)
        self.quality_ = EcgQuality(fs=self.fs, check_noise=False)
        self.quality_.reset()
        self.n_seen_ = 0  # samples received
        self.buf_start_ = 0  # absolute index of buffer element 0
        self.b_tail_ = np.zeros(self._k)  # last k band-passed samples, for the slope
        self.e_buf_ = np.zeros(0)
        self.v_buf_ = np.zeros(0)
        self.w_buf_ = np.zeros(0)
        self.bad_buf_ = np.zeros(0, dtype=bool)
        self.mwi_zi_ = np.zeros(self._w - 1)
        self.scan_from_ = 0  # next sample to test as a candidate
        self.learning_: list[_Candidate] | None = []
        self.learn_end_: int | None = None
        self.qrs_levels_: deque[float] = deque(maxlen=LEVEL_MEMORY)
        self.noise_levels_: deque[float] = deque(maxlen=LEVEL_MEMORY)
        self.rr_: deque[int] = deque(maxlen=LEVEL_MEMORY)
        self.last_m_: int | None = None
        self.last_r_: int | None = None
        self.last_slope_ = 0.0
        self.pending_: list[_Candidate] = []
        self.misses_ = 0  # search-backs that found nothing since the last beat
        self.bad_run_ = 0  # flagged samples in a row up to the last sample
        self.relearn_: deque[int] = deque()  # detection-time samples where learning starts again
        self._open()

    # ------------------------------------------------------------------ streaming API
    def process(self, chunk: np.ndarray) -> np.ndarray:
        """Feed the next samples (any length, 0 included); return newly found R peaks (int64)."""
        x = check_signal(chunk, name="chunk")
        if not hasattr(self, "n_seen_"):
            self.reset()
        self._check_open("process")
        beats: list[int] = []
        if x.size:
            self._append(x)
            final = self.n_seen_ - self._half  # candidates before this have their full window
            self._scan(final, beats)
        return np.asarray(beats, dtype=np.int64)

    def flush(self) -> np.ndarray:
        """End of input: decide the candidates still waiting for look-ahead; return their beats.

        The right edge of the input then counts as the end of the signal; the detector is closed
        until `reset`.
        """
        if not hasattr(self, "n_seen_"):
            self.reset()
        self._check_open("flush")
        beats: list[int] = []
        self._scan(self.n_seen_, beats)
        self._close()
        return np.asarray(beats, dtype=np.int64)

    # ------------------------------------------------------------------ signal path
    def _append(self, x: np.ndarray) -> None:
        w = self.wide_.process(x)
        b = self.band_.process(x)  # holds NaN/inf at the last finite sample, as EcgFilter does
        bad = (self.quality_.flags(x) & self._blocking) != 0
        b_all = np.concatenate([self.b_tail_, b])
        d = b_all[self._k :] - b_all[: -self._k]  # slope over k samples (the band output starts at 0)
        self.b_tail_ = b_all[-self._k :]
        e = np.abs(d)
        # the moving-window integral, computed as scipy's lfilter computes an FIR with state (the full
        # convolution, the carried tail added to its start) without lfilter's per-call overhead
        full = np.convolve(self._mwi_taps, e)
        full[: self._w - 1] += self.mwi_zi_
        v, self.mwi_zi_ = full[: e.size], full[e.size :]
        self.e_buf_ = np.concatenate([self.e_buf_, e])
        self.v_buf_ = np.concatenate([self.v_buf_, v])
        self.w_buf_ = np.concatenate([self.w_buf_, w])
        self.bad_buf_ = np.concatenate([self.bad_buf_, bad])
        self._note_long_bad_runs(bad)
        self.n_seen_ += x.size

    def _note_long_bad_runs(self, bad: np.ndarray) -> None:
        """Queue a relearn point where a flagged run of at least ``RELEARN_AFTER_BAD_S`` ends."""
        if not bad.any():  # the usual chunk: only a run carried from before can end, at its first sample
            if self.bad_run_ >= self._relearn_run:
                self.relearn_.append(self.n_seen_ + self._lag)
            self.bad_run_ = 0
            return
        idx = np.arange(bad.size)
        last_good = np.where(~bad, idx, -1)
        np.maximum.accumulate(last_good, out=last_good)
        run = np.where(last_good < 0, self.bad_run_ + idx + 1, idx - last_good)  # run ending at i
        prev_run = np.concatenate([[self.bad_run_], run[:-1]])
        ends = np.flatnonzero(~bad & (prev_run >= self._relearn_run))
        for i in ends.tolist():
            self.relearn_.append(self.n_seen_ + i + self._lag)  # in detection (integrated) timing
        self.bad_run_ = int(run[-1]) if bad[-1] else 0

    def _trim(self) -> None:
        keep_from = max(0, self.scan_from_ - self._history)
        drop = keep_from - self.buf_start_
        if drop > 0:
            self.e_buf_ = self.e_buf_[drop:]
            self.v_buf_ = self.v_buf_[drop:]
            self.w_buf_ = self.w_buf_[drop:]
            self.bad_buf_ = self.bad_buf_[drop:]
            self.buf_start_ = keep_from

    def _scan(self, final: int, beats: list[int]) -> None:
        """Find and classify candidates at samples ``scan_from_ .. final - 1``."""
        if final > self.scan_from_:
            for cand in self._candidates(self.scan_from_, final):
                self._on_candidate(cand, beats)
            self.scan_from_ = final
        self._advance(final, beats)
        self._trim()

    def _candidates(self, lo: int, hi: int) -> list[_Candidate]:
        s = self.buf_start_
        v = self.v_buf_
        h = self._half
        seg_lo = max(lo - h, s)
        seg_hi = min(hi + h, s + v.size)
        seg = v[seg_lo - s : seg_hi - s]
        vmax = maximum_filter1d(seg, size=2 * h + 1, mode="constant", cval=-1.0)
        idx = np.arange(lo, hi)
        local = idx - seg_lo
        vals = seg[local]
        prev = np.where(idx > 0, v[np.maximum(idx - 1 - s, 0)], -1.0)
        hits = idx[(vals >= vmax[local]) & (vals > prev) & (vals > 0)]
        out = []
        for m in hits.tolist():
            cand = self._describe(m)
            lo_bad = max(cand.r - self._margin - s, 0)
            if not self.bad_buf_[lo_bad : cand.r + self._margin + 1 - s].any():
                out.append(cand)  # a candidate near flagged samples neither counts nor trains
        return out

    def _describe(self, m: int) -> _Candidate:
        s = self.buf_start_
        height = float(self.v_buf_[m - s])
        lo = max(m - self._w + 1, s)
        slope = float(self.e_buf_[lo - s : m - s + 1].max())
        centre = m - self._lag
        r_lo = max(centre - self._r_half + self._wide_delay, s)
        r_hi = min(centre + self._r_half + self._wide_delay + 1, s + self.w_buf_.size)
        if r_hi <= r_lo:
            r = max(centre, 0)
        else:
            win = self.w_buf_[r_lo - s : r_hi - s]
            # the baseline under the QRS: a line between the window's ends, each averaged over 20 ms
            # (one mains period at 50 Hz) so hum does not tilt it
            ends = self._ends
            base = _line(mean_1d(win[:ends]), mean_1d(win[-ends:]), win.size)
            r = max(r_lo + int(np.argmax(np.abs(win - base))) - self._wide_delay, 0)
        return _Candidate(m=m, height=height, slope=slope, r=r)

    # ------------------------------------------------------------------ decision logic
    def _threshold(self) -> float:
        q = median_1d(np.array(self.qrs_levels_))
        n = median_1d(np.array(self.noise_levels_)) if self.noise_levels_ else 0.0
        return n + THRESHOLD_COEF * (q - n)

    def _rr(self) -> float:
        return median_1d(np.array(self.rr_, dtype=np.float64)) if self.rr_ else INITIAL_RR_S * self.fs

    def _on_candidate(self, cand: _Candidate, beats: list[int]) -> None:
        self._advance(cand.m, beats)
        if self.learning_ is not None:
            if self.learn_end_ is None:
                self.learn_end_ = cand.m + self._samples(LEARN_S)  # learning starts at the first candidate
            self.learning_.append(cand)
            return
        self._classify(cand, beats)

    def _advance(self, now: int, beats: list[int]) -> None:
        """Handle, in time order, every event before ``now``: relearn points, the end of learning,
        search-back deadlines. Candidates before ``now`` are all known when this runs, so the
        order of events is the same for any chunking."""
        while True:
            relearn = self.relearn_[0] if self.relearn_ else None
            learn_end = self.learn_end_ if self.learning_ else None
            deadline = self._deadline() if self.learning_ is None else None
            if relearn is not None and relearn < now and all(
                t is None or relearn <= t for t in (learn_end, deadline)
            ):
                self.relearn_.popleft()
                self._restart_learning()
            elif learn_end is not None and learn_end <= now and (deadline is None or learn_end <= deadline):
                self._finish_learning(beats)
            elif deadline is not None and deadline < now:
                self._search_back(deadline, beats)
            else:
                return

    def _restart_learning(self) -> None:
        self.learning_ = []
        self.learn_end_ = None
        self.qrs_levels_.clear()
        self.noise_levels_.clear()
        self.rr_.clear()
        self.last_m_ = None
        self.last_slope_ = 0.0
        self.pending_ = []
        self.misses_ = 0

    def _classify(self, cand: _Candidate, beats: list[int]) -> None:
        if self.last_m_ is not None and cand.m - self.last_m_ < self._samples(REFRACTORY_S):
            return
        if cand.height > self._threshold():
            is_t_wave = (
                self.last_m_ is not None
                and cand.m - self.last_m_ < self._samples(T_WAVE_WINDOW_S)
                and cand.slope < T_WAVE_SLOPE_RATIO * self.last_slope_
            )
            if not is_t_wave:
                self._accept(cand, beats)
                return
        self.noise_levels_.append(cand.height)
        self.pending_.append(cand)

    def _accept(self, cand: _Candidate, beats: list[int]) -> None:
        self.qrs_levels_.append(cand.height)
        if self.last_m_ is not None:
            self.rr_.append(cand.m - self.last_m_)
        if self.last_r_ is not None and cand.r <= self.last_r_:
            r = self.last_r_ + 1  # keep reported beats strictly increasing
        else:
            r = cand.r
        self.last_m_ = cand.m
        self.last_r_ = r
        self.last_slope_ = cand.slope
        self.pending_ = [c for c in self.pending_ if c.m > cand.m]
        self.misses_ = 0
        beats.append(r)

    def _deadline(self) -> int | None:
        if self.last_m_ is None or self.misses_ > SEARCHBACK_RETRIES:
            return None
        span = min(SEARCHBACK_RR * self._rr(), SEARCHBACK_MAX_S * self.fs)
        return self.last_m_ + int(span) * (self.misses_ + 1)

    def _search_back(self, deadline: int, beats: list[int]) -> None:
        if self.last_m_ is None:
            return
        gap = self._samples(SEARCHBACK_GAP_S)
        limit = 0.5 * self._threshold() * SEARCHBACK_DECAY**self.misses_
        best = None
        for c in self.pending_:
            if c.m > deadline:
                break
            if c.m - self.last_m_ >= gap and c.height > limit and (best is None or c.height > best.height):
                best = c
        if best is None:
            self.misses_ += 1  # the signal may have shrunk (electrode contact): retry later, lower
            return
        self._accept(best, beats)

    def _finish_learning(self, beats: list[int]) -> None:
        held = self.learning_ or []
        self.learning_ = None
        top = max(c.height for c in held)
        low = [c.height for c in held if c.height < 0.5 * top]
        self.qrs_levels_.append(top)
        self.noise_levels_.append(median_1d(np.array(low)) if low else 0.0)
        for cand in held:
            self._advance(cand.m, beats)
            self._classify(cand, beats)


def _line(first: float, last: float, n: int) -> np.ndarray:
    """``np.linspace(first, last, n)`` for ``n >= 1``: numpy's own steps, without its argument handling
    (it costs more than the line, once per candidate)."""
    y = np.arange(n, dtype=np.float64)
    delta = last - first
    if n > 1:
        step = delta / (n - 1)
        if step == 0:  # numpy's route for a step too small to represent
            y /= n - 1
            y *= delta
        else:
            y *= step
    else:
        y = y * delta
    y += first
    if n > 1:
        y[-1] = last
    return y


def ecg_find_beats(x: np.ndarray, *, fs: float) -> np.ndarray:
    """R-peak samples of a whole ECG signal: `QrsDetector` run over it (one code path)."""
    det = QrsDetector(fs=fs)
    beats = det.process(check_signal(x, name="x"))
    return np.concatenate([beats, det.flush()]).astype(np.int64)
