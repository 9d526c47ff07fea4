"""Streaming causal ECG filters (SOS form, state kept between chunks).

`EcgFilter` is the one ECG pre-filter of the live path: a Butterworth band-pass (0.5-40 Hz by
default) in second-order sections, with an optional mains notch. It runs causally with
`scipy.signal.sosfilt` and carries the filter state ``zi`` from chunk to chunk, so feeding a record
whole or in pieces of any size gives the same output (the same per-sample recurrence is run either
way). The state is started from the first finite sample (``zi`` scaled by it) so a signal with a DC
offset does not start with a large step transient.

Non-finite samples (NaN, inf: a dropped or invalid sample) are replaced by the last finite sample
*for filtering only*, so one bad sample cannot poison the filter state forever. The output at those
positions is therefore finite but meaningless: `cardiowatch.signal.quality.EcgQuality` flags them, and
the QRS detector never reports beats there.

`ecg_clean` runs the same streaming class over a whole signal (there is no second code path).

The C firmware runs the same coefficients: `EcgFilter(fs=...).sos` is scipy's SOS layout
(one row ``b0 b1 b2 a0 a1 a2`` per section), as ``eml_iir`` / ``cw_iir`` expect.
"""

from __future__ import annotations

import logging
from typing import Callable

import numpy as np
from scipy import signal as sps

try:  # the compiled loop inside scipy's sosfilt; calling it directly skips sosfilt's argument handling
    from scipy.signal._sosfilt import _sosfilt as _sosfilt_kernel
except ImportError:  # another scipy layout: the public function gives the same numbers, only slower
    _sosfilt_kernel = None

from cardiowatch._checks import check_fs, check_signal
from cardiowatch.stage import StreamingStage

logger = logging.getLogger(__name__)

#: The upper cut-off is kept below this fraction of ``fs`` so the design stays valid at low rates.
MAX_CUTOFF_FRACTION = 0.45
#: Frequency (Hz) at which `EcgFilter.delay_samples` evaluates the group delay: the centre of the
#: QRS complex's energy, where beat timing is decided.
DELAY_REFERENCE_HZ = 10.0
#: Quality factor of the optional mains notch.
NOTCH_Q = 30.0


def design_bandpass(
    *, fs: float, low_hz: float | None, high_hz: float | None, order: int = 2
) -> np.ndarray:
    """Butterworth band-, high- or low-pass in SOS form; a cut-off of None drops that edge.

    ``high_hz`` is lowered to ``MAX_CUTOFF_FRACTION * fs`` when the rate is too low for it.

    References
    ----------
    Butterworth S. On the theory of filter amplifiers. Wireless Engineer 7:536-541 (1930).
    """
    fs = check_fs(fs)
    if order < 1:
        raise ValueError(f"filter order must be >= 1, got {order}")
    if high_hz is not None:
        limit = MAX_CUTOFF_FRACTION * fs
        if high_hz > limit:
            logger.debug("high cut-off %.3g Hz lowered to %.3g Hz at fs=%.3g Hz", high_hz, limit, fs)
            high_hz = limit
    if low_hz is not None and low_hz <= 0:
        raise ValueError(f"low cut-off must be > 0 Hz or None, got {low_hz}")
    if low_hz is not None and high_hz is not None:
        if low_hz >= high_hz:
            raise ValueError(f"low cut-off {low_hz} Hz must be below high cut-off {high_hz} Hz")
        return sps.butter(order, [low_hz, high_hz], btype="bandpass", fs=fs, output="sos")
    if low_hz is not None:
        return sps.butter(order, low_hz, btype="highpass", fs=fs, output="sos")
    if high_hz is not None:
        return sps.butter(order, high_hz, btype="lowpass", fs=fs, output="sos")
    raise ValueError("at least one of low_hz, high_hz must be given")


