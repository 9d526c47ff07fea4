"""Streaming PPG pulse detection: `PpgPulseDetector` and its whole-record wrapper `ppg_find_pulses`.

Algorithm (per sample, causal, with a fixed look-ahead), written so it ports to C as it reads:

1. **Band-pass** 0.5-8 Hz, 2nd-order Butterworth in SOS form, run causally with kept state
   (``sosfilt``; the state starts at the steady state of the first finite sample, so a DC offset
   makes no start-up step). This removes baseline drift and the DC level (finger pressure, gain
   offset) and the high-frequency noise: ``y``.
2. **Energy of the systolic wave** ``z = max(y, 0)**2`` (Elgendi 2013): the diastolic half of each
   pulse is set to zero, so only the systolic upstroke and its peak carry energy.
3. **Two moving averages** of ``z``: ``ma_peak`` over 111 ms (one systolic peak) and ``ma_beat``
   over 667 ms (about one beat), both centred. Centring costs a look-ahead of half the beat window
   (333 ms), realised causally as a delay line: at input sample ``n`` the detector decides about
   sample ``m = n - 333 ms``.
4. **Blocks of interest**: samples where ``ma_peak > ma_beat + beta * mean(z)``; ``mean(z)`` is a
   running mean (one-pole, 8 s time constant), ``beta = 0.02``. Every term scales with the square
   of the signal gain, so the rule is scale-free: no fixed threshold anywhere. A block shorter
   than the peak window is discarded (noise).
5. **Fiducial point** of a block: the systolic peak is the maximum of ``y`` inside it; the
   detector reports the **point of maximum upslope** (steepest rise of ``y``, central difference)
   on the rise that leads to that peak, searched back from the peak to the preceding local minimum
   of ``y`` (the foot), at most 400 ms. The maximum-slope point is the usual pulse-arrival
   fiducial: sharper than the rounded peak and unmoved by the dicrotic wave. Its sample index is
   taken on the causally filtered ``y``, so it lags the raw waveform by the filter's group delay
   (tens of ms); a constant lag cancels in pulse intervals and in a pulse-arrival-time estimate.
6. **Refractory rule against double counting**: two candidates closer than 300 ms (200 bpm)
   cannot both be pulses; the one with the larger rise amplitude (peak minus foot of ``y``) is
   kept. A dicrotic or diastolic wave has a far smaller rise than the systolic upstroke, so it
   loses. A candidate is final once no later block can come within 300 ms of it.
7. **Too small to be a pulse**: a candidate that is not merged by the refractory rule but rises
   less than 0.2 times the median rise of the last 8 pulses is dropped (the band-pass filter's
   slow rebound in a pause, noise); three such in a row mean the pulse itself became smaller
   (finger pressure, gain), so the rise memory is cleared and detection goes on.
8. **Search-back for weak pulses** (as Pan & Tompkins search back for a missed QRS): when a new
   pulse comes more than 1.5 median pulse intervals (of the last 8) after the previous one, and
   less than 3 s, the steepest rise of ``y`` between them (at least 300 ms from both) becomes a
   pulse if its slope is at least 0.2 times the median slope of recent pulses and at least twice
   the median of the steepest rise found inside normal intervals (the dicrotic wave's level).
   This recovers the weak pulse of a premature beat, which the beat-long average hides behind
   its strong neighbour. Such a pulse is reported together with the pulse that revealed it.
9. **Bad samples** (NaN, inf) are fed to the filter as the last finite value (hold), and no pulse
   is reported with its fiducial inside a bad stretch or within 1 s after it (filter settling);
   the start of the input counts as such a stretch.
   Flagging them is `PpgSignalQuality`'s job; the detector only refuses to invent pulses there.

Every step is a per-sample recursion or a bounded search in a short history buffer
(about 5 s with search-back), so the C core can run it sample by sample: biquads, two running sums, a one-pole
filter, a delay line and a small state machine.

References
----------
.. [1] Elgendi M, Norton I, Brearley M, Abbott D, Schuurmans D. Systolic peak detection in
   acceleration photoplethysmograms measured from emergency responders in tropical conditions.
   PLoS ONE 8(10):e76585 (2013). doi:10.1371/journal.pone.0076585
.. [2] Zong W, Heldt T, Moody GB, Mark RG. An open-source algorithm to detect onset of arterial
   blood pressure pulses. Computers in Cardiology 30:259-262 (2003).
.. [3] Aboy M, McNames J, Thong T, Tsunami D, Ellenby MS, Goldstein B. An automatic beat
   detection algorithm for pressure signals. IEEE Trans Biomed Eng 52(10):1662-1670 (2005).
.. [4] Pan J, Tompkins WJ. A real-time QRS detection algorithm. IEEE Trans Biomed Eng
   32(3):230-236 (1985). (search-back)
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from cardiowatch._checks import check_fs, check_signal
from cardiowatch.stage import StreamingStage

__all__ = ["PpgPulseDetector", "ppg_find_pulses"]

#: A separate pulse must rise at least this fraction of the median rise of the last 8 pulses...
MIN_RISE = 0.2
#: ...unless this many in a row are smaller: then the pulse itself got smaller.
SMALL_RUN_RESET = 3
SEARCH_BACK_RATIO = 1.5
SEARCH_BACK_MIN_SLOPE = 0.2
SEARCH_BACK_MAX_S = 3.0
SEARCH_BACK_OVER_DICROTIC = 1.5


@dataclass(frozen=True)
class _Candidate:
    fiducial: int  # sample index of the maximum upslope
    peak: int  # sample index of the systolic peak of the filtered signal
    amplitude: float  # rise of the filtered signal from the foot to the peak
    foot: int = 0  # sample index of the foot (start of the rise)
    slope: float = 0.0  # steepest rise of the filtered signal, per 2 samples


def _odd_window(seconds: float, fs: float) -> int:
    w = max(3, int(round(seconds * fs)))
    return w if w % 2 else w + 1


class PpgPulseDetector(StreamingStage):
    """Causal, chunked PPG pulse detector (two moving averages, maximum-upslope fiducial).

    Parameters
    ----------
    fs : float
        Sampling rate in Hz (required keyword).
    band_hz : tuple of float
        Pass band of the pre-filter, Hz.
    peak_window_s, beat_window_s : float
        Lengths of the systolic-peak and beat moving averages, s (Elgendi's W1 and W2).
    beta : float
        Offset of the block threshold, as a fraction of the running mean energy.
    refractory_s : float
        Two pulses closer than this cannot both be real; the smaller one is dropped.
    settle_s : float
        No pulse is reported within this time after a bad (non-finite) sample.
    search_back : bool
        Look for a weak pulse inside an interval of over 1.5 median intervals (step 8).
    invert : bool
        The sensor reads *down* when blood volume goes up (raw MAX30102 red/IR counts, most raw
        photodiode readings): negate it first. Monitor PLETH (BIDMC) and the analog pulse sensor's
        amplified output read up.

    Notes
    -----
    ``process(chunk)`` returns the int64 sample indices (from the start of the input, not of the
    chunk) of the pulses that became final; ``flush()`` returns the rest at end of input. Any chunk
    split gives the same pulses as the whole record. The look-ahead is ``beat_window_s / 2`` plus
    the length of the current pulse block plus ``refractory_s``: about 1 s in all; a pulse found by
    search-back comes with the next pulse, up to 3 s later. The algorithm is described in the
    module docstring.

    References
    ----------
    .. [1] Elgendi M et al. PLoS ONE 8(10):e76585 (2013).
    .. [2] Zong W et al. Computers in Cardiology 30:259-262 (2003).
    .. [3] Aboy M et al. IEEE Trans Biomed Eng 52(10):1662-1670 (2005).
    .. [4] Pan J, Tompkins WJ. IEEE Trans Biomed Eng 32(3):230-236 (1985).

    Examples
    --------
    >>> fs = 125.0
    >>> t = np.arange(int(20 * fs)) / fs
    >>> x = 1000 + 50 * np.sin(2 * np.pi * 1.2 * t) + 20 * np.sin(2 * np.pi * 2.4 * t - 1)
    >>> det = PpgPulseDetector(fs=fs)
    >>> pulses = np.concatenate([det.process(x[:700]), det.process(x[700:]), det.flush()])
    >>> bool(np.all(np.abs(np.diff(pulses[2:]) / fs - 1 / 1.2) < 0.02))
    True
    """

    def __init__(
        self,
        *,
        fs: float,
        band_hz: tuple[float, float] = (0.5, 8.0),
        peak_window_s: float = 0.111,
        beat_window_s: float = 0.667,
        beta: float = 0.02,
        refractory_s: float = 0.3,
        settle_s: float = 1.0,
        invert: bool = False,
        search_back: bool = True,
    ) -> None:
        self.fs = fs
        self.band_hz = band_hz
        self.peak_window_s = peak_window_s
        self.beat_window_s = beat_window_s
        self.beta = beta
        self.refractory_s = refractory_s
        self.settle_s = settle_s
        self.invert = invert
        self.search_back = search_back

    # -- state ---------------------------------------------------------------------------------
    def reset(self) -> "PpgPulseDetector":
        """Create the running state; call before the first chunk or after a gap in the input."""
        fs = check_fs(self.fs)
        low, high = self.band_hz
        if not 0 < low < high < fs / 2:
            raise ValueError(f"band_hz {self.band_hz} must satisfy 0 < low < high < fs/2 = {fs / 2:g}")
        self.fs_ = fs
        self.sos_ = sps.butter(2, [low, high], btype="bandpass", fs=fs, output="sos")
        self.zi_: np.ndarray | None = None  # set from the first finite sample
        self.w_peak_ = _odd_window(self.peak_window_s, fs)
        self.w_beat_ = _odd_window(self.beat_window_s, fs)
        self.delay_ = (self.w_beat_ - 1) // 2  # look-ahead of the centred beat average
        self.shift_ = self.delay_ - (self.w_peak_ - 1) // 2  # extra delay of the peak average
        self.ma_peak_zi_ = np.zeros(self.w_peak_ - 1)
        self.ma_beat_zi_ = np.zeros(self.w_beat_ - 1)
        self.ema_a_ = 1.0 - math.exp(-1.0 / (8.0 * fs))
        self.ema_zi_ = np.zeros(1)
        self.rise_max_ = max(2, int(round(0.4 * fs)))
        self.refractory_ = int(round(self.refractory_s * fs))
        self.settle_ = int(round(self.settle_s * fs))
        # History: y and last-bad index for samples [hist_start_, n_), ma_peak for the last shift_.
        self.hist_len_ = self.delay_ + 2 * self.w_beat_ + self.rise_max_ + 4
        if self.search_back:
            self.hist_len_ += int(round(SEARCH_BACK_MAX_S * fs)) + self.refractory_
        self.y_hist_ = np.zeros(0)
        self.bad_hist_ = np.zeros(0, dtype=np.int64)
        self.ma_peak_hist_ = np.zeros(self.shift_)
        self.hist_start_ = 0
        self.n_ = 0  # samples received
        self.last_finite_ = math.nan
        self.last_bad_ = -1  # the start counts as a gap: no pulse while the averages settle
        self.in_block_ = False
        self.block_start_ = 0
        self.pending_: _Candidate | None = None
        self.recent_fid_: deque[int] = deque(maxlen=9)
        self.recent_amp_: deque[float] = deque(maxlen=8)
        self.recent_slope_: deque[float] = deque(maxlen=8)
        self.recent_secondary_: deque[float] = deque(maxlen=8)
        self.small_run_ = 0
        self.gap_max_ = int(round(SEARCH_BACK_MAX_S * fs))
        self._open()
        return self

    def _ensure_state(self) -> None:
        if not hasattr(self, "n_"):
            self.reset()

    @property
    def delay_s(self) -> float:
        """Longest a pulse is reported after it happened: a search-back pulse comes with the next
        pulse, at most `SEARCH_BACK_MAX_S` later; without search-back, the centred beat average's
        look-ahead plus the refractory wait."""
        if self.search_back:
            return SEARCH_BACK_MAX_S
        return self.beat_window_s / 2 + self.refractory_s

    # -- streaming -----------------------------------------------------------------------------
    def process(self, chunk: np.ndarray) -> np.ndarray:
        """Feed samples; return the int64 sample indices of pulses that became final."""
        self._ensure_state()
        self._check_open("process")
        x = check_signal(chunk, name="chunk")
        if len(x) == 0:
            return np.zeros(0, dtype=np.int64)
        if self.invert:
            x = -x
        start = self.n_
        idx = np.arange(start, start + len(x), dtype=np.int64)
        bad = ~np.isfinite(x)
        xf = x.copy()
        if bad.any():
            # Hold the last finite value through bad samples (flagged by the quality stage).
            last_good = np.where(~bad, np.arange(len(x)), -1)
            np.maximum.accumulate(last_good, out=last_good)
            prev = self.last_finite_
            held = np.where(last_good >= 0, x[np.maximum(last_good, 0)], prev)
            xf = np.where(bad, held, x)
        finite_now = np.isfinite(xf)
        if self.zi_ is None:
            if not finite_now.any():  # nothing usable yet: the filter has no start value
                xf = np.zeros_like(xf)
            else:
                first = xf[np.argmax(finite_now)]
                xf = np.where(finite_now, xf, first)
                self.zi_ = sps.sosfilt_zi(self.sos_) * first
        if self.zi_ is not None:
            y, self.zi_ = sps.sosfilt(self.sos_, xf, zi=self.zi_)
            self.last_finite_ = float(xf[-1])
        else:
            y = np.zeros_like(xf)
        bad_idx = np.where(bad, idx, -(10**12))
        bad_run = np.maximum.accumulate(np.concatenate([[self.last_bad_], bad_idx]))[1:]
        self.last_bad_ = int(bad_run[-1])
        z = np.square(np.maximum(y, 0.0))
        ma_peak, self.ma_peak_zi_ = sps.lfilter(np.full(self.w_peak_, 1.0 / self.w_peak_), [1.0], z,
                                                 zi=self.ma_peak_zi_)
        ma_beat, self.ma_beat_zi_ = sps.lfilter(np.full(self.w_beat_, 1.0 / self.w_beat_), [1.0], z,
                                                 zi=self.ma_beat_zi_)
        ema, self.ema_zi_ = sps.lfilter([self.ema_a_], [1.0, self.ema_a_ - 1.0], z, zi=self.ema_zi_)
        self.n_ += len(x)
        # Centred peak average at decision sample m = n - delay_: ma_peak at n - shift_.
        ma_peak_all = np.concatenate([self.ma_peak_hist_, ma_peak])
        ma_peak_aligned = ma_peak_all[: len(ma_peak)]
        self.ma_peak_hist_ = ma_peak_all[len(ma_peak):]
        boi = ma_peak_aligned > ma_beat + self.beta * ema
        self.y_hist_ = np.concatenate([self.y_hist_, y])
        self.bad_hist_ = np.concatenate([self.bad_hist_, bad_run])
        # boi[k] decides sample m = idx[k] - delay_ (negative m: before the record, never a block).
        m = idx - self.delay_
        boi &= m >= 0
        found = self._scan_blocks(boi, m)
        self._trim_history()
        return found

    def flush(self) -> np.ndarray:
        """End of input: close an open block and return the pulses still held back."""
        self._ensure_state()
        self._check_open("flush")
        out: list[int] = []
        if self.in_block_:
            end = max(self.n_ - self.delay_, self.block_start_)
            self._close_block(self.block_start_, end, out)
            self.in_block_ = False
        if self.pending_ is not None:
            self._emit(self.pending_, out)
            self.pending_ = None
        self._close()
        return np.asarray(out, dtype=np.int64)

    # -- internals -----------------------------------------------------------------------------
    def _trim_history(self) -> None:
        excess = len(self.y_hist_) - self.hist_len_
        if excess > 0:
            self.y_hist_ = self.y_hist_[excess:]
            self.bad_hist_ = self.bad_hist_[excess:]
            self.hist_start_ += excess

    def _scan_blocks(self, boi: np.ndarray, m: np.ndarray) -> np.ndarray:
        out: list[int] = []
        prev = np.concatenate([[self.in_block_], boi[:-1]])
        edges = np.flatnonzero(boi != prev)
        for k in edges:
            if boi[k]:
                self.in_block_ = True
                self.block_start_ = int(m[k])
            else:
                self.in_block_ = False
                self._close_block(self.block_start_, int(m[k]), out)
        # A pending candidate is final when no later block can bring a fiducial within refractory.
        if self.pending_ is not None and len(m):
            earliest = (self.block_start_ if self.in_block_ else int(m[-1]) + 1) - self.rise_max_
            if earliest - self.pending_.fiducial >= self.refractory_:
                self._emit(self.pending_, out)
                self.pending_ = None
        return np.asarray(out, dtype=np.int64)

    def _close_block(self, start: int, end: int, out: list[int]) -> None:
        if end - start < self.w_peak_:
            return
        cand = self._locate(start, end)
        if cand is None:
            return
        pending = self.pending_
        if pending is not None and cand.fiducial - pending.fiducial < self.refractory_:
            if cand.amplitude > pending.amplitude:
                self.pending_ = cand
            return
        if pending is not None:  # final: emit it before judging cand, as a chunk end would have
            self._emit(pending, out)
            self.pending_ = None
        if self._too_small(cand):
            return
        self.pending_ = cand

    def _too_small(self, cand: _Candidate) -> bool:
        """A separate candidate far smaller than recent pulses is the filter's rebound in a pause or
        noise; three such in a row mean the pulse itself got smaller (pressure, gain): start over."""
        if len(self.recent_amp_) < 3 or cand.amplitude >= MIN_RISE * float(np.median(np.asarray(self.recent_amp_))):
            self.small_run_ = 0
            return False
        self.small_run_ += 1
        if self.small_run_ < SMALL_RUN_RESET:
            return True
        self.recent_amp_.clear()
        self.small_run_ = 0
        return False

    def _emit(self, cand: _Candidate, out: list[int]) -> None:
        if self.search_back and len(self.recent_fid_) >= 5:
            prev = self.recent_fid_[-1]
            interval = float(np.median(np.diff(np.asarray(self.recent_fid_))))
            if interval * SEARCH_BACK_RATIO < cand.fiducial - prev <= self.gap_max_:
                found = self._search_back(prev, cand.fiducial)
                if found is not None:
                    out.append(found)
                    self.recent_fid_.append(found)
            elif cand.fiducial - prev <= interval * SEARCH_BACK_RATIO:
                # The largest rise inside a normal interval: the dicrotic wave (or noise), the
                # level a searched-back pulse must clearly exceed.
                rise = self._steepest_rise(prev + self.refractory_, cand.foot)
                self.recent_secondary_.append(0.0 if rise is None else rise[0])
        out.append(cand.fiducial)
        self.recent_fid_.append(cand.fiducial)
        self.recent_amp_.append(cand.amplitude)
        self.recent_slope_.append(cand.slope)

    def _search_back(self, after: int, before: int) -> int | None:
        """The steepest large upstroke between two pulses too far apart, or None."""
        h0 = self.hist_start_
        lo, hi = after + self.refractory_, before - self.refractory_
        found = self._steepest_rise(lo, hi)
        if found is None:
            return None
        rise, fid = found
        floor = SEARCH_BACK_MIN_SLOPE * float(np.median(np.asarray(self.recent_slope_)))
        if self.recent_secondary_:
            floor = max(floor, SEARCH_BACK_OVER_DICROTIC * float(np.median(np.asarray(self.recent_secondary_))))
        if rise < floor or fid - int(self.bad_hist_[fid - h0]) <= self.settle_:
            return None
        return fid

    def _steepest_rise(self, lo: int, hi: int) -> tuple[float, int] | None:
        """(slope, sample) of the steepest rise of ``y`` (central difference) in [lo, hi]."""
        h0 = self.hist_start_
        lo = max(lo, h0 + 1)
        hi = min(hi, h0 + len(self.y_hist_) - 2)
        if hi - lo < 1:
            return None
        slope = self.y_hist_[lo + 1 - h0 : hi + 2 - h0] - self.y_hist_[lo - 1 - h0 : hi - h0]
        k = int(np.argmax(slope))
        if slope[k] <= 0:
            return None
        return float(slope[k]), lo + k

    def _locate(self, start: int, end: int) -> _Candidate | None:
        h0 = self.hist_start_
        lo_block = max(start, h0 + 1)
        if end - 1 - h0 >= len(self.y_hist_) or end <= lo_block:
            return None  # the block fell out of the history (cannot happen with hist_len_)
        yb = self.y_hist_[lo_block - h0 : end - h0]
        peak = lo_block + int(np.argmax(yb))
        lo = max(peak - self.rise_max_, h0 + 1)
        seg = self.y_hist_[lo - h0 : peak - h0 + 1]
        d = np.diff(seg)
        falling = np.flatnonzero(d <= 0)
        foot = lo + (int(falling[-1]) + 1 if len(falling) else 0)
        if peak - foot < 1:
            return None
        # Central difference at samples foot+1 .. peak-1 (fall back to the forward one).
        ks = np.arange(foot, peak + 1)
        yk = self.y_hist_[ks - h0]
        if len(ks) >= 3:
            slope = self.y_hist_[ks[1:-1] + 1 - h0] - self.y_hist_[ks[1:-1] - 1 - h0]
            fid = int(ks[1:-1][int(np.argmax(slope))])
        else:
            fid = int(ks[-1])
        if fid - int(self.bad_hist_[fid - h0]) <= self.settle_:
            return None
        steepest = float(np.max(slope)) if len(ks) >= 3 else float(yk[-1] - yk[0])
        return _Candidate(fiducial=fid, peak=peak, amplitude=float(yk[-1] - yk[0]), foot=foot, slope=steepest)


def ppg_find_pulses(x: np.ndarray, *, fs: float, **kwargs: float | bool) -> np.ndarray:
    """Pulse sample indices (maximum-upslope points) of a whole PPG record.

    A thin wrapper that runs `PpgPulseDetector` over ``x`` at once; keyword arguments go to it.

    Parameters
    ----------
    x : array_like
        PPG samples in any unit and polarity "up = more blood" (a raw ADC count works).
    fs : float
        Sampling rate in Hz.

    Returns
    -------
    numpy.ndarray
        int64 sample indices of the pulses, ascending.

    References
    ----------
    .. [1] Elgendi M et al. PLoS ONE 8(10):e76585 (2013).

    Examples
    --------
    >>> fs = 100.0
    >>> t = np.arange(int(30 * fs)) / fs
    >>> x = np.sin(2 * np.pi * 1.0 * t) + 0.3 * np.sin(2 * np.pi * 2.0 * t - 1)
    >>> len(ppg_find_pulses(x, fs=fs))
    29
    """
    det = PpgPulseDetector(fs=fs, **kwargs).reset()
    return np.concatenate([det.process(x), det.flush()]).astype(np.int64)
