"""Types of the alert engine (`cardiowatch.server.alerts`): kinds, severities, states, the typed
observations it takes, its config, and the immutable `Alert` and `AlertTransition` it returns.

The mapping observation -> alert kind -> severity is documented in `cardiowatch.server.alerts`.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cardiowatch.errors import CardiowatchError

SYSTEM = "system"  # the actor recorded for automatic transitions

#: Rhythm codes accepted by `RhythmObserved`: the WFDB aux_note vocabulary without the "(",
#: plus PAUSE and ASYS (asystole) and Q (unknown / not analysable).
RHYTHM_CODES = ("N", "AFIB", "AFL", "SBR", "SVTA", "VT", "VFL", "B", "T", "IVR", "NOD", "BII", "P",
                "PREX", "PAUSE", "ASYS", "Q")


class Severity(enum.IntEnum):
    """How urgent an alert is; larger is more urgent (0 is "no alert", see `alert_level`)."""

    TECHNICAL = 1
    WARNING = 2
    CRITICAL = 3


class AlertKind(str, enum.Enum):
    """What an alert is about; one open alert per device and kind."""

    ASYSTOLE = "asystole"
    VENTRICULAR_TACHYCARDIA = "ventricular_tachycardia"
    VENTRICULAR_FIBRILLATION = "ventricular_fibrillation"
    EXTREME_BRADYCARDIA = "extreme_bradycardia"
    EXTREME_TACHYCARDIA = "extreme_tachycardia"
    ATRIAL_FIBRILLATION = "atrial_fibrillation"
    BRADYCARDIA = "bradycardia"
    TACHYCARDIA = "tachycardia"
    FREQUENT_ECTOPY = "frequent_ectopy"
    PAUSE = "pause"
    LEAD_OFF = "lead_off"
    POOR_SIGNAL = "poor_signal"
    NO_DATA = "no_data"
    LOW_BATTERY = "low_battery"

    @property
    def severity(self) -> Severity:
        return ALERT_SEVERITY[self]


ALERT_SEVERITY: Mapping[AlertKind, Severity] = MappingProxyType({
    **dict.fromkeys([AlertKind.ASYSTOLE, AlertKind.VENTRICULAR_TACHYCARDIA, AlertKind.VENTRICULAR_FIBRILLATION,
                     AlertKind.EXTREME_BRADYCARDIA, AlertKind.EXTREME_TACHYCARDIA], Severity.CRITICAL),
    **dict.fromkeys([AlertKind.ATRIAL_FIBRILLATION, AlertKind.BRADYCARDIA, AlertKind.TACHYCARDIA,
                     AlertKind.FREQUENT_ECTOPY, AlertKind.PAUSE], Severity.WARNING),
    **dict.fromkeys([AlertKind.LEAD_OFF, AlertKind.POOR_SIGNAL, AlertKind.NO_DATA, AlertKind.LOW_BATTERY],
                    Severity.TECHNICAL),
})

RHYTHM_ALERT_KINDS: Mapping[str, AlertKind] = MappingProxyType({
    "ASYS": AlertKind.ASYSTOLE, "VT": AlertKind.VENTRICULAR_TACHYCARDIA,
    "VFL": AlertKind.VENTRICULAR_FIBRILLATION, "AFIB": AlertKind.ATRIAL_FIBRILLATION,
    "AFL": AlertKind.ATRIAL_FIBRILLATION, "SBR": AlertKind.BRADYCARDIA, "SVTA": AlertKind.TACHYCARDIA,
    "B": AlertKind.FREQUENT_ECTOPY, "T": AlertKind.FREQUENT_ECTOPY, "PAUSE": AlertKind.PAUSE,
})
# The kinds a rhythm observation speaks for: each one sets them all present or absent.
# (a tuple in AlertKind's order, so that transitions come out in the same order in every process)
RHYTHM_GOVERNED_KINDS = tuple(kind for kind in AlertKind if kind in {
    *RHYTHM_ALERT_KINDS.values(), AlertKind.EXTREME_BRADYCARDIA, AlertKind.EXTREME_TACHYCARDIA,
    AlertKind.BRADYCARDIA, AlertKind.TACHYCARDIA})


class EventKind(str, enum.Enum):
    """Momentary findings of the rhythm analysis; each holds its condition for ``event_hold_s``."""

    PAUSE = "pause"
    ASYSTOLE = "asystole"
    VT_RUN = "vt_run"
    VF_RUN = "vf_run"


EVENT_ALERT_KINDS: Mapping[EventKind, AlertKind] = MappingProxyType({
    EventKind.PAUSE: AlertKind.PAUSE, EventKind.ASYSTOLE: AlertKind.ASYSTOLE,
    EventKind.VT_RUN: AlertKind.VENTRICULAR_TACHYCARDIA, EventKind.VF_RUN: AlertKind.VENTRICULAR_FIBRILLATION,
})


class SignalQuality(str, enum.Enum):
    """Signal quality flag of the latest analysis window."""

    GOOD = "good"
    NOISY = "noisy"
    UNUSABLE = "unusable"
    LEAD_OFF = "lead_off"


class AlertState(str, enum.Enum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class AlertAction(str, enum.Enum):
    """What happened to an alert in one `AlertTransition`."""

    RAISED = "raised"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    REACTIVATED = "reactivated"
    RESOLVED = "resolved"


class UnknownAlert(CardiowatchError, KeyError):
    """No alert with this id is known to the engine (never raised, or resolved long ago)."""


# --------------------------------------------------------------------------------------- observations
@dataclass(frozen=True)
class RhythmObserved:
    """The current rhythm of a device, as the rhythm analysis reports it every few seconds.

    ``rhythm`` is one of `RHYTHM_CODES`; ``hr_bpm`` the current heart rate (None if unknown);
    ``ectopic_per_min`` the rate of ectopic (S or V) beats over the last minute, if known.
    """

    rhythm: str
    hr_bpm: float | None = None
    ectopic_per_min: float | None = None

    def __post_init__(self) -> None:
        if self.rhythm not in RHYTHM_CODES:
            raise ValueError(f"unknown rhythm code {self.rhythm!r}, expected one of {', '.join(RHYTHM_CODES)}")
        for name in ("hr_bpm", "ectopic_per_min"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0 or None, got {value!r}")


@dataclass(frozen=True)
class EventObserved:
    """A momentary finding (a pause, a run of ventricular beats, asystole)."""

    kind: EventKind

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind))


@dataclass(frozen=True)
class QualityObserved:
    """The signal quality flag of the latest analysis window."""

    flag: SignalQuality

    def __post_init__(self) -> None:
        object.__setattr__(self, "flag", SignalQuality(self.flag))


@dataclass(frozen=True)
class StatusObserved:
    """A device status message; None means "not reported", which changes nothing."""

    battery_pct: float | None = None
    lead_off: bool | None = None

    def __post_init__(self) -> None:
        if self.battery_pct is not None and not (math.isfinite(self.battery_pct) and 0 <= self.battery_pct <= 100):
            raise ValueError(f"battery_pct must be within 0-100 or None, got {self.battery_pct!r}")


@dataclass(frozen=True)
class DataSeen:
    """Data arrived from the device (any frame); resets the no-data timer."""


Observation = RhythmObserved | EventObserved | QualityObserved | StatusObserved | DataSeen


# --------------------------------------------------------------------------------------------- config
@dataclass(frozen=True)
class KindTiming:
    """Hysteresis of one alert kind: raise after present ``raise_after_s``, clear after absent ``clear_after_s``."""

    raise_after_s: float
    clear_after_s: float


DEFAULT_TIMING: Mapping[AlertKind, KindTiming] = MappingProxyType({
    AlertKind.ASYSTOLE: KindTiming(0.0, 10.0),
    AlertKind.VENTRICULAR_TACHYCARDIA: KindTiming(0.0, 10.0),
    AlertKind.VENTRICULAR_FIBRILLATION: KindTiming(0.0, 10.0),
    AlertKind.EXTREME_BRADYCARDIA: KindTiming(10.0, 10.0),
    AlertKind.EXTREME_TACHYCARDIA: KindTiming(10.0, 10.0),
    AlertKind.ATRIAL_FIBRILLATION: KindTiming(30.0, 60.0),
    AlertKind.BRADYCARDIA: KindTiming(60.0, 30.0),
    AlertKind.TACHYCARDIA: KindTiming(60.0, 30.0),
    AlertKind.FREQUENT_ECTOPY: KindTiming(60.0, 60.0),
    AlertKind.PAUSE: KindTiming(0.0, 30.0),
    AlertKind.LEAD_OFF: KindTiming(5.0, 5.0),
    AlertKind.POOR_SIGNAL: KindTiming(30.0, 10.0),
    AlertKind.NO_DATA: KindTiming(0.0, 0.0),
    AlertKind.LOW_BATTERY: KindTiming(60.0, 60.0),
})

DEFAULT_ESCALATE_AFTER_S: Mapping[Severity, float] = MappingProxyType({
    Severity.CRITICAL: 60.0, Severity.WARNING: 300.0, Severity.TECHNICAL: 900.0})


@dataclass(frozen=True)
class AlertConfig:
    """Thresholds and timings of the alert engine (defaults are common bedside-monitor settings)."""

    hr_extreme_low_bpm: float = 30.0
    hr_extreme_high_bpm: float = 180.0
    hr_low_bpm: float = 50.0
    hr_high_bpm: float = 120.0
    ectopy_per_min: float = 10.0
    low_battery_pct: float = 15.0
    no_data_s: float = 30.0
    event_hold_s: float = 10.0
    timing: Mapping[AlertKind, KindTiming] = field(default_factory=lambda: DEFAULT_TIMING)
    escalate_after_s: Mapping[Severity, float] = field(default_factory=lambda: DEFAULT_ESCALATE_AFTER_S)
    max_level: int = 3
    max_closed_kept: int = 256

    def __post_init__(self) -> None:
        missing = [k.value for k in AlertKind if k not in self.timing]
        if missing:
            raise ValueError(f"timing lacks alert kinds: {', '.join(missing)}")
        missing = [s.name for s in Severity if s not in self.escalate_after_s]
        if missing:
            raise ValueError(f"escalate_after_s lacks severities: {', '.join(missing)}")
        if not self.hr_extreme_low_bpm < self.hr_low_bpm < self.hr_high_bpm < self.hr_extreme_high_bpm:
            raise ValueError("expected hr_extreme_low_bpm < hr_low_bpm < hr_high_bpm < hr_extreme_high_bpm")


# --------------------------------------------------------------------------------------------- alerts
@dataclass(frozen=True)
class Alert:
    """One alert, immutable; each transition returns a new `Alert` with the same ``alert_id``."""

    alert_id: int
    device_id: str
    kind: AlertKind
    state: AlertState
    raised_at: float
    condition_since: float
    detail: str = ""
    level: int = 0
    escalation_due_from: float = 0.0  # the clock escalation counts from (raise, last escalation, reactivation)
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None
    snoozed_by: str | None = None
    snoozed_until: float | None = None
    resolved_at: float | None = None
    updated_at: float = 0.0

    @property
    def severity(self) -> Severity:
        return self.kind.severity

    @property
    def is_open(self) -> bool:
        return self.state is not AlertState.RESOLVED

    def _require(self, action: str, *allowed: AlertState) -> None:
        if self.state not in allowed:
            expected = " or ".join(s.name for s in allowed)
            raise RuntimeError(f"cannot {action} alert {self.alert_id} ({self.device_id} {self.kind.value}): "
                               f"expected state {expected}, got {self.state.name}")

    def acknowledged(self, *, user: str, now: float) -> Alert:
        self._require("acknowledge", AlertState.ACTIVE, AlertState.SNOOZED)
        return dataclasses.replace(self, state=AlertState.ACKNOWLEDGED, acknowledged_by=user,
                                   acknowledged_at=now, snoozed_until=None, updated_at=now)

    def snoozed(self, *, user: str, until: float, now: float) -> Alert:
        self._require("snooze", AlertState.ACTIVE)
        if not until > now:
            raise ValueError(f"snooze until {until} must be later than now {now}")
        return dataclasses.replace(self, state=AlertState.SNOOZED, snoozed_by=user, snoozed_until=until,
                                   updated_at=now)

    def reactivated(self, *, now: float) -> Alert:
        self._require("reactivate", AlertState.SNOOZED)
        return dataclasses.replace(self, state=AlertState.ACTIVE, snoozed_until=None, escalation_due_from=now,
                                   updated_at=now)

    def escalated(self, *, now: float) -> Alert:
        self._require("escalate", AlertState.ACTIVE)
        return dataclasses.replace(self, level=self.level + 1, escalation_due_from=now, updated_at=now)

    def resolved(self, *, now: float) -> Alert:
        self._require("resolve", AlertState.ACTIVE, AlertState.ACKNOWLEDGED, AlertState.SNOOZED)
        return dataclasses.replace(self, state=AlertState.RESOLVED, resolved_at=now, updated_at=now)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (enums as their values, plus ``severity``)."""
        out = dataclasses.asdict(self)
        out["kind"] = self.kind.value
        out["state"] = self.state.value
        out["severity"] = self.severity.name.lower()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["kind"] = AlertKind(values["kind"])
        values["state"] = AlertState(values["state"])
        return cls(**values)


@dataclass(frozen=True)
class AlertTransition:
    """One change of one alert: what happened, when, by whom, and the alert after the change."""

    action: AlertAction
    alert: Alert
    at: float
    by: str
    previous_state: AlertState | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict, the body the webhook notifier posts."""
        return {"event": f"alert.{self.action.value}", "action": self.action.value, "at": self.at, "by": self.by,
                "previous_state": None if self.previous_state is None else self.previous_state.value,
                "alert": self.alert.to_dict()}


def alert_level(alerts: list[Alert] | tuple[Alert, ...]) -> int:
    """The device's alert level: 0 when no alert is open, else the highest open `Severity` (1-3)."""
    return max((int(a.severity) for a in alerts if a.is_open), default=0)
