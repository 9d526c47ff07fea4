"""Binary sample frames, version 1: `Frame`, `frame_encode`, `frame_decode`, `frame_split`, `frame_iter`.

The byte layout is specified in ``docs/protocol.md``; this module is its one Python implementation and
the golden vectors in ``vectors/`` are made from it. No I/O happens here.

Layout (little-endian)::

    off size field         meaning
      0   2  magic         b"CW"
      2   1  version       1
      3   1  sensor        SensorKind (1 ecg, 2 ppg_red_ir, 3 ppg_analog)
      4   1  flags         FrameFlags; bits 4-7 must be zero
      5   1  encoding      SampleEncoding (1 int16, 2 int32)
      6   2  n_samples     samples per channel, 1..MAX
      8   4  device_id     numeric device id given at registration
     12   4  seq           frame sequence number, +1 per frame, wraps at 2**32
     16   8  t_us          device time of the first sample, microseconds
     24   4  fs_millihz    sampling rate in mHz (250 Hz -> 250000)
     28   4  scale_nv      nanovolts per count at the sensor input, 0 = arbitrary units
     32   N  samples       n_samples x channels values, channels interleaved
    32+N  2  crc           CRC-16/CCITT-FALSE over bytes 0 .. 32+N-1
"""

from __future__ import annotations

import binascii
import enum
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from cardiowatch.errors import (
    BadField,
    BadMagic,
    CrcMismatch,
    FrameError,
    OversizedFrame,
    TruncatedFrame,
    UnknownVersion,
)

MAGIC = b"CW"
VERSION = 1
#: Largest frame, in bytes, that a sender may produce and a receiver must accept.
MAX_FRAME_BYTES = 1024
_HEADER = struct.Struct("<2sBBBBHIIQII")
HEADER_BYTES = _HEADER.size
CRC_BYTES = 2
_U32 = 2**32
_U64 = 2**64


class SensorKind(enum.IntEnum):
    """What produced the samples; fixes the number of interleaved channels."""

    ECG = 1
    PPG_RED_IR = 2
    PPG_ANALOG = 3

    @property
    def channels(self) -> int:
        """Interleaved channels per sample instant (red and IR for the MAX30102)."""
        return 2 if self is SensorKind.PPG_RED_IR else 1

    @property
    def modality(self) -> str:
        """``"ecg"`` or ``"ppg"``: the analysis family the samples belong to."""
        return "ecg" if self is SensorKind.ECG else "ppg"


class FrameFlags(enum.IntFlag):
    """Per-frame condition bits set by the device."""

    NONE = 0
    LEAD_OFF = 0x01  #: an ECG lead (LO+ or LO-) was off during this frame
    CLIPPED = 0x02  #: at least one sample hit the ADC rail
    RESENT = 0x04  #: sent again from the device's offline queue
    CLOCK_SYNCED = 0x08  #: t_us is Unix time (NTP-synchronised); else time since boot


_FLAGS_KNOWN = 0x0F


class SampleEncoding(enum.IntEnum):
    """How each sample value is packed."""

    INT16 = 1
    INT32 = 2

    @property
    def width(self) -> int:
        """Bytes per sample value."""
        return 2 if self is SampleEncoding.INT16 else 4

    @property
    def dtype(self) -> np.dtype:
        """Little-endian numpy dtype of one packed value."""
        return np.dtype("<i2") if self is SampleEncoding.INT16 else np.dtype("<i4")


def max_samples(sensor: SensorKind, encoding: SampleEncoding) -> int:
    """Largest ``n_samples`` a frame of this sensor and encoding may carry within `MAX_FRAME_BYTES`."""
    return (MAX_FRAME_BYTES - HEADER_BYTES - CRC_BYTES) // (SensorKind(sensor).channels
                                                            * SampleEncoding(encoding).width)


