"""Input checks shared by every public entry point: validate at the door, return clean values."""

from __future__ import annotations

import math

import numpy as np

from cardiowatch.errors import SignalError

#: Sampling rates the analysis supports (Hz). Below 100 Hz QRS timing is too coarse to match within
#: 150 ms reliably; above 2 kHz nothing we read needs it.
MIN_FS = 50.0
MAX_FS = 2000.0


def check_fs(fs: float) -> float:
    """Return ``fs`` as a float if it is a plausible sampling rate in Hz, else raise `SignalError`."""
    try:
        value = float(fs)
    except (TypeError, ValueError) as exc:
        raise SignalError(f"sampling rate must be a number in Hz, got {fs!r}") from exc
    if not math.isfinite(value) or not MIN_FS <= value <= MAX_FS:
        raise SignalError(f"sampling rate {fs!r} Hz is outside the supported {MIN_FS:g}-{MAX_FS:g} Hz")
    return value


def check_signal(x: object, *, name: str = "signal") -> np.ndarray:
    """Return ``x`` as a 1-D float64 array (a copy only when needed), else raise `SignalError`.

    NaN and inf are allowed through: they are bad samples, which detectors flag, not bad arguments.
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SignalError(f"{name} must be numeric, got {type(x).__name__}") from exc
    if arr.ndim == 0:
        raise SignalError(f"{name} must be 1-D, got a scalar")
    if arr.ndim != 1:
        raise SignalError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr
