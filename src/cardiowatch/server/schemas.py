"""Request and response bodies of the REST API (pydantic): XCreate / XPublic per resource."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.server.devices import DeviceLink


class _FromRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DeviceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")


class DevicePublic(_FromRow):
    id: int
    name: str
    created_at: float
    revoked_at: float | None
    sensor: str | None
    last_seq: int | None
    last_seen_at: float | None


class DeviceToken(BaseModel):
    """Returned once, when a device is registered or its token rotated: the token is not stored."""

    id: int
    name: str
    token: str


class StatusPublic(_FromRow):
    received_at: float
    t_us: int | None
    battery_pct: float | None
    battery_mv: int | None
    rssi_dbm: int | None
    lead_off: bool | None
    fw: str | None
    uptime_s: int | None
    fs_measured_millihz: int | None
    queue_depth: int | None
    dropped_samples: int | None
    alarm_level: int | None
    in_vf: bool | None


class DeviceState(BaseModel):
    device: DevicePublic
    link: DeviceLink
    status: StatusPublic | None
    alert_level: int
    stored_frames: int


class BeatPublic(_FromRow):
    t_us: int
    label: str


class EpisodePublic(_FromRow):
    rhythm: str
    start_t_us: int
    end_t_us: int | None


class SummaryPublic(_FromRow):
    t_us: int
    hr_bpm: float | None
    rhythm: str | None
    quality: str | None
    alert_level: int
    battery_pct: float | None
    sdnn_ms: float | None = None
    rmssd_ms: float | None = None
    pnn50_pct: float | None = None


class ChunkPublic(BaseModel):
    seq: int
    t_us: int
    fs: float
    sensor: str
    flags: int
    scale_nv: int
    samples: list[list[int]]


class AlertPublic(_FromRow):
    id: int
    device_id: int
    kind: str
    severity: str
    state: str
    level: int
    detail: str
    raised_at: float
    updated_at: float
    resolved_at: float | None


class AlertActionPublic(_FromRow):
    action: str
    by: str
    at: float
    snoozed_until: float | None


class AlertDetail(AlertPublic):
    actions: list[AlertActionPublic]


class AckRequest(BaseModel):
    user: str = Field(min_length=1, max_length=64)


class SnoozeRequest(BaseModel):
    user: str = Field(min_length=1, max_length=64)
    minutes: float = Field(gt=0, le=24 * 60)


class IngestRejectionPublic(BaseModel):
    index: int
    seq: int | None
    error: str
    detail: str


class IngestAnswerPublic(BaseModel):
    stored: list[int]
    duplicate: list[int]
    rejected: list[IngestRejectionPublic]


class ServerInfo(BaseModel):
    name: str = "cardiowatch"
    version: str
    notice: str = NOT_A_MEDICAL_DEVICE
    protocol_version: int
    max_frame_bytes: int