def group_delay_samples(sos: np.ndarray, *, fs: float, freq_hz: float) -> float:
    """Group delay (samples) of a cascade of SOS sections at ``freq_hz``: the sum over sections."""
    total = 0.0
    for section in np.atleast_2d(sos):
        _, gd = sps.group_delay((section[:3], section[3:]), w=[freq_hz], fs=fs)
        total += float(gd[0])
    return total


class SosStream:
    """A causal SOS filter whose state survives between chunks, started from the first finite sample.

    The building block of every streaming filter here. Non-finite input samples are replaced by the
    last finite one before filtering (the caller flags them).

    Parameters
    ----------
    sos : array of shape (n_sections, 6)
        Filter coefficients in scipy's SOS layout.
    """

    def __init__(self, sos: np.ndarray) -> None:
        self.sos = np.ascontiguousarray(sos, dtype=np.float64)
        self._zi_unit = sps.sosfilt_zi(self.sos)

    def reset(self) -> None:
        """Forget all state: the next finite sample starts the filter again."""
        self.zi_: np.ndarray | None = None
        self.last_finite_: float | None = None

    def process(self, chunk: np.ndarray) -> np.ndarray:
        """Filter ``chunk`` (float64, 1-D) and return an array of the same length."""
        x = chunk
        if not hasattr(self, "zi_"):
            self.reset()
        if x.size == 0:
            return np.zeros(0, dtype=np.float64)
        finite = np.isfinite(x)
        if not finite.all():
            x = _hold_last_finite(x, finite, self.last_finite_)
            finite = np.isfinite(x)  # leading samples stay NaN when nothing finite came yet
        if self.zi_ is None:
            first = np.flatnonzero(finite)
            if first.size == 0:
                return np.zeros(x.size, dtype=np.float64)  # nothing to start from yet
            start = int(first[0])
            self.zi_ = self._zi_unit * x[start]
            out = np.zeros(x.size, dtype=np.float64)
            out[start:], self.zi_ = sosfilt_1d(self.sos, x[start:], self.zi_)
        else:
            out, self.zi_ = sosfilt_1d(self.sos, x, self.zi_)
        self.last_finite_ = float(x[-1])
        return out


