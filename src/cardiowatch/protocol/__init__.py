"""The device wire format: binary sample frames, JSON status messages, MQTT envelope (no I/O here).

The specification is ``docs/protocol.md``; golden vectors shared with the firmware are in ``vectors/``.
"""

from cardiowatch.protocol.frame import (
    CRC_BYTES,
    HEADER_BYTES,
    MAGIC,
    MAX_FRAME_BYTES,
    VERSION,
    Frame,
    FrameFlags,
    SampleEncoding,
    SensorKind,
    crc16_ccitt_false,
    frame_decode,
    frame_encode,
    frame_iter,
    frame_length,
    frame_seq,
    frame_split,
    max_samples,
)
from cardiowatch.protocol.status import (
    MAX_STATUS_BYTES,
    MAX_TOKEN_BYTES,
    STATUS_VERSION,
    Status,
    carries_token,
    envelope_decode,
    envelope_encode,
    status_decode,
    status_encode,
)

__all__ = [
    "CRC_BYTES", "HEADER_BYTES", "MAGIC", "MAX_FRAME_BYTES", "MAX_STATUS_BYTES", "MAX_TOKEN_BYTES",
    "STATUS_VERSION", "VERSION", "Frame", "FrameFlags", "SampleEncoding", "SensorKind", "Status",
    "carries_token", "crc16_ccitt_false", "envelope_decode", "envelope_encode", "frame_decode", "frame_encode",
    "frame_iter", "frame_length", "frame_seq", "frame_split", "max_samples", "status_decode", "status_encode",
]