def crc16_ccitt_false(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, xorout 0); check value 0x29B1.

    References
    ----------
    .. [1] Cook, G. "Catalogue of parametrised CRC algorithms", CRC-16/IBM-3740 (alias CCITT-FALSE).
    """
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def _crc16(data: bytes) -> int:
    # binascii's CRC-CCITT is the same polynomial, unreflected and without xorout: with init 0xFFFF it is
    # CRC-16/CCITT-FALSE, in C (a Python loop per byte was most of a frame's decode time)
    return binascii.crc_hqx(data, 0xFFFF)


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded sample frame.

    ``samples`` is an int32 array of shape ``(n_samples, sensor.channels)``, read-only. Two frames are
    equal when every field and every sample is equal.
    """

    device_id: int
    seq: int
    t_us: int
    fs_millihz: int
    sensor: SensorKind
    samples: np.ndarray = field(repr=False)
    flags: FrameFlags = FrameFlags.NONE
    encoding: SampleEncoding = SampleEncoding.INT16
    scale_nv: int = 0

    def __post_init__(self) -> None:
        sensor = SensorKind(self.sensor)
        object.__setattr__(self, "sensor", sensor)
        object.__setattr__(self, "flags", FrameFlags(self.flags))
        object.__setattr__(self, "encoding", SampleEncoding(self.encoding))
        samples = np.array(self.samples, dtype=np.int64)
        if samples.ndim == 1 and sensor.channels == 1:
            samples = samples[:, None]
        if samples.ndim != 2 or samples.shape[1] != sensor.channels:
            raise BadField(f"samples must have shape (n, {sensor.channels}) for {sensor.name}, "
                           f"got {samples.shape}")
        info = np.iinfo(self.encoding.dtype)
        if samples.size and (samples.min() < info.min or samples.max() > info.max):
            raise BadField(f"samples exceed the {self.encoding.name} range [{info.min}, {info.max}]")
        samples = samples.astype(np.int32)
        samples.flags.writeable = False
        object.__setattr__(self, "samples", samples)
        _check_fields(self.device_id, self.seq, self.t_us, self.fs_millihz, self.scale_nv,
                      self.flags, len(samples), self.sensor, self.encoding)

    @property
    def n_samples(self) -> int:
        """Samples per channel."""
        return int(self.samples.shape[0])

    @property
    def fs(self) -> float:
        """Sampling rate in Hz."""
        return self.fs_millihz / 1000.0

    @property
    def lead_off(self) -> bool:
        """True when the device reported a lead off during this frame."""
        return bool(self.flags & FrameFlags.LEAD_OFF)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frame):
            return NotImplemented
        return (self.device_id, self.seq, self.t_us, self.fs_millihz, self.sensor, self.flags,
                self.encoding, self.scale_nv) == (
                other.device_id, other.seq, other.t_us, other.fs_millihz, other.sensor, other.flags,
                other.encoding, other.scale_nv) and np.array_equal(self.samples, other.samples)

    __hash__ = None  # type: ignore[assignment]


def _check_fields(device_id: int, seq: int, t_us: int, fs_millihz: int, scale_nv: int, flags: int,
                  n_samples: int, sensor: SensorKind, encoding: SampleEncoding) -> None:
    for name, value, bound in (("device_id", device_id, _U32), ("seq", seq, _U32), ("t_us", t_us, _U64),
                               ("fs_millihz", fs_millihz, _U32), ("scale_nv", scale_nv, _U32)):
        if not 0 <= value < bound:
            raise BadField(f"{name} must be in [0, {bound - 1}], got {value}")
    if device_id == 0:
        raise BadField("device_id 0 is reserved (never assigned)")
    if fs_millihz == 0:
        raise BadField("fs_millihz must be > 0")
    if flags & ~_FLAGS_KNOWN:
        raise BadField(f"flags {flags:#04x} set reserved bits {flags & ~_FLAGS_KNOWN & 0xFF:#04x}")
    limit = max_samples(sensor, encoding)
    if not 1 <= n_samples <= limit:
        raise BadField(f"n_samples must be in [1, {limit}] for {sensor.name}/{encoding.name}, got {n_samples}")


def frame_encode(frame: Frame) -> bytes:
    """Pack ``frame`` into its wire bytes (header, samples, CRC)."""
    header = _HEADER.pack(MAGIC, VERSION, frame.sensor, frame.flags, frame.encoding, frame.n_samples,
                          frame.device_id, frame.seq, frame.t_us, frame.fs_millihz, frame.scale_nv)
    body = header + frame.samples.astype(frame.encoding.dtype).tobytes()
    return body + struct.pack("<H", _crc16(body))


