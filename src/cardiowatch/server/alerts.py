"""Alert engine: turn per-device observations into alerts with hysteresis, de-duplication,
acknowledge, snooze and escalation. Pure logic: no database, no I/O, no clock reads (``now`` is
passed in, in seconds on one clock; the server uses Unix time).

Inputs are small typed observations (`RhythmObserved`, `EventObserved`, `QualityObserved`,
`StatusObserved`, `DataSeen`); outputs are `AlertTransition` records that the server stores,
pushes to the live feed and hands to the webhook notifier.

Mapping, observation -> alert kind -> severity (thresholds are `AlertConfig` fields)::

    rhythm code (WFDB aux_note)     alert kind              severity
    ASYS  (asystole)                asystole                critical
    VT                              ventricular_tachycardia critical
    VFL   (flutter/fibrillation)    ventricular_fibrillation critical
    HR < hr_extreme_low_bpm (30)    extreme_bradycardia     critical
    HR > hr_extreme_high_bpm (180)  extreme_tachycardia     critical
    AFIB, AFL                       atrial_fibrillation     warning
    SBR, or HR < hr_low_bpm (50)    bradycardia             warning
    SVTA, or HR > hr_high_bpm (120) tachycardia             warning
    B, T, or ectopy >= 10 /min      frequent_ectopy         warning
    PAUSE                           pause                   warning
    N, IVR, NOD, BII, P, PREX, Q    (none by code; rates still apply)

    event                           alert kind              severity
    EventKind.ASYSTOLE              asystole                critical
    EventKind.VT_RUN (VT_ONSET)     ventricular_tachycardia critical
    EventKind.VF_RUN                ventricular_fibrillation critical
    EventKind.PAUSE                 pause                   warning

    QualityObserved NOISY/UNUSABLE  poor_signal             technical
    QualityObserved LEAD_OFF,
    StatusObserved(lead_off=True)   lead_off                technical
    StatusObserved battery < 15 %   low_battery             technical
    nothing seen for no_data_s      no_data                 technical

While a lead is off (the ``lead_off`` condition is present, before its own alert is raised too), no
rhythm or event alert is raised: a flat or railing signal looks like asystole or an extreme rate. Their
events are dropped and their hysteresis restarts once the lead is back; alerts already open stay open.

An HR below 30 bpm raises both ``bradycardia`` and ``extreme_bradycardia`` (likewise for tachycardia):
the kinds are separate conditions, the critical one is on top.

A *condition* (device, kind) is present while any of its sources says so (the last rhythm, quality or
status observation) or while an event holds it (``event_hold_s`` after the last event). Hysteresis:
an alert is raised once the condition has been present without a break for the kind's
``raise_after_s`` and resolved once it has been absent for ``clear_after_s``. At most one open alert
exists per (device, kind); a condition that persists updates nothing. The delays per kind and the
escalation intervals per severity are `DEFAULT_TIMING` and `DEFAULT_ESCALATE_AFTER_S` (in
`cardiowatch.server.alert_types`), overridable through `AlertConfig`. ``no_data`` is watched only for
devices the engine has seen or been told to `watch` (with when data last came, e.g. as stored).

Alert states and the transitions between them (anything else raises `RuntimeError`)::

    (new) --raise--> ACTIVE --acknowledge--> ACKNOWLEDGED
    ACTIVE --snooze(until)--> SNOOZED --until passes--> ACTIVE (reactivated)
    SNOOZED --acknowledge--> ACKNOWLEDGED
    ACTIVE --no acknowledge for escalate_after_s--> ACTIVE, level + 1 (up to max_level)
    ACTIVE | ACKNOWLEDGED | SNOOZED --condition cleared--> RESOLVED (final)

Acknowledged alerts never escalate; snoozed alerts do not escalate until they are active again.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cardiowatch.server.alert_types import (
    DEFAULT_ESCALATE_AFTER_S, DEFAULT_TIMING, EVENT_ALERT_KINDS, RHYTHM_ALERT_KINDS, RHYTHM_CODES,
    RHYTHM_GOVERNED_KINDS, SYSTEM, Alert, AlertAction, AlertConfig, AlertKind, AlertState, AlertTransition,
    DataSeen, EventKind, EventObserved, KindTiming, Observation, QualityObserved, RhythmObserved, Severity,
    SignalQuality, StatusObserved, UnknownAlert, alert_level,
)

__all__ = [
    "DEFAULT_ESCALATE_AFTER_S", "DEFAULT_TIMING", "RHYTHM_CODES", "Alert", "AlertAction", "AlertConfig",
    "AlertEngine", "AlertKind", "AlertState", "AlertTransition", "DataSeen", "EventKind", "EventObserved",
    "KindTiming", "Observation", "QualityObserved", "RhythmObserved", "Severity", "SignalQuality",
    "StatusObserved", "UnknownAlert", "alert_level",
]

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------- engine state
@dataclass
class _Condition:
    sources: dict[str, bool] = field(default_factory=dict)
    event_until: float | None = None
    present_since: float | None = None
    absent_since: float | None = None
    held_by_sources: bool = False  # whether a source held it at the last refresh

    def present_at(self, now: float) -> bool:
        return any(self.sources.values()) or (self.event_until is not None and now <= self.event_until)

    def refresh(self, now: float) -> bool:
        """Bring ``present_since``/``absent_since`` up to ``now``; True when either changed.

        Sources change only in `AlertEngine.observe`, which refreshes at once; an event hold runs out
        between refreshes, so a condition held only by an event ended when its hold did.
        """
        before = (self.present_since, self.absent_since)
        if self.present_at(now):
            if self.present_since is None:
                self.present_since, self.absent_since = now, None
        elif self.present_since is not None or self.absent_since is None:
            ended = now
            if self.present_since is not None and not self.held_by_sources and self.event_until is not None:
                ended = max(self.present_since, min(now, self.event_until))
            self.present_since, self.absent_since = None, ended
        self.held_by_sources = any(self.sources.values())
        return (self.present_since, self.absent_since) != before

    def to_dict(self) -> dict[str, Any]:
        """`dataclasses.asdict` of the condition, without its generic deep copy: the engine snapshots every
        condition of every device once per ingest batch, where ``asdict`` was the largest cost."""
        out = {name: getattr(self, name) for name in _CONDITION_FIELDS}
        out["sources"] = dict(self.sources)
        return out


_CONDITION_FIELDS = tuple(f.name for f in dataclasses.fields(_Condition))


@dataclass
class _Device:
    last_seen: float
    conditions: dict[AlertKind, _Condition] = field(default_factory=dict)
    detail: dict[AlertKind, str] = field(default_factory=dict)

    def condition(self, kind: AlertKind) -> _Condition:
        return self.conditions.setdefault(kind, _Condition())


class AlertEngine:
    """Alerts of many devices from their observations; see the module docstring for the rules.

    Parameters
    ----------
    config : AlertConfig, optional
        Thresholds and timings; the defaults when omitted.

    Examples
    --------
    >>> engine = AlertEngine()
    >>> [t.action.value for t in engine.observe("dev1", EventObserved(EventKind.ASYSTOLE), now=100.0)]
    ['raised']
    >>> alert = engine.open_alerts("dev1")[0]
    >>> engine.acknowledge(alert.alert_id, user="nurse", now=105.0).alert.state.value
    'acknowledged'

    References
    ----------
    IEC 60601-1-8:2006, Medical electrical equipment - General requirements, tests and guidance for
    alarm systems (alarm priorities, latching, acknowledge and paused states).
    """

    def __init__(self, config: AlertConfig | None = None, *, first_alert_id: int = 1) -> None:
        self.config = config
        self.first_alert_id = first_alert_id
        self.reset()

    def reset(self) -> None:
        """Forget every device and alert."""
        self.config_ = self.config if self.config is not None else AlertConfig()
        self.devices_: dict[str, _Device] = {}
        self.alerts_: OrderedDict[int, Alert] = OrderedDict()  # open alerts, then the last closed ones
        self.open_: dict[tuple[str, AlertKind], int] = {}
        self.closed_: deque[int] = deque()  # ids of the closed alerts kept, oldest first
        self.next_id_ = self.first_alert_id
        self.last_now_: float | None = None
        self.conditions_changed_ = False  # a condition began or ended since `take_condition_changes`

    # ------------------------------------------------------------------------------------ public API
    def observe(self, device_id: str, observation: Observation, *, now: float) -> list[AlertTransition]:
        """Take one observation of ``device_id`` at ``now``; return the transitions it caused."""
        if not isinstance(observation, Observation):
            raise TypeError(f"expected an Observation, got {type(observation).__name__}")
        self._advance(now)
        device = self.devices_.get(device_id)
        if device is None:
            device = self.devices_[device_id] = _Device(last_seen=now)
        device.last_seen = now
        device.condition(AlertKind.NO_DATA).sources["data"] = False
        cfg = self.config_
        if isinstance(observation, RhythmObserved):
            present, detail = self._rhythm_kinds(observation)
            for kind in RHYTHM_GOVERNED_KINDS:
                device.condition(kind).sources["rhythm"] = kind in present
                if kind in present:
                    device.detail[kind] = detail
        elif isinstance(observation, EventObserved):
            kind = EVENT_ALERT_KINDS[observation.kind]
            device.condition(kind).event_until = now + cfg.event_hold_s
            device.detail[kind] = f"event {observation.kind.value}"
        elif isinstance(observation, QualityObserved):
            device.condition(AlertKind.POOR_SIGNAL).sources["quality"] = observation.flag in (
                SignalQuality.NOISY, SignalQuality.UNUSABLE)
            device.condition(AlertKind.LEAD_OFF).sources["quality"] = observation.flag is SignalQuality.LEAD_OFF
            device.detail[AlertKind.POOR_SIGNAL] = f"signal {observation.flag.value}"
            device.detail[AlertKind.LEAD_OFF] = "lead off (signal)"
        elif isinstance(observation, StatusObserved):
            if observation.lead_off is not None:
                device.condition(AlertKind.LEAD_OFF).sources["status"] = observation.lead_off
                device.detail[AlertKind.LEAD_OFF] = "lead off (device)"
            if observation.battery_pct is not None:
                device.condition(AlertKind.LOW_BATTERY).sources["status"] = (
                    observation.battery_pct < cfg.low_battery_pct)
                device.detail[AlertKind.LOW_BATTERY] = f"battery {observation.battery_pct:.0f} %"
        return self._evaluate(device_id, device, now)

    def tick(self, *, now: float) -> list[AlertTransition]:
        """Advance time to ``now`` for every device: no-data detection, holds running out, hysteresis,
        snooze expiry and escalation. Call it every second or so."""
        self._advance(now)
        out: list[AlertTransition] = []
        for device_id, device in self.devices_.items():
            out += self._evaluate(device_id, device, now)
        return out

    def watch(self, device_id: str, *, since: float, now: float) -> list[AlertTransition]:
        """Watch ``device_id`` for no data, its data last seen at ``since`` unless the engine saw some later;
        return the transitions (``no_data`` when it has been silent for ``no_data_s``)."""
        self._advance(now)
        device = self.devices_.get(device_id)
        if device is None:
            device = self.devices_[device_id] = _Device(last_seen=since)
        device.last_seen = max(device.last_seen, since)
        return self._evaluate(device_id, device, now)

    def acknowledge(self, alert_id: int, *, user: str, now: float) -> AlertTransition:
        """Acknowledge an active or snoozed alert: it stays open until its condition clears, never escalates."""
        self._advance(now)
        return self._apply(self._get(alert_id).acknowledged(user=user, now=now), AlertAction.ACKNOWLEDGED,
                           now=now, by=user)

    def snooze(self, alert_id: int, *, user: str, until: float, now: float) -> AlertTransition:
        """Silence an active alert until ``until``; it becomes active again then if still open."""
        self._advance(now)
        return self._apply(self._get(alert_id).snoozed(user=user, until=until, now=now), AlertAction.SNOOZED,
                           now=now, by=user)

    def take_condition_changes(self) -> bool:
        """Whether a condition began or ended since the last call (its hysteresis runs from then, and only a
        snapshot keeps that: a restored engine would otherwise start every delay again)."""
        changed, self.conditions_changed_ = self.conditions_changed_, False
        return changed

    def get(self, alert_id: int) -> Alert:
        """The alert with this id (open, or among the last ``max_closed_kept`` closed ones)."""
        return self._get(alert_id)

    def open_alerts(self, device_id: str | None = None) -> list[Alert]:
        """Open alerts, of one device or of all, most urgent first, then oldest first."""
        if device_id is None:
            ids = list(self.open_.values())
        else:
            device = self.devices_.get(device_id)
            kinds = () if device is None else device.conditions
            ids = [i for i in (self.open_.get((device_id, kind)) for kind in kinds) if i is not None]
        alerts = [self.alerts_[i] for i in ids]
        return sorted(alerts, key=lambda a: (-a.severity, a.raised_at, a.alert_id))

    def level(self, device_id: str) -> int:
        """The device's alert level, 0-3 (see `alert_level`)."""
        return alert_level(self.open_alerts(device_id))

    # ------------------------------------------------------------------------------ snapshot/restore
    def snapshot(self) -> dict[str, Any]:
        """The engine's whole state as a JSON-safe dict (the config is not included)."""
        return {
            "version": 1,
            "next_id": self.next_id_,
            "last_now": self.last_now_,
            "alerts": [a.to_dict() for a in self.alerts_.values()],
            "devices": {
                device_id: {
                    "last_seen": d.last_seen,
                    "detail": {k.value: v for k, v in d.detail.items()},
                    "conditions": {k.value: c.to_dict() for k, c in d.conditions.items()},
                } for device_id, d in self.devices_.items()},
        }

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any], config: AlertConfig | None = None) -> AlertEngine:
        """An engine in the state `snapshot` captured."""
        if snapshot.get("version") != 1:
            raise ValueError(f"alert engine snapshot version {snapshot.get('version')!r}, expected 1")
        engine = cls(config)
        engine.next_id_ = int(snapshot["next_id"])
        engine.last_now_ = snapshot["last_now"]
        for data in snapshot["alerts"]:
            alert = Alert.from_dict(data)
            engine.alerts_[alert.alert_id] = alert
            if alert.is_open:
                engine.open_[(alert.device_id, alert.kind)] = alert.alert_id
            else:
                engine.closed_.append(alert.alert_id)
        for device_id, data in snapshot["devices"].items():
            engine.devices_[device_id] = _Device(
                last_seen=data["last_seen"],
                detail={AlertKind(k): v for k, v in data["detail"].items()},
                conditions={AlertKind(k): _Condition(**c) for k, c in data["conditions"].items()})
        return engine

    # ------------------------------------------------------------------------------------- internals
    def _advance(self, now: float) -> None:
        if not math.isfinite(now):
            raise ValueError(f"now must be a finite time in seconds, got {now!r}")
        if self.last_now_ is not None and now < self.last_now_:
            raise ValueError(f"time went backwards: now {now} is before the last time seen {self.last_now_}")
        self.last_now_ = now

    def _get(self, alert_id: int) -> Alert:
        try:
            return self.alerts_[alert_id]
        except KeyError:
            raise UnknownAlert(f"no alert with id {alert_id!r}") from None

    def _rhythm_kinds(self, obs: RhythmObserved) -> tuple[set[AlertKind], str]:
        cfg = self.config_
        present = {RHYTHM_ALERT_KINDS[obs.rhythm]} if obs.rhythm in RHYTHM_ALERT_KINDS else set()
        hr = obs.hr_bpm
        if hr is not None:
            present |= {kind for kind, on in (
                (AlertKind.EXTREME_BRADYCARDIA, hr < cfg.hr_extreme_low_bpm),
                (AlertKind.BRADYCARDIA, hr < cfg.hr_low_bpm),
                (AlertKind.TACHYCARDIA, hr > cfg.hr_high_bpm),
                (AlertKind.EXTREME_TACHYCARDIA, hr > cfg.hr_extreme_high_bpm)) if on}
        if obs.ectopic_per_min is not None and obs.ectopic_per_min >= cfg.ectopy_per_min:
            present.add(AlertKind.FREQUENT_ECTOPY)
        detail = f"rhythm {obs.rhythm}" + ("" if hr is None else f", HR {hr:.0f} bpm")
        return present, detail

    def _evaluate(self, device_id: str, device: _Device, now: float) -> list[AlertTransition]:
        cfg = self.config_
        out: list[AlertTransition] = []
        no_data = device.condition(AlertKind.NO_DATA)
        if now - device.last_seen >= cfg.no_data_s:
            no_data.sources["data"] = True
            device.detail[AlertKind.NO_DATA] = f"no data since {device.last_seen:.0f}"
        lead = device.conditions.get(AlertKind.LEAD_OFF)
        lead_off = lead is not None and lead.present_at(now)
        for kind, cond in device.conditions.items():
            alert_id = self.open_.get((device_id, kind))
            if lead_off and alert_id is None and kind in RHYTHM_GOVERNED_KINDS:
                # Analysis of a lead-off signal is no evidence: drop its events, restart the hysteresis.
                cond.event_until = None
                self.conditions_changed_ |= cond.refresh(now)
                if cond.present_since is not None:
                    cond.present_since = now
                continue
            self.conditions_changed_ |= cond.refresh(now)
            timing = cfg.timing[kind]
            if alert_id is None:
                if cond.present_since is not None and now - cond.present_since >= timing.raise_after_s:
                    out.append(self._raise(device_id, kind, cond.present_since, device.detail.get(kind, ""), now))
            elif cond.absent_since is not None and now - cond.absent_since >= timing.clear_after_s:
                out.append(self._apply(self.alerts_[alert_id].resolved(now=now), AlertAction.RESOLVED, now=now))
        for alert in self.open_alerts(device_id):
            out += self._timers(alert, now)
        return out

    def _timers(self, alert: Alert, now: float) -> list[AlertTransition]:
        out = []
        if alert.state is AlertState.SNOOZED and alert.snoozed_until is not None and now >= alert.snoozed_until:
            out.append(self._apply(alert.reactivated(now=now), AlertAction.REACTIVATED, now=now))
            alert = out[-1].alert
        every = self.config_.escalate_after_s[alert.severity]
        while (alert.state is AlertState.ACTIVE and alert.level < self.config_.max_level
               and now - alert.escalation_due_from >= every):
            out.append(self._apply(alert.escalated(now=now), AlertAction.ESCALATED, now=now))
            alert = out[-1].alert
        return out

    def _raise(self, device_id: str, kind: AlertKind, since: float, detail: str, now: float) -> AlertTransition:
        alert = Alert(alert_id=self.next_id_, device_id=device_id, kind=kind, state=AlertState.ACTIVE,
                      raised_at=now, condition_since=since, detail=detail, escalation_due_from=now, updated_at=now)
        self.next_id_ += 1
        self.open_[(device_id, kind)] = alert.alert_id
        logger.info("alert %d raised: %s %s (%s) %s", alert.alert_id, device_id, kind.value,
                    kind.severity.name.lower(), detail)
        return self._apply(alert, AlertAction.RAISED, now=now)

    def _apply(self, alert: Alert, action: AlertAction, *, now: float, by: str = SYSTEM) -> AlertTransition:
        before = self.alerts_.get(alert.alert_id)
        self.alerts_[alert.alert_id] = alert
        if not alert.is_open:
            self.open_.pop((alert.device_id, alert.kind), None)
            self.alerts_.move_to_end(alert.alert_id)
            self._keep_closed(alert.alert_id)
        if action is not AlertAction.RAISED:
            logger.info("alert %d %s by %s", alert.alert_id, action.value, by)
        return AlertTransition(action=action, alert=alert, at=now, by=by,
                               previous_state=None if before is None else before.state)

    def _keep_closed(self, alert_id: int) -> None:
        self.closed_.append(alert_id)
        while len(self.closed_) > self.config_.max_closed_kept:
            del self.alerts_[self.closed_.popleft()]
