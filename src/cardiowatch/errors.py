"""Errors raised by cardiowatch.

Hierarchy, by cause::

    CardiowatchError                 base of everything we raise on purpose
    ├── RecordError (ValueError)     a record or annotation file is missing, truncated or inconsistent
    ├── DataUnavailable (RuntimeError) a database is neither on disk nor downloadable
    ├── SignalError (ValueError)     an argument that is not a usable signal (wrong shape, bad fs)
    ├── ModelError (RuntimeError)    a shipped model is missing, corrupt or of the wrong version
    │   └── ModelNotFitted (ValueError) a model was used before `fit`
    └── FrameError (ValueError)      a wire message that cannot be decoded (see cardiowatch.protocol)
        ├── TruncatedFrame           fewer bytes than the header or the declared length needs
        ├── BadMagic                 the first two bytes are not ``CW``
        ├── UnknownVersion           a version this code does not speak
        ├── OversizedFrame           longer than ``MAX_FRAME_BYTES``
        ├── CrcMismatch              the CRC-16 over the frame does not match
        ├── BadField                 a field holds a value the spec forbids (sensor kind, encoding, fs...)
        └── BadStatus                a JSON status message or an MQTT envelope that breaks the spec

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


class TruncatedFrame(FrameError):
    """Fewer bytes than the frame header or the length it declares needs."""


class BadMagic(FrameError):
    """The bytes do not start with the frame magic: not a cardiowatch frame at all."""


class UnknownVersion(FrameError):
    """The frame declares a protocol version this code does not implement."""


class OversizedFrame(FrameError):
    """The frame (declared or given) is longer than the protocol maximum."""


class CrcMismatch(FrameError):
    """The CRC over the frame does not match the one it carries: corrupted on the way."""


class BadField(FrameError):
    """A header field holds a value the spec forbids (unknown sensor kind or encoding, zero rate...)."""


class BadStatus(FrameError):
    """A JSON status message or an MQTT auth envelope that does not follow the spec."""
