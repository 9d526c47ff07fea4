"""Device status messages (small JSON objects) and the MQTT auth envelope. No I/O here.

A status message is one UTF-8 JSON object of at most `MAX_STATUS_BYTES`::

    {"v": 1, "device_id": 7, "t_us": 1764000000000000, "battery_pct": 81, "battery_mv": 3905,
     "rssi_dbm": -61, "lead_off": false, "fw": "0.3.1", "uptime_s": 5230,
     "fs_measured_millihz": 249870, "queue_depth": 0, "dropped_samples": 0, "alarm_level": 0,
     "in_vf": false}

``v`` and ``device_id`` are required; every other key is optional (``null`` or absent = unknown).
Unknown keys are refused, so a typo in firmware shows up at once instead of silently losing a field.

The MQTT envelope carries the device token where the transport has no header for it:
``token_length (u8, 1..64) | token (ASCII) | payload`` (payload = a frame or a status JSON).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields

from cardiowatch.errors import BadStatus
from cardiowatch.protocol.frame import MAGIC

STATUS_VERSION = 1
MAX_STATUS_BYTES = 256
MAX_TOKEN_BYTES = 64


@dataclass(frozen=True)
class Status:
    """One status report from a device; ``None`` means the device did not say."""

    device_id: int
    t_us: int | None = None
    battery_pct: float | None = None
    battery_mv: int | None = None
    rssi_dbm: int | None = None
    lead_off: bool | None = None
    fw: str | None = None
    uptime_s: int | None = None
    fs_measured_millihz: int | None = None
    queue_depth: int | None = None
    dropped_samples: int | None = None
    #: the device's own alarm (cw_alarm): 0 none, 1 technical, 2 medium, 3 high, 4 critical (shockable rhythm)
    alarm_level: int | None = None
    #: the device's VF detector (cw_vf) holds a shockable rhythm (VF / flutter)
    in_vf: bool | None = None


#: key -> (accepted JSON types, inclusive range or None)
_SPEC: dict[str, tuple[tuple[type, ...], tuple[float, float] | None]] = {
    "device_id": ((int,), (1, 2**32 - 1)),
    "t_us": ((int,), (0, 2**64 - 1)),
    "battery_pct": ((int, float), (0, 100)),
    "battery_mv": ((int,), (0, 20000)),
    "rssi_dbm": ((int,), (-150, 0)),
    "lead_off": ((bool,), None),
    "fw": ((str,), (1, 32)),
    "uptime_s": ((int,), (0, 2**32 - 1)),
    "fs_measured_millihz": ((int,), (1, 2**32 - 1)),
    "queue_depth": ((int,), (0, 2**32 - 1)),
    "dropped_samples": ((int,), (0, 2**32 - 1)),
    "alarm_level": ((int,), (0, 4)),
    "in_vf": ((bool,), None),
}


def _check_value(key: str, value: object) -> None:
    types, bounds = _SPEC[key]
    # bool is an int in Python: accept it only where bool is the declared type
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise BadStatus(f"status {key!r} must be {'/'.join(t.__name__ for t in types)}, "
                        f"got {type(value).__name__} {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadStatus(f"status {key!r} must be finite, got {value!r}")
    if bounds is not None:
        size = len(value) if isinstance(value, str) else value
        if not bounds[0] <= size <= bounds[1]:  # type: ignore[operator]
            what = "length" if isinstance(value, str) else "value"
            raise BadStatus(f"status {key!r} {what} must be in [{bounds[0]}, {bounds[1]}], got {size}")


def status_encode(status: Status) -> bytes:
    """Serialise ``status`` as compact JSON, leaving out unknown (None) fields."""
    body = {"v": STATUS_VERSION}
    for key, value in asdict(status).items():
        if value is not None:
            _check_value(key, value)
            body[key] = value
    data = json.dumps(body, separators=(",", ":")).encode()
    if len(data) > MAX_STATUS_BYTES:
        raise BadStatus(f"status is {len(data)} bytes, the maximum is {MAX_STATUS_BYTES}")
    return data


def status_decode(data: bytes) -> Status:
    """Parse one status message; raise `BadStatus` (a `FrameError`) for anything off-spec."""
    data = bytes(data)
    if len(data) > MAX_STATUS_BYTES:
        raise BadStatus(f"status is {len(data)} bytes, the maximum is {MAX_STATUS_BYTES}")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BadStatus(f"status is not UTF-8 JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadStatus(f"status must be a JSON object, got {type(body).__name__}")
    version = body.pop("v", None)
    if version != STATUS_VERSION or isinstance(version, bool):
        raise BadStatus(f"status version {version!r}, this code speaks {STATUS_VERSION}")
    known = {f.name for f in fields(Status)}
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadStatus(f"unknown status keys {unknown}; known: {sorted(known)}")
    if "device_id" not in body:
        raise BadStatus("status needs 'device_id'")
    for key, value in body.items():
        if value is not None:
            _check_value(key, value)
    return Status(**body)


def envelope_encode(token: str, payload: bytes) -> bytes:
    """Prefix ``payload`` with the device token (for MQTT, which has no per-message header)."""
    raw = token.encode("ascii")
    if not 1 <= len(raw) <= MAX_TOKEN_BYTES:
        raise BadStatus(f"token must be 1..{MAX_TOKEN_BYTES} ASCII bytes, got {len(raw)}")
    return bytes([len(raw)]) + raw + bytes(payload)


def envelope_decode(data: bytes) -> tuple[str, bytes]:
    """Split an envelope into ``(token, payload)``; raise `BadStatus` when it is malformed."""
    data = bytes(data)
    if not data:
        raise BadStatus("empty envelope")
    n = data[0]
    if not 1 <= n <= MAX_TOKEN_BYTES:
        raise BadStatus(f"envelope token length {n}, must be 1..{MAX_TOKEN_BYTES}")
    if len(data) < 1 + n:
        raise BadStatus(f"envelope declares a {n}-byte token, only {len(data) - 1} bytes follow")
    try:
        token = data[1: 1 + n].decode("ascii")
    except UnicodeDecodeError as exc:
        raise BadStatus("envelope token is not ASCII") from exc
    if not token.isprintable():
        raise BadStatus("envelope token holds control characters")
    return token, data[1 + n:]


def carries_token(payload: bytes) -> bool:
    """Whether ``payload`` is a frame or status wrapped with a device token (``token_length | token | ...``),
    as firmware built for token-in-payload MQTT sends it. Frames start with ``CW`` and status with ``{``,
    so a wrapped one cannot be mistaken for either."""
    if payload[:2] == MAGIC or payload.lstrip()[:1] == b"{":
        return False
    try:
        _token, inner = envelope_decode(payload)
    except BadStatus:
        return False
    return inner[:2] == MAGIC or inner.lstrip()[:1] == b"{"
