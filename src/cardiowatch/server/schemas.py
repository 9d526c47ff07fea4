"""Request and response bodies of the REST API (pydantic): XCreate / XPublic per resource."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, computed_field

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.server.devices import DeviceLink
from cardiowatch.server.evidence import AlertEvidence, strip_url


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
    id: int  #: what ``/export?episode_id=`` takes
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
    # the evidence (`server/evidence.py`): data times in Unix µs; None where not recorded
    onset_t_us: int | None = None
    end_t_us: int | None = None
    rhythm: str | None = None
    hr_bpm: float | None = None
    quality: str | None = None

    @computed_field
    @property
    def duration_s(self) -> float | None:
        """From onset to end; None while the alert's finding goes on."""
        return AlertEvidence(onset_t_us=self.onset_t_us, end_t_us=self.end_t_us).duration_s

    @computed_field
    @property
    def strip_url(self) -> str:
        """The strip around the onset: samples, beats and annotations."""
        return strip_url(self.id)


class StripAnnotation(BaseModel):
    t_us: int
    kind: str  #: ``rhythm`` (text: the rhythm code), ``alert``, ``gap`` or ``lead_off``
    text: str
    end_t_us: int | None = None


class StripPublic(BaseModel):
    """An alert's strip: the stored signal from ``start_t_us`` at ``fs`` (None where nothing is stored), the
    beats and annotations inside, and the alert with its evidence."""

    alert: AlertPublic
    start_t_us: int
    end_t_us: int
    fs: float | None
    sensor: str | None
    units: str | None  #: ``mV``, or ``adu`` for a device without a known scale
    counts_per_unit: float | None  #: the ADC gain
    channels: list[str]
    samples: list[list[int | None]]  #: one list per channel, counts
    beats: list[BeatPublic]
    annotations: list[StripAnnotation]


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
