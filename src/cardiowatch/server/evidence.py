"""The evidence an alert carries: when its finding began (and ended), the rhythm, heart rate and signal
quality when it was raised. The strip around the onset is read back from the stored signal
(`cardiowatch.server.export`), so only times are kept here.

`EvidenceTracker` follows what each device's analysis produced (rhythm changes, events, the end of the
analysed data); the alert service asks it when an alert is raised (`at_raise`) and when it resolves
(`at_end`). Times are data times, Unix µs, like every stored ``*_t_us``.

Onset, by what raised the alert:

    the device's current rhythm maps to the alert kind    the start of that rhythm (its rhythm change)
    an event of the kind (pause, asystole, VT/VF run)     the latest such event
    anything else (rates, quality, lead off, battery)     the end of the analysed data, less the time
                                                          the condition waited before the alert was raised

End: for a rhythm alert, set as soon as the rhythm changes to another (and cleared if it comes back
before the alert resolves: `AlertService.rhythm_changed`); when an alert resolves, the latest end of a
rhythm of its kind or the latest event of its kind after the onset, else the end of the analysed data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cardiowatch.server.alerts import Alert, AlertKind, EventKind
from cardiowatch.server.alert_types import EVENT_ALERT_KINDS, RHYTHM_ALERT_KINDS

#: The strip around an alert's onset: seconds before and after (the REST default).
STRIP_BEFORE_S = 10.0
STRIP_AFTER_S = 10.0


def strip_url(alert_id: int) -> str:
    """Where an alert's strip is served (relative to the server's root)."""
    return f"/api/v1/alerts/{alert_id}/strip"


@dataclass(frozen=True)
class AlertEvidence:
    """What an alert is based on (`AlertRow` holds the same fields)."""

    onset_t_us: int | None = None
    end_t_us: int | None = None
    rhythm: str | None = None
    hr_bpm: float | None = None
    quality: str | None = None

    @property
    def duration_s(self) -> float | None:
        """From onset to end, once both are known."""
        if self.onset_t_us is None or self.end_t_us is None:
            return None
        return (self.end_t_us - self.onset_t_us) / 1e6

    @classmethod
    def of(cls, row: Any) -> AlertEvidence:
        """The evidence stored on an `AlertRow`."""
        return cls(onset_t_us=row.onset_t_us, end_t_us=row.end_t_us, rhythm=row.rhythm, hr_bpm=row.hr_bpm,
                   quality=row.quality)

    def to_dict(self) -> dict[str, Any]:
        return {"onset_t_us": self.onset_t_us, "end_t_us": self.end_t_us, "duration_s": self.duration_s,
                "rhythm": self.rhythm, "hr_bpm": self.hr_bpm, "quality": self.quality}


@dataclass
class _Seen:
    rhythm: str | None = None
    rhythm_since_us: int | None = None
    rhythm_ended_us: dict[str, int] = field(default_factory=dict)  #: rhythm code -> when it last ended
    event_us: dict[AlertKind, int] = field(default_factory=dict)  #: alert kind -> its latest event
    data_until_us: int | None = None
    hr_bpm: float | None = None
    quality: str | None = None


class EvidenceTracker:
    """What each device's analysis showed lately, in data time; see the module docstring."""

    def __init__(self) -> None:
        self.devices_: dict[int, _Seen] = {}

    def data_until(self, device_id: int, t_us: int) -> None:
        """The device's analysed data now reaches ``t_us``."""
        seen = self.devices_.setdefault(device_id, _Seen())
        seen.data_until_us = t_us if seen.data_until_us is None else max(seen.data_until_us, t_us)

    def rhythm(self, device_id: int, rhythm: str | None, t_us: int) -> None:
        """The rhythm changes to ``rhythm`` at ``t_us`` (None: unknown from there, a gap)."""
        seen = self.devices_.setdefault(device_id, _Seen())
        if seen.rhythm is not None:
            seen.rhythm_ended_us[seen.rhythm] = t_us
        seen.rhythm, seen.rhythm_since_us = rhythm, t_us

    def event(self, device_id: int, kind: EventKind, t_us: int) -> None:
        self.devices_.setdefault(device_id, _Seen()).event_us[EVENT_ALERT_KINDS[kind]] = t_us

    def vitals(self, device_id: int, *, hr_bpm: float | None, quality: str | None) -> None:
        seen = self.devices_.setdefault(device_id, _Seen())
        seen.hr_bpm, seen.quality = hr_bpm, quality

    def at_raise(self, alert: Alert) -> AlertEvidence:
        seen = self.devices_.get(_device_key(alert))
        if seen is None:
            return AlertEvidence()
        if seen.rhythm is not None and RHYTHM_ALERT_KINDS.get(seen.rhythm) is alert.kind:
            onset = seen.rhythm_since_us
        elif alert.kind in seen.event_us:
            onset = seen.event_us[alert.kind]
        elif seen.data_until_us is not None:
            waited_us = round(max(0.0, alert.raised_at - alert.condition_since) * 1e6)
            onset = seen.data_until_us - waited_us
        else:
            onset = None
        return AlertEvidence(onset_t_us=onset, rhythm=seen.rhythm, hr_bpm=seen.hr_bpm, quality=seen.quality)

    def at_end(self, alert: Alert, onset_t_us: int | None) -> int | None:
        seen = self.devices_.get(_device_key(alert))
        if seen is None:
            return None
        ends = [t for code, t in seen.rhythm_ended_us.items() if RHYTHM_ALERT_KINDS.get(code) is alert.kind]
        if alert.kind in seen.event_us:
            ends.append(seen.event_us[alert.kind])
        ends = [t for t in ends if onset_t_us is None or t >= onset_t_us]
        return max(ends) if ends else seen.data_until_us


def _device_key(alert: Alert) -> int:
    return int(alert.device_id)


def evidence_fields(evidence: AlertEvidence, alert_id: int) -> Mapping[str, Any]:
    """The evidence and the strip's link, as the alert JSON and the webhook body carry them."""
    return {**evidence.to_dict(), "strip_url": strip_url(alert_id)}
