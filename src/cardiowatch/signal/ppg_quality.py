"""Streaming PPG signal quality: `PpgSignalQuality` rates fixed windows and returns the bad stretches.

Algorithm (per window of ``window_s`` seconds, windows laid from the start of the input; all
rules are scale-free unless an absolute limit is given):

- ``missing``: more than half of the window's samples are NaN/inf (no data).
- ``flat``: at least 90 % of the first differences are exactly zero (a stuck or disconnected
  sensor, no finger on a sensor that reads a constant).
- ``clipped``: a run of at least ``clip_run_s`` identical samples at the window's maximum or
  minimum (the ADC or the front end saturated), or any sample at or beyond ``adc_range``.
- ``motion``: the pulsatile amplitude (peak-to-peak of the 0.5-8 Hz band-passed signal, the same
  filter as the pulse detector) exceeds ``motion_ratio`` times the reference amplitude, or the
  baseline (the signal minus its band-passed part) moves by more than ``baseline_ratio`` times the
  reference amplitude within the window (a sudden change of finger pressure or position).
- ``low_perfusion``: the pulsatile amplitude is below ``low_ratio`` times the reference amplitude,
  or below ``min_amplitude`` (signal units) when one is given.
- good: none of the above, and the window before was not an artefact (missing, flat,
  clipped, motion): a good-looking window right after one is rated ``motion``, because the
  band-pass (and the pulse detector's) still ring from the artefact.

The reference amplitude is the median amplitude of the last ``reference_windows`` windows that
were neither missing, flat nor clipped (the current window included), so it follows a slow change
of finger pressure or gain within about half a minute, while a sudden jump (motion) or drop (finger
lifted, vasoconstriction) stands out. Amplitude-ratio artefact rules follow Karlen et al. (2012)
and the signal-quality review of Elgendi (2016); the band-pass is Elgendi's (2013).

Consecutive windows with the same flag are merged into one `QualitySegment` (the one quality type,
shared with ECG: `cardiowatch.signal.quality_segment`); good stretches are not reported, as for ECG.
A segment is returned once it is closed (the flag changed); `flush()` closes the last one, including a
partial last window.

References
----------
.. [1] Elgendi M. Optimal signal quality index for photoplethysmogram signals. Bioengineering
   3(4):21 (2016). doi:10.3390/bioengineering3040021
.. [2] Karlen W, Kobayashi K, Ansermino JM, Dumont GA. Photoplethysmogram signal quality
   estimation using repeated Gaussian filters and cross-correlation. Physiol Meas
   33(10):1617-1629 (2012).
.. [3] Elgendi M et al. PLoS ONE 8(10):e76585 (2013).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from cardiowatch._checks import check_fs, check_signal
from cardiowatch.signal.quality_segment import QualityFlag, QualitySegment
from cardiowatch.stage import StreamingStage

__all__ = ["PpgSignalQuality", "ppg_quality"]

#: The flags a PPG window can get; a window with none of them is good.
FLAGS: tuple[QualityFlag, ...] = (QualityFlag.MISSING, QualityFlag.FLAT, QualityFlag.CLIPPED,
                                  QualityFlag.MOTION, QualityFlag.LOW_PERFUSION)
_ARTEFACTS = frozenset({QualityFlag.MISSING, QualityFlag.FLAT, QualityFlag.CLIPPED, QualityFlag.MOTION})


@dataclass(frozen=True)
class _Run:
    """Consecutive rated windows that share one flag (None: good)."""

    start: int
    end: int
    flag: QualityFlag | None


def _longest_run_at(x: np.ndarray, value: float) -> int:
    at = np.concatenate([[False], x == value, [False]])
    edges = np.flatnonzero(np.diff(at.astype(np.int8)))
    return int(np.max(edges[1::2] - edges[::2])) if len(edges) else 0


class PpgSignalQuality(StreamingStage):
    """Causal, chunked PPG quality rating in fixed windows (see the module docstring).

    Parameters
    ----------
    fs : float
        Sampling rate in Hz (required keyword).
    window_s : float
        Length of a rated window, s.
    clip_run_s : float
        A run of identical samples this long at the window's extreme counts as clipping.
    motion_ratio, low_ratio : float
        Amplitude, relative to the reference amplitude, above which a window is motion and below
        which it is low perfusion.
    baseline_ratio : float
        A baseline (below the pass band) that moves more than this many reference amplitudes
        within the window is motion.
    reference_windows : int
        Number of recent usable windows whose median amplitude is the reference.
    adc_range : tuple of float, optional
        The sensor's output rails (e.g. ``(0, 4095)``); a sample at or beyond them is clipped.
    min_amplitude : float, optional
        Absolute pulsatile amplitude (signal units) below which a window is low perfusion.
    settle : bool
        Rate the window after an artefact (missing, flat, clipped, motion) ``motion`` rather than
        ``good``: the band-pass filter still rings from the artefact.

    References
    ----------
    .. [1] Elgendi M. Bioengineering 3(4):21 (2016).
    .. [2] Karlen W et al. Physiol Meas 33(10):1617-1629 (2012).

    Examples
    --------
    >>> fs = 100.0
    >>> t = np.arange(int(20 * fs)) / fs
    >>> x = 2000 + 300 * np.sin(2 * np.pi * 1.2 * t)
    >>> x[1000:1400] = 2000.0  # finger lifted: a constant reading; then 2 s to settle
    >>> [(s.start, s.end, s.flag.value) for s in ppg_quality(x, fs=fs)]
    [(1000, 1400, 'flat'), (1400, 1600, 'motion')]
    """

    def __init__(
        self,
        *,
        fs: float,
        window_s: float = 2.0,
        clip_run_s: float = 0.12,
        motion_ratio: float = 3.0,
        baseline_ratio: float = 2.5,
        low_ratio: float = 0.3,
        reference_windows: int = 15,
        adc_range: tuple[float, float] | None = None,
        min_amplitude: float | None = None,
        band_hz: tuple[float, float] = (0.5, 8.0),
        settle: bool = True,
    ) -> None:
        self.fs = fs
        self.window_s = window_s
        self.clip_run_s = clip_run_s
        self.motion_ratio = motion_ratio
        self.baseline_ratio = baseline_ratio
        self.low_ratio = low_ratio
        self.reference_windows = reference_windows
        self.adc_range = adc_range
        self.min_amplitude = min_amplitude
        self.band_hz = band_hz
        self.settle = settle

    def reset(self) -> "PpgSignalQuality":
        """Create the running state; call before the first chunk or after a gap in the input."""
        fs = check_fs(self.fs)
        if self.window_s * fs < 4:
            raise ValueError(f"window_s {self.window_s} s is shorter than 4 samples at {fs:g} Hz")
        self.fs_ = fs
        self.window_ = int(round(self.window_s * fs))
        self.clip_run_ = max(2, int(round(self.clip_run_s * fs)))
        self.sos_ = sps.butter(2, list(self.band_hz), btype="bandpass", fs=fs, output="sos")
        self.zi_: np.ndarray | None = None
        self.last_finite_ = np.nan
        self.x_buf_ = np.zeros(0)
        self.y_buf_ = np.zeros(0)
        self.buf_start_ = 0
        self.amplitudes_: deque[float] = deque(maxlen=self.reference_windows)
        self.previous_: QualityFlag | None = None  # the last window's own flag (None: good)
        self.open_: _Run | None = None  # the run of windows that the next window may extend
        self._open()
        return self

    def _ensure_state(self) -> None:
        if not hasattr(self, "window_"):
            self.reset()

    @property
    def delay_s(self) -> float:
        """A window is rated once it is complete: a flag is final at most one window late."""
        return float(self.window_s)

    @property
    def final_through(self) -> int:
        """Samples whose flags are decided: those of the windows rated so far."""
        return getattr(self, "buf_start_", 0)

    def open_segments(self) -> list[QualitySegment]:
        """The bad run still open at `final_through` (empty when the last rated window was good)."""
        run = getattr(self, "open_", None)
        if run is None or run.flag is None:
            return []
        return [QualitySegment(run.start, run.end, run.flag)]

    def process(self, chunk: np.ndarray) -> list[QualitySegment]:
        """Feed samples; return the bad segments that closed."""
        self._ensure_state()
        self._check_open("process")
        x = check_signal(chunk, name="chunk")
        if len(x) == 0:
            return []
        self.x_buf_ = np.concatenate([self.x_buf_, x])
        self.y_buf_ = np.concatenate([self.y_buf_, self._filter(x)])
        out: list[QualitySegment] = []
        while len(self.x_buf_) >= self.window_:
            self._rate(self.window_, out)
        return out

    def flush(self) -> list[QualitySegment]:
        """End of input: rate the partial last window and close the open segment."""
        self._ensure_state()
        self._check_open("flush")
        out: list[QualitySegment] = []
        rest = len(self.x_buf_)
        if rest and self.open_ is not None and 2 * rest < self.window_:
            # Too short to rate on its own: the tail takes the flag of the window before it.
            self.open_ = _Run(self.open_.start, self.open_.end + rest, self.open_.flag)
            self.x_buf_, self.y_buf_ = self.x_buf_[:0], self.y_buf_[:0]
            self.buf_start_ += rest
        elif rest:
            self._rate(rest, out)
        out += self.open_segments()
        self.open_ = None
        self._close()
        return out

    # -- internals -----------------------------------------------------------------------------
    def _filter(self, x: np.ndarray) -> np.ndarray:
        finite = np.isfinite(x)
        if not finite.all():  # hold the last finite value, as the pulse detector does
            pos = np.where(finite, np.arange(len(x)), -1)
            np.maximum.accumulate(pos, out=pos)
            x = np.where(pos >= 0, x[np.maximum(pos, 0)], self.last_finite_)
        if self.zi_ is None:
            ok = np.isfinite(x)
            if not ok.any():
                return np.zeros_like(x)
            first = x[np.argmax(ok)]
            x = np.where(ok, x, first)
            self.zi_ = sps.sosfilt_zi(self.sos_) * first
        self.last_finite_ = float(x[-1])
        y, self.zi_ = sps.sosfilt(self.sos_, x, zi=self.zi_)
        return y

    def _rate(self, n: int, out: list[QualitySegment]) -> None:
        x, y = self.x_buf_[:n], self.y_buf_[:n]
        start = self.buf_start_
        self.x_buf_, self.y_buf_ = self.x_buf_[n:], self.y_buf_[n:]
        self.buf_start_ += n
        flag = own = self._rate_window(x, y)
        if own is None and self.previous_ in _ARTEFACTS and self.settle:
            flag = QualityFlag.MOTION  # the band-pass still rings from the artefact before
        self.previous_ = own
        if self.open_ is not None and self.open_.flag is flag and self.open_.end == start:
            self.open_ = _Run(self.open_.start, start + n, flag)
            return
        out += self.open_segments()
        self.open_ = _Run(start, start + n, flag)

    def _rate_window(self, x: np.ndarray, y: np.ndarray) -> QualityFlag | None:
        """The window's flag, or None when it is good."""
        finite = np.isfinite(x)
        if finite.sum() * 2 < len(x) or finite.sum() < 2:
            return QualityFlag.MISSING
        xf = x[finite]
        if np.count_nonzero(np.diff(xf) == 0) >= 0.9 * (len(xf) - 1):
            return QualityFlag.FLAT
        hi, lo = float(xf.max()), float(xf.min())
        if self.adc_range is not None and (lo <= self.adc_range[0] or hi >= self.adc_range[1]):
            return QualityFlag.CLIPPED
        if max(_longest_run_at(xf, hi), _longest_run_at(xf, lo)) >= self.clip_run_:
            return QualityFlag.CLIPPED
        amplitude = float(np.ptp(y[finite]))
        baseline_move = float(np.ptp(x[finite] - y[finite]))
        self.amplitudes_.append(amplitude)
        reference = float(np.median(self.amplitudes_))
        if amplitude > self.motion_ratio * reference or baseline_move > self.baseline_ratio * reference:
            return QualityFlag.MOTION
        if amplitude < self.low_ratio * reference or (
            self.min_amplitude is not None and amplitude < self.min_amplitude
        ):
            return QualityFlag.LOW_PERFUSION
        return None


def ppg_quality(x: np.ndarray, *, fs: float, **kwargs: object) -> list[QualitySegment]:
    """Bad stretches of a whole PPG record: a thin wrapper over `PpgSignalQuality`.

    Parameters
    ----------
    x : array_like
        PPG samples in any unit.
    fs : float
        Sampling rate in Hz.

    Returns
    -------
    list of QualitySegment
        The stretches that are not good, in time order; every other sample is good.

    References
    ----------
    .. [1] Elgendi M. Bioengineering 3(4):21 (2016).

    Examples
    --------
    >>> x = np.full(500, 7.0)
    >>> [s.flag.value for s in ppg_quality(x, fs=100.0)]
    ['flat']
    """
    q = PpgSignalQuality(fs=fs, **kwargs).reset()  # type: ignore[arg-type]
    return q.process(x) + q.flush()