def sosfilt_1d(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.sosfilt(sos, x, zi=zi)`` for a 1-D float64 ``x`` and float64 C-ordered ``sos``:
    the same compiled loop on the same copies, bit for bit, without the general argument handling that
    costs several times the filtering itself on a one-second chunk."""
    if _sosfilt_kernel is None:
        return sps.sosfilt(sos, x, zi=zi)
    y = np.array(x, dtype=np.float64, order="C").reshape(1, -1)  # filtered in place
    state = np.array(zi, dtype=np.float64, order="C").reshape(1, *np.shape(zi))
    _sosfilt_kernel(sos, y, state)
    return y[0], state[0]


def _hold_last_finite(x: np.ndarray, finite: np.ndarray, previous: float | None) -> np.ndarray:
    """Replace each non-finite sample by the last finite one before it (``previous`` across chunks)."""
    idx = np.where(finite, np.arange(x.size), -1)
    np.maximum.accumulate(idx, out=idx)
    held = x[np.maximum(idx, 0)]
    held[idx < 0] = np.nan if previous is None else previous
    return held


class EcgFilter(StreamingStage):
    """Causal streaming ECG band-pass (Butterworth, SOS) with an optional mains notch.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz (required).
    low_hz, high_hz : float or None
        Pass band edges (None drops that edge); the high edge is lowered to ``0.45 * fs`` at low rates.
    order : int
        Butterworth order per edge (the band-pass has ``2 * order`` poles).
    notch_hz : float or None
        Mains frequency to notch out (50 or 60 Hz, from the device's configuration), or None.

    Examples
    --------
    >>> import numpy as np
    >>> filt = EcgFilter(fs=250.0)
    >>> filt.reset()
    >>> y = np.concatenate([filt.process(c) for c in np.array_split(np.ones(1000), 7)])
    >>> bool(np.abs(y).max() < 1e-9)   # a constant offset gives no start-up step
    True

    References
    ----------
    Pan J, Tompkins WJ. A real-time QRS detection algorithm. IEEE Trans Biomed Eng 32(3):230-236 (1985).
    Kligfield P et al. Recommendations for the standardization and interpretation of the
    electrocardiogram, part I. Circulation 115:1306-1324 (2007) (0.5 Hz high-pass for monitoring).
    """

    def __init__(
        self,
        *,
        fs: float,
        low_hz: float | None = 0.5,
        high_hz: float | None = 40.0,
        order: int = 2,
        notch_hz: float | None = None,
    ) -> None:
        self.fs = check_fs(fs)
        self.low_hz = low_hz
        self.high_hz = high_hz
        self.order = order
        self.notch_hz = notch_hz
        sos = design_bandpass(fs=self.fs, low_hz=low_hz, high_hz=high_hz, order=order)
        if notch_hz is not None:
            if not 0 < notch_hz < self.fs / 2:
                raise ValueError(f"notch {notch_hz} Hz must lie between 0 and fs/2 = {self.fs / 2} Hz")
            b, a = sps.iirnotch(notch_hz, NOTCH_Q, fs=self.fs)
            sos = np.vstack([sos, sps.tf2sos(b, a)])
        #: Coefficients in scipy's SOS layout (also what the C core runs).
        self.sos: np.ndarray = sos
        self._stream = SosStream(sos)

    @property
    def delay_samples(self) -> int:
        """Group delay in samples at the QRS band centre (10 Hz), rounded: output lags input by this."""
        return int(round(group_delay_samples(self.sos, fs=self.fs, freq_hz=DELAY_REFERENCE_HZ)))

    @property
    def delay_s(self) -> float:
        """`delay_samples` in seconds."""
        return self.delay_samples / self.fs

    def reset(self) -> None:
        """Start afresh (next record, or a gap in the input)."""
        self._stream.reset()
        self._open()

    def process(self, chunk: np.ndarray) -> np.ndarray:
        """Filter the next ``chunk`` of samples (any length, 0 included); returns the same length."""
        self._check_open("process")
        return self._stream.process(check_signal(chunk, name="chunk"))

    def flush(self) -> np.ndarray:
        """End of input. A causal filter holds nothing back, so this returns an empty array."""
        self._check_open("flush")
        self._close()
        return np.zeros(0, dtype=np.float64)


def _ecg_clean_bandpass(x: np.ndarray, *, fs: float) -> np.ndarray:
    filt = EcgFilter(fs=fs)
    return filt.process(x)


def _ecg_clean_highpass(x: np.ndarray, *, fs: float) -> np.ndarray:
    filt = EcgFilter(fs=fs, high_hz=None)
    return filt.process(x)


_ECG_CLEAN_METHODS: dict[str, Callable[..., np.ndarray]] = {
    "bandpass": _ecg_clean_bandpass,
    "highpass": _ecg_clean_highpass,
}


def ecg_clean(x: np.ndarray, *, fs: float, method: str = "bandpass") -> np.ndarray:
    """Filter a whole ECG signal causally with the streaming `EcgFilter` (no zero-phase tricks).

    Parameters
    ----------
    x : array_like
        ECG samples (NaN/inf allowed: held at the last finite value for filtering).
    fs : float
        Sampling rate in Hz.
    method : {"bandpass", "highpass"}
        ``"bandpass"``: 0.5-40 Hz Butterworth; ``"highpass"``: 0.5 Hz baseline removal only.

    Returns
    -------
    numpy.ndarray
        The filtered signal, same length, delayed by `EcgFilter.delay_samples` at QRS frequencies.
    """
    try:
        impl = _ECG_CLEAN_METHODS[method]
    except KeyError:
        valid = ", ".join(repr(m) for m in _ECG_CLEAN_METHODS)
        raise ValueError(f"unknown ecg_clean method {method!r}; valid methods: {valid}") from None
    return impl(check_signal(x, name="x"), fs=check_fs(fs))
