"""Write the golden protocol test vectors shared by Python and the firmware's C tests.

Command (from the repository root)::

    .venv/bin/python -m cardiowatch.protocol.make_vectors

It rewrites ``src/cardiowatch/protocol/vectors/{frames,status,envelope}.json``. Regenerate on purpose
only and review the diff: firmware tests are built from these files. ``tests/protocol`` fails when the
files differ from what this script makes.
"""

from __future__ import annotations

import json
import logging
import struct
from pathlib import Path

from cardiowatch.protocol.frame import (
    HEADER_BYTES,
    MAGIC,
    VERSION,
    Frame,
    FrameFlags,
    SampleEncoding,
    SensorKind,
    _crc16,
    frame_encode,
    max_samples,
)
from cardiowatch.protocol.status import Status, envelope_encode, status_encode

logger = logging.getLogger(__name__)

VECTORS_DIR = Path(__file__).with_name("vectors")
COMMAND = "python -m cardiowatch.protocol.make_vectors"
SPEC = "docs/protocol.md"


def _raw_frame(*, version: int = VERSION, sensor: int = 1, flags: int = 0, encoding: int = 1,
               n_samples: int = 2, device_id: int = 7, seq: int = 1, t_us: int = 0,
               fs_millihz: int = 250_000, scale_nv: int = 0, payload: bytes | None = None,
               magic: bytes = MAGIC, good_crc: bool = True) -> bytes:
    """Build frame bytes field by field, allowing values `frame_encode` refuses (for error vectors)."""
    width = 4 if encoding == 2 else 2
    channels = 2 if sensor == 2 else 1
    if payload is None:
        payload = bytes(n_samples * channels * width)
    body = struct.pack("<2sBBBBHIIQII", magic, version, sensor, flags, encoding, n_samples, device_id,
                       seq, t_us, fs_millihz, scale_nv) + payload
    crc = _crc16(body) ^ (0 if good_crc else 0x0001)
    return body + struct.pack("<H", crc)


def frame_fields(frame: Frame) -> dict:
    """The decoded fields of ``frame`` as JSON-ready values (samples flat, channels interleaved)."""
    return {
        "device_id": frame.device_id, "seq": frame.seq, "t_us": frame.t_us,
        "fs_millihz": frame.fs_millihz, "sensor": frame.sensor.name, "sensor_code": int(frame.sensor),
        "flags": int(frame.flags), "encoding": frame.encoding.name, "encoding_code": int(frame.encoding),
        "scale_nv": frame.scale_nv, "n_samples": frame.n_samples, "channels": frame.sensor.channels,
        "samples": [int(v) for v in frame.samples.reshape(-1)],
    }


def frame_from_fields(fields: dict) -> Frame:
    """Inverse of `frame_fields`."""
    sensor = SensorKind[fields["sensor"]]
    return Frame(device_id=fields["device_id"], seq=fields["seq"], t_us=fields["t_us"],
                 fs_millihz=fields["fs_millihz"], sensor=sensor,
                 samples=[fields["samples"][i: i + sensor.channels]
                          for i in range(0, len(fields["samples"]), sensor.channels)],
                 flags=FrameFlags(fields["flags"]), encoding=SampleEncoding[fields["encoding"]],
                 scale_nv=fields["scale_nv"])


