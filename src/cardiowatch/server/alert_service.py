"""The alert engine (`server/alerts.py`) wired to storage: every transition is stored with who and when,
and the engine's state is snapshotted so a restart keeps open alerts, snoozes and hysteresis timers."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any

from sqlalchemy.orm import Session

from cardiowatch.server.alert_types import RHYTHM_ALERT_KINDS
from cardiowatch.server.alerts import AlertAction, AlertConfig, AlertEngine, AlertTransition, Observation
from cardiowatch.server.evidence import AlertEvidence, EvidenceTracker, evidence_fields
from cardiowatch.server.storage import crud

logger = logging.getLogger(__name__)

SNAPSHOT_NAME = "alert_engine"
#: Evidence of this many recent alerts is kept in memory for the webhook bodies.
EVIDENCE_KEPT = 1000


class AlertService:
    """Feeds observations to one `AlertEngine` and stores what it decides.

    The engine refuses time going backwards; wall clocks sometimes do (NTP steps), so ``now`` is clamped
    to the latest time already given.
    """

    def __init__(self, engine: AlertEngine, *, snapshot_name: str = SNAPSHOT_NAME) -> None:
        self.engine = engine
        self.snapshot_name = snapshot_name
        self.last_now_ = engine.last_now_ or 0.0
        self.dirty_ = False  # transitions not yet in the stored snapshot
        # A condition under way (AF for 20 of its 30 s) is in no alert: a restored engine (a restart, or
        # another cluster worker taking the device) needs the snapshot to keep its delay running. Stored at
        # the next tick, not with every batch: the snapshot holds every device of the engine.
        self.conditions_changed_ = False
        #: Where raised and resolved alerts get their evidence (the analysis sets it); None: none recorded.
        self.evidence: EvidenceTracker | None = None
        self.recent_evidence_: OrderedDict[int, AlertEvidence] = OrderedDict()

    @classmethod
    def load(cls, *, session: Session, config: AlertConfig | None = None, snapshot_name: str = SNAPSHOT_NAME,
             first_alert_id: int = 1) -> AlertService:
        """Restore the engine from its last stored snapshot ``snapshot_name``, or start a fresh one whose
        alerts are numbered from ``first_alert_id``."""
        data = crud.get_engine_state(session=session, name=snapshot_name)
        if data is None:
            return cls(AlertEngine(config, first_alert_id=first_alert_id), snapshot_name=snapshot_name)
        engine = AlertEngine.restore(json.loads(data), config)
        logger.info("alert engine %s restored: %d open alerts", snapshot_name, len(engine.open_alerts()))
        return cls(engine, snapshot_name=snapshot_name)

    def _clock(self, now: float) -> float:
        self.last_now_ = max(self.last_now_, now)
        return self.last_now_

    def observe(self, *, session: Session, device_id: int, observations: list[Observation],
                now: float) -> list[AlertTransition]:
        now = self._clock(now)
        out: list[AlertTransition] = []
        for observation in observations:
            out += self.engine.observe(str(device_id), observation, now=now)
        self._store(session, out, now)
        return out

    def tick(self, *, session: Session, now: float) -> list[AlertTransition]:
        now = self._clock(now)
        out = self.engine.tick(now=now)
        self._store(session, out, now)
        self.dirty_ = self.dirty_ or self.conditions_changed_
        self.persist(session=session, now=now)
        return out

    def watch(self, *, session: Session, device_id: int, since: float, now: float) -> list[AlertTransition]:
        """`AlertEngine.watch`, stored and snapshotted (the next owner of the device restores what it raised)."""
        now = self._clock(now)
        out = self.engine.watch(str(device_id), since=since, now=now)
        self._store(session, out, now)
        self.persist(session=session, now=now)
        return out

    def acknowledge(self, *, session: Session, alert_id: int, user: str, now: float) -> AlertTransition:
        now = self._clock(now)
        transition = self.engine.acknowledge(alert_id, user=user, now=now)
        self._store(session, [transition], now)
        self.persist(session=session, now=now)
        return transition

    def snooze(self, *, session: Session, alert_id: int, user: str, until: float, now: float) -> AlertTransition:
        now = self._clock(now)
        transition = self.engine.snooze(alert_id, user=user, until=until, now=now)
        self._store(session, [transition], now)
        self.persist(session=session, now=now)
        return transition

    def level(self, device_id: int) -> int:
        return self.engine.level(str(device_id))

    def rhythm_changed(self, *, session: Session, device_id: int, rhythm: str | None, t_us: int) -> None:
        """Keep the end of open rhythm alerts' episodes up to date: a rhythm change ends the episode of
        every open alert of another rhythm kind at ``t_us``; a return to an alert's rhythm before it
        resolved opens its episode again."""
        for alert in self.engine.open_alerts(str(device_id)):
            if alert.kind not in RHYTHM_ALERT_KINDS.values():
                continue
            row = crud.get_alert(session=session, alert_id=alert.alert_id)
            if row is None:
                continue
            if RHYTHM_ALERT_KINDS.get(rhythm or "") is alert.kind:
                row.end_t_us = None
            elif row.end_t_us is None:
                crud.end_alert_evidence(session=session, row=row, end_t_us=t_us)
            self._remember(alert.alert_id, AlertEvidence.of(row))

    def webhook_body(self, transition: AlertTransition) -> dict[str, Any]:
        """The webhook's body of a transition: `AlertTransition.to_dict` plus the alert's evidence and the
        link to its strip."""
        body = transition.to_dict()
        alert_id = transition.alert.alert_id
        body["evidence"] = dict(evidence_fields(self.recent_evidence_.get(alert_id, AlertEvidence()), alert_id))
        return body

    def _store(self, session: Session, transitions: list[AlertTransition], now: float) -> None:
        for t in transitions:
            a = t.alert
            raised = None
            if self.evidence is not None and t.action is AlertAction.RAISED:
                raised = self.evidence.at_raise(a)
            row = crud.save_alert(session=session, device_id=int(a.device_id), alert_id=a.alert_id,
                                  kind=a.kind.value, severity=a.severity.name.lower(), state=a.state.value,
                                  level=a.level, detail=a.detail, raised_at=a.raised_at, updated_at=a.updated_at,
                                  resolved_at=a.resolved_at, action=t.action.value, by=t.by, at=t.at,
                                  snoozed_until=a.snoozed_until, evidence=raised)
            if self.evidence is not None and t.action is AlertAction.RESOLVED:
                crud.end_alert_evidence(session=session, row=row,
                                        end_t_us=self.evidence.at_end(a, row.onset_t_us))
            self._remember(a.alert_id, AlertEvidence.of(row))
        self.dirty_ = self.dirty_ or bool(transitions)
        self.conditions_changed_ = self.engine.take_condition_changes() or self.conditions_changed_

    def _remember(self, alert_id: int, evidence: AlertEvidence) -> None:
        self.recent_evidence_[alert_id] = evidence
        self.recent_evidence_.move_to_end(alert_id)
        while len(self.recent_evidence_) > EVIDENCE_KEPT:
            self.recent_evidence_.popitem(last=False)

    def keep(self, device_id: int) -> None:
        """Store the snapshot at the next `persist` even if no transition happened: the engine took in
        something about ``device_id`` that nothing stored could rebuild (a status report). The snapshot
        holds every device, so the id only matters to `DeviceAlerts`, which keeps one engine per device."""
        self.dirty_ = True

    def persist(self, *, session: Session, now: float) -> None:
        """Store the engine's snapshot if anything changed since the last one (once per batch, not per
        transition: the snapshot holds every device)."""
        if self.dirty_:
            crud.put_engine_state(session=session, name=self.snapshot_name,
                                  data=json.dumps(self.engine.snapshot()), now=now)
            self.dirty_ = self.conditions_changed_ = False