def frame_length(data: bytes) -> int:
    """Total length in bytes of the frame whose header starts ``data``.

    Raises the `FrameError` subclass that says why the header cannot be read: `TruncatedFrame`,
    `BadMagic`, `UnknownVersion`, `BadField` (unknown encoding or sensor), `OversizedFrame`.
    """
    if len(data) < HEADER_BYTES:
        raise TruncatedFrame(f"{len(data)} bytes is shorter than the {HEADER_BYTES}-byte header")
    magic, version, sensor, _flags, encoding, n_samples = _HEADER.unpack_from(data)[:6]
    if magic != MAGIC:
        raise BadMagic(f"magic {magic.hex()}, expected {MAGIC.hex()} ({MAGIC.decode()})")
    if version != VERSION:
        raise UnknownVersion(f"version {version}, this code speaks version {VERSION}")
    try:
        sensor_kind = SensorKind(sensor)
    except ValueError as exc:
        raise BadField(f"unknown sensor kind {sensor}; known: "
                       f"{', '.join(f'{k.value} {k.name}' for k in SensorKind)}") from exc
    try:
        sample_encoding = SampleEncoding(encoding)
    except ValueError as exc:
        raise BadField(f"unknown sample encoding {encoding}; known: "
                       f"{', '.join(f'{k.value} {k.name}' for k in SampleEncoding)}") from exc
    length = HEADER_BYTES + n_samples * sensor_kind.channels * sample_encoding.width + CRC_BYTES
    if length > MAX_FRAME_BYTES:
        raise OversizedFrame(f"frame declares {length} bytes, the maximum is {MAX_FRAME_BYTES}")
    return length


def frame_seq(data: bytes) -> int:
    """The ``seq`` field of the frame whose header starts ``data``, without checking the rest (CRC
    included): a receiver names a frame it refuses by it. Raises `FrameError` as `frame_length` does."""
    frame_length(data)
    return _HEADER.unpack_from(data)[7]


def frame_decode(data: bytes) -> Frame:
    """Decode exactly one frame from ``data``.

    Raises
    ------
    FrameError
        Always one of its subclasses: `TruncatedFrame`, `BadMagic`, `UnknownVersion`, `OversizedFrame`,
        `CrcMismatch` or `BadField`. Nothing else escapes for any input bytes.
    """
    data = bytes(data)
    if len(data) > MAX_FRAME_BYTES:
        raise OversizedFrame(f"{len(data)} bytes given, the maximum frame is {MAX_FRAME_BYTES}")
    length = frame_length(data)
    if len(data) < length:
        raise TruncatedFrame(f"frame declares {length} bytes, got {len(data)}")
    if len(data) > length:
        raise BadField(f"{len(data) - length} bytes after the end of a {length}-byte frame")
    (_m, _v, sensor, flags, encoding, n_samples, device_id, seq, t_us, fs_millihz,
     scale_nv) = _HEADER.unpack_from(data)
    (got,) = struct.unpack_from("<H", data, length - CRC_BYTES)
    want = _crc16(data[: length - CRC_BYTES])
    if got != want:
        raise CrcMismatch(f"device {device_id} seq {seq}: crc {got:#06x}, expected {want:#06x}")
    sensor_kind, sample_encoding = SensorKind(sensor), SampleEncoding(encoding)
    _check_fields(device_id, seq, t_us, fs_millihz, scale_nv, flags, n_samples, sensor_kind,
                  sample_encoding)
    samples = np.frombuffer(data, dtype=sample_encoding.dtype, offset=HEADER_BYTES,
                            count=n_samples * sensor_kind.channels).reshape(n_samples, sensor_kind.channels)
    return Frame(device_id=device_id, seq=seq, t_us=t_us, fs_millihz=fs_millihz, sensor=sensor_kind,
                 samples=samples, flags=FrameFlags(flags), encoding=sample_encoding, scale_nv=scale_nv)


def frame_iter(data: bytes) -> Iterator[bytes]:
    """Yield the frames of a batch of concatenated frames, one ``bytes`` each (headers read, CRCs not checked).

    Every frame before a header that cannot be read is yielded before the error is raised, so a receiver
    keeps the frames it could delimit. Raises the `FrameError` of the first header that cannot be read, or
    `TruncatedFrame` when the last frame is cut short; ``exc.args`` says at which byte offset.
    """
    data = bytes(data)
    offset = index = 0
    while offset < len(data):
        try:
            length = frame_length(data[offset: offset + HEADER_BYTES])
        except FrameError as exc:
            raise type(exc)(f"frame {index} at byte {offset}: {exc}") from exc
        if offset + length > len(data):
            raise TruncatedFrame(f"frame {index} at byte {offset} declares {length} bytes, "
                                 f"{len(data) - offset} left")
        yield data[offset: offset + length]
        offset += length
        index += 1


def frame_split(data: bytes) -> list[bytes]:
    """Cut a batch of concatenated frames into one ``bytes`` per frame (headers read, CRCs not checked).

    Raises the `FrameError` of the first header that cannot be read, or `TruncatedFrame` when the last
    frame is cut short; ``exc.args`` says at which byte offset. `frame_iter` yields the frames before it.
    """
    return list(frame_iter(data))