def _valid_frames() -> list[tuple[str, str, Frame]]:
    ecg_wave = [2048 + (37 * i * i) % 401 - 200 for i in range(50)]
    n_max = max_samples(SensorKind.ECG, SampleEncoding.INT16)
    return [
        ("ecg_int16_basic", "ECG, 4 int16 samples, AD8232 scale 8000 nV/count, boot-relative clock",
         Frame(device_id=7, seq=0, t_us=1_000_000, fs_millihz=250_000, sensor=SensorKind.ECG,
               samples=[2048, 2050, 2101, 1990], scale_nv=8000)),
        ("ecg_int16_extremes", "ECG, int16 limits and negative values, lead-off + resent flags, seq 2**32-1",
         Frame(device_id=2**32 - 1, seq=2**32 - 1, t_us=2**64 - 1, fs_millihz=360_000,
               sensor=SensorKind.ECG, samples=[-32768, 32767, -1, 0, 1],
               flags=FrameFlags.LEAD_OFF | FrameFlags.RESENT, scale_nv=2**32 - 1)),
        ("ecg_typical_50", "ECG, 50 samples (200 ms at 250 Hz): the recommended frame, Unix clock",
         Frame(device_id=42, seq=1234, t_us=1_764_072_000_123_456, fs_millihz=250_000,
               sensor=SensorKind.ECG, samples=ecg_wave, flags=FrameFlags.CLOCK_SYNCED, scale_nv=8000)),
        ("ppg_red_ir_int32", "MAX30102 red+IR interleaved, 18-bit counts in int32, measured 99.87 Hz",
         Frame(device_id=3, seq=17, t_us=5_000_000, fs_millihz=99_870, sensor=SensorKind.PPG_RED_IR,
               samples=[[131071, 120000], [100000, 262143], [0, 1]], encoding=SampleEncoding.INT32)),
        ("ppg_analog_int16", "analog pulse sensor on GPIO34, 12-bit counts, clipped flag",
         Frame(device_id=5, seq=99, t_us=123, fs_millihz=100_000, sensor=SensorKind.PPG_ANALOG,
               samples=[0, 4095, 4095, 2000], flags=FrameFlags.CLIPPED)),
        ("ecg_max_length", f"ECG, {n_max} int16 samples: exactly MAX_FRAME_BYTES long",
         Frame(device_id=9, seq=8, t_us=0, fs_millihz=250_000, sensor=SensorKind.ECG,
               samples=[(i * 97) % 4096 for i in range(n_max)])),
    ]


def _error_frames() -> list[tuple[str, str, bytes, str]]:
    good = frame_encode(_valid_frames()[0][2])
    corrupted = bytearray(good)
    corrupted[HEADER_BYTES] ^= 0x40
    n_max = max_samples(SensorKind.ECG, SampleEncoding.INT16)
    return [
        ("empty", "no bytes at all", b"", "TruncatedFrame"),
        ("truncated_header", "10 bytes, shorter than the header", good[:10], "TruncatedFrame"),
        ("truncated_samples", "valid frame less its last 3 bytes", good[:-3], "TruncatedFrame"),
        ("trailing_bytes", "valid frame plus one byte", good + b"\x00", "BadField"),
        ("bad_magic", "starts with 'XW'", _raw_frame(magic=b"XW"), "BadMagic"),
        ("unknown_version", "version 2 (valid CRC)", _raw_frame(version=2), "UnknownVersion"),
        ("crc_mismatch", "first sample byte flipped after the CRC was computed", bytes(corrupted),
         "CrcMismatch"),
        ("crc_off_by_one", "CRC field wrong in its lowest bit", _raw_frame(good_crc=False), "CrcMismatch"),
        ("unknown_sensor", "sensor kind 9", _raw_frame(sensor=9), "BadField"),
        ("unknown_encoding", "encoding 3 (reserved for delta coding)", _raw_frame(encoding=3), "BadField"),
        ("reserved_flag_bits", "flag bit 7 set (valid CRC)", _raw_frame(flags=0x80), "BadField"),
        ("zero_samples", "n_samples 0 (valid CRC)", _raw_frame(n_samples=0), "BadField"),
        ("zero_fs", "fs_millihz 0 (valid CRC)", _raw_frame(fs_millihz=0), "BadField"),
        ("device_id_zero", "device_id 0 is reserved (valid CRC)", _raw_frame(device_id=0), "BadField"),
        ("oversized", f"{n_max + 1} int16 samples: 2 bytes over MAX_FRAME_BYTES",
         _raw_frame(n_samples=n_max + 1), "OversizedFrame"),
    ]


