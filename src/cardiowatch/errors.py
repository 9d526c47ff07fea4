"""Errors raised by cardiowatch.

Hierarchy, by cause::

    CardiowatchError                 base of everything we raise on purpose
    ├── RecordError (ValueError)     a record or annotation file is missing, truncated or inconsistent
    ├── DataUnavailable (RuntimeError) a database is neither on disk nor downloadable
    ├── SignalError (ValueError)     an argument that is not a usable signal (wrong shape, bad fs)
    ├── ModelError (RuntimeError)    a shipped model is missing, corrupt or of the wrong version
    │   └── ModelNotFitted (ValueError) a model was used before `fit`
    └── FrameError (ValueError)      a wire frame that cannot be decoded (see cardiowatch.protocol)

Bad *samples* (NaN, flat line, clipping, lead-off) are not errors: detectors flag them as segments.
"""

from __future__ import annotations


class CardiowatchError(Exception):
    """Base class of every error cardiowatch raises on purpose."""


class RecordError(CardiowatchError, ValueError):
    """A record or annotation file is missing, truncated or inconsistent."""


class DataUnavailable(CardiowatchError, RuntimeError):
    """A database is not on disk and cannot be downloaded (offline, wrong name)."""


class SignalError(CardiowatchError, ValueError):
    """An argument is not a usable signal: wrong shape or dtype, unknown or implausible sampling rate."""


class ModelError(CardiowatchError, RuntimeError):
    """A model file is missing, corrupt or does not match the code that loads it."""


class ModelNotFitted(CardiowatchError, ValueError, AttributeError):
    """A model was used before it was fitted."""


class FrameError(CardiowatchError, ValueError):
    """A wire frame cannot be decoded; subclasses say why."""