def build_frames() -> dict:
    """The content of ``vectors/frames.json``."""
    return {
        "generated_by": COMMAND, "spec": SPEC,
        "crc_check": {"algorithm": "CRC-16/CCITT-FALSE", "input_ascii": "123456789",
                      "crc": _crc16(b"123456789")},
        "valid": [{"name": name, "description": text, "hex": frame_encode(frame).hex(),
                   "frame": frame_fields(frame)} for name, text, frame in _valid_frames()],
        "invalid": [{"name": name, "description": text, "hex": data.hex(), "error": error}
                    for name, text, data, error in _error_frames()],
    }


def build_status() -> dict:
    """The content of ``vectors/status.json``."""
    full = Status(device_id=7, t_us=1_764_072_000_000_000, battery_pct=81, battery_mv=3905, rssi_dbm=-61,
                  lead_off=False, fw="0.3.1", uptime_s=5230, fs_measured_millihz=249_870, queue_depth=0,
                  dropped_samples=0)
    valid = [("full", full), ("minimal", Status(device_id=1)),
             ("lead_off_low_battery", Status(device_id=3, battery_pct=4.5, lead_off=True))]
    invalid = [
        ("not_json", b"battery=81", "BadStatus"),
        ("not_object", b"[1,2]", "BadStatus"),
        ("missing_version", b'{"device_id":7}', "BadStatus"),
        ("wrong_version", b'{"v":2,"device_id":7}', "BadStatus"),
        ("missing_device", b'{"v":1,"battery_pct":50}', "BadStatus"),
        ("unknown_key", b'{"v":1,"device_id":7,"batery_pct":50}', "BadStatus"),
        ("bool_as_number", b'{"v":1,"device_id":7,"rssi_dbm":true}', "BadStatus"),
        ("out_of_range", b'{"v":1,"device_id":7,"battery_pct":140}', "BadStatus"),
        ("too_long", b'{"v":1,"device_id":7,"fw":"' + b"x" * 250 + b'"}', "BadStatus"),
    ]
    return {
        "generated_by": COMMAND, "spec": SPEC,
        "valid": [{"name": name, "json": status_encode(s).decode(),
                   "status": {k: v for k, v in s.__dict__.items() if v is not None}} for name, s in valid],
        "invalid": [{"name": name, "hex": data.hex(), "text": data.decode(), "error": error}
                    for name, data, error in invalid],
    }


def build_envelope() -> dict:
    """The content of ``vectors/envelope.json``."""
    frame_hex = frame_encode(_valid_frames()[0][2])
    token = "k3Jx9Q2mTz7LwB1vHc5YdR8sNf4Ua6Ep"
    return {
        "generated_by": COMMAND, "spec": SPEC,
        "valid": [{"name": "frame_with_token", "hex": envelope_encode(token, frame_hex).hex(),
                   "token": token, "payload_hex": frame_hex.hex()}],
        "invalid": [
            {"name": "empty", "hex": "", "error": "BadStatus"},
            {"name": "zero_token_length", "hex": "00" + frame_hex.hex(), "error": "BadStatus"},
            {"name": "token_longer_than_data", "hex": "20616263", "error": "BadStatus"},
            {"name": "token_over_64", "hex": "41" + "61" * 65, "error": "BadStatus"},
        ],
    }


BUILDERS = {"frames.json": build_frames, "status.json": build_status, "envelope.json": build_envelope}


def render(content: dict) -> str:
    """JSON text exactly as written to disk (stable, reviewable diffs)."""
    return json.dumps(content, indent=1) + "\n"


def main() -> None:
    """Rewrite every vector file."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    VECTORS_DIR.mkdir(exist_ok=True)
    for name, build in BUILDERS.items():
        (VECTORS_DIR / name).write_text(render(build()))
        logger.info("wrote %s", VECTORS_DIR / name)


if __name__ == "__main__":
    main()
