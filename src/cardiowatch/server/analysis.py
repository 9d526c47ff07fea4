"""Analysis after the acknowledgement: stored frames go through each device's pipeline, the results are
stored (beats, episodes, summaries), told to the alert engine, and turned into live messages.

Nothing here can undo a store: `cardiowatch.server.ingest` calls it after the commit that acknowledges
the frames, and a failing pipeline only resets that device's stream.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from collections.abc import Mapping

from sqlalchemy.orm import Session

from cardiowatch.protocol import Frame, SensorKind, Status
from cardiowatch.server.alert_service import AlertService
from cardiowatch.server.alerts import (
    RHYTHM_CODES,
    AlertTransition,
    DataSeen,
    EventKind,
    EventObserved,
    Observation,
    QualityObserved,
    RhythmObserved,
    SignalQuality,
    StatusObserved,
)
from cardiowatch.server.device_auth import DeviceIdentity
from cardiowatch.server.evidence import EvidenceTracker
from cardiowatch.server.live import (
    AlertMessage,
    BeatsMessage,
    EventMessage,
    HeartRateMessage,
    LiveBeat,
    LiveMessage,
    RhythmMessage,
    SamplesMessage,
    StatusMessage,
)
from cardiowatch.server.pipelines import DeviceAnalysis, Hrv, PipelineRegistry
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.clock import frame_duration_us
from cardiowatch.server.storage.frames import StoredFrame
from cardiowatch.signal.quality_segment import QualityFlag

logger = logging.getLogger(__name__)

#: Rhythm tracker event kinds (`cardiowatch.rhythm.tracker.EVENTS`) the alert engine hears about. A run of
#: three or more ventricular beats faster than the tachycardia rate is a VT run (the definition of VT),
#: told as soon as its third beat is in (``VT_ONSET``), not when it ends: a sustained run alerts while it
#: lasts. Slower runs (idioventricular rhythm) and couplets raise no alert.
EVENT_ALERTS: Mapping[str, EventKind] = MappingProxyType({
    "PAUSE": EventKind.PAUSE, "ASYSTOLE": EventKind.ASYSTOLE, "VT_ONSET": EventKind.VT_RUN})
#: Signal quality the alert engine hears for each not-good stretch; signal outside them is good.
QUALITY_ALERTS: Mapping[QualityFlag, SignalQuality] = MappingProxyType({
    QualityFlag.MISSING: SignalQuality.UNUSABLE, QualityFlag.FLAT: SignalQuality.UNUSABLE,
    QualityFlag.CLIPPED: SignalQuality.UNUSABLE, QualityFlag.LEAD_OFF: SignalQuality.LEAD_OFF,
    QualityFlag.NOISY: SignalQuality.NOISY, QualityFlag.MOTION: SignalQuality.NOISY,
    QualityFlag.LOW_PERFUSION: SignalQuality.NOISY})


@dataclass(frozen=True)
class SummaryMade:
    """A stored periodic summary, handed to outputs such as the ThingSpeak bridge."""

    device_id: int
    device_name: str
    time_s: float
    hr_bpm: float | None
    rhythm: str | None
    alert_level: int
    battery_pct: float | None


@dataclass
class AnalysisResult:
    """What analysing one device's new data produced, for the live feed and the outputs."""

    live: list[LiveMessage] = field(default_factory=list)
    transitions: list[AlertTransition] = field(default_factory=list)
    summary: SummaryMade | None = None


@dataclass
class DeviceLive:
    rhythm: str | None = None
    hr_bpm: float | None = None
    hrv: Hrv | None = None
    quality: str | None = None  #: the latest `QualityFlag` value, or ``good``
    battery_pct: float | None = None
    last_summary_at: float = -math.inf


def frame_status(frame: Frame) -> list[Observation]:
    """What a stored frame itself tells the alert engine: an ECG frame's lead-off flag."""
    return [StatusObserved(lead_off=frame.lead_off)] if frame.sensor is SensorKind.ECG else []


def analysis_observations(state: DeviceLive, result: DeviceAnalysis) -> list[Observation]:
    """The alert engine's observations from one frame's analysis, updating the device's live ``state``.

    The one mapping from analysis to alerts: the server calls it for every analysed frame, and
    `cardiowatch.server.alert_replay` calls it offline (the alarm budget), so both raise the same alerts.
    """
    observations: list[Observation] = []
    for change in result.rhythm_changes:
        state.rhythm = change.rhythm
    observations += [EventObserved(EVENT_ALERTS[e.kind]) for e in result.events if e.kind in EVENT_ALERTS]
    for segment in result.quality:
        state.quality = segment.flag.value
        observations.append(QualityObserved(QUALITY_ALERTS[segment.flag]))
    if result.quality_now is not None:
        state.quality = result.quality_now.value
        observations.append(QualityObserved(QUALITY_ALERTS[result.quality_now]))
    elif not result.quality and result.live_samples and not result.held:
        # quality stages report only stretches that are not good: a frame analysed without one, and none
        # going on, is good signal (a held frame is judged when its chunk is analysed)
        state.quality = SignalQuality.GOOD.value
        observations.append(QualityObserved(SignalQuality.GOOD))
    if result.hrv is not None:
        state.hrv = result.hrv
    if result.hr_bpm is not None:
        state.hr_bpm = result.hr_bpm
    if result.rhythm_changes or result.hr_bpm is not None:
        rhythm = state.rhythm if state.rhythm in RHYTHM_CODES else "Q"
        observations.append(RhythmObserved(rhythm=rhythm, hr_bpm=state.hr_bpm))
    return observations


class Analysis:
    """Per-device pipelines, alerts and summaries. Not thread-safe: the ingest worker calls it, one batch
    at a time, which keeps each device's frames in order for its pipeline."""

    def __init__(self, *, registry: PipelineRegistry, alerts: AlertService, summary_period_s: float) -> None:
        self.registry = registry
        self.alerts = alerts
        self.summary_period_s = summary_period_s
        self.errors = 0  #: frames whose analysis failed since start-up
        self._live: dict[int, DeviceLive] = {}
        # alerts raised later by a tick (hysteresis) get their evidence from what was analysed here too
        self.evidence = EvidenceTracker()
        alerts.evidence = self.evidence

    def frames(self, *, session: Session, device: DeviceIdentity, new: list[StoredFrame],
               now: float) -> AnalysisResult:
        """Feed a device's newly stored frames (ascending seq) to its pipeline and the alert engine."""
        device_id = device.device_id
        state = self._live.setdefault(device_id, DeviceLive())
        out = AnalysisResult()
        observations: list[Observation] = [DataSeen()]
        for stored in new:
            frame = stored.frame
            observations += frame_status(frame)
            try:
                result = self.registry.feed(device_id, frame, t_us=stored.t_us, now=now)
            except Exception:  # noqa: BLE001 - analysis must never undo an acknowledged store
                self.errors += 1
                logger.exception("device %d seq %d: analysis failed; stream reset", device_id, frame.seq)
                self.registry.drop(device_id)
                continue
            if result is not None:
                observations += self._record(session, state, result, out.live)
            self.evidence.data_until(device_id, stored.t_us + frame_duration_us(frame))
        out.transitions = self.alerts.observe(session=session, device_id=device_id, observations=observations,
                                              now=now)
        out.live += [AlertMessage(t) for t in out.transitions]
        out.summary = self._summarise(session, device, state, now)
        return out

    def held(self, *, session: Session, now: float, everything: bool = False) -> AnalysisResult:
        """Analyse the samples held for devices that went quiet (`PipelineRegistry.due`; every device's
        with ``everything``, at shutdown), recording the results as `frames` does."""
        out = AnalysisResult()
        for device_id in self.registry.due(now, everything=everything):
            try:
                result = self.registry.drain(device_id)
            except Exception:  # noqa: BLE001 - as in `frames`: the stored frames stay, the stream restarts
                self.errors += 1
                logger.exception("device %d: analysis of held samples failed; stream reset", device_id)
                self.registry.drop(device_id)
                continue
            if result is None:
                continue
            state = self._live.setdefault(device_id, DeviceLive())
            observations = self._record(session, state, result, out.live)
            if observations:
                transitions = self.alerts.observe(session=session, device_id=device_id,
                                                  observations=observations, now=now)
                out.transitions += transitions
                out.live += [AlertMessage(t) for t in transitions]
        return out

    def seed(self, device_id: int, *, rhythm: str | None, hr_bpm: float | None) -> None:
        """Start a device's live state from what an earlier owner stored (a cluster worker taking it over)."""
        self._live[device_id] = DeviceLive(rhythm=rhythm, hr_bpm=hr_bpm)

    def status(self, *, session: Session, status: Status, now: float) -> AnalysisResult:
        """Tell the alert engine about a stored status report (battery, lead-off)."""
        state = self._live.setdefault(status.device_id, DeviceLive())
        if status.battery_pct is not None:
            state.battery_pct = float(status.battery_pct)
        transitions = self.alerts.observe(
            session=session, device_id=status.device_id, now=now,
            observations=[StatusObserved(battery_pct=status.battery_pct, lead_off=status.lead_off)])
        # a reported lead-off or battery reaches the engine only, and no replay of stored frames brings it
        # back: the engine is snapshotted with the batch (a restart, or a cluster worker's take-over at the
        # device's next frame, restores it from there)
        self.alerts.keep(status.device_id)
        return AnalysisResult(live=[StatusMessage(status, received_at=now), *(AlertMessage(t) for t in transitions)],
                              transitions=transitions)

    def _record(self, session: Session, state: DeviceLive, result: DeviceAnalysis,
                live: list[LiveMessage]) -> list[Observation]:
        device_id = result.device_id
        if result.reset:
            crud.end_episode(session=session, device_id=device_id, t_us=result.live_t0_us)
            self.evidence.rhythm(device_id, None, result.live_t0_us)
            self.alerts.rhythm_changed(session=session, device_id=device_id, rhythm=None, t_us=result.live_t0_us)
        if result.beats:
            crud.add_beats(session=session, device_id=device_id, beats=[(b.t_us, b.label) for b in result.beats])
            live.append(BeatsMessage(device_id, tuple(LiveBeat(b.t_us, b.label) for b in result.beats)))
        for change in result.rhythm_changes:
            crud.start_episode(session=session, device_id=device_id, rhythm=change.rhythm, t_us=change.t_us)
            self.evidence.rhythm(device_id, change.rhythm, change.t_us)
            self.alerts.rhythm_changed(session=session, device_id=device_id, rhythm=change.rhythm, t_us=change.t_us)
            live.append(RhythmMessage(device_id, change.t_us, change.rhythm))
        for event in result.events:
            live.append(EventMessage(device_id, event.t_us, event.kind))
            if event.kind in EVENT_ALERTS:
                self.evidence.event(device_id, EVENT_ALERTS[event.kind], event.t_us)
        if result.hr_bpm is not None and result.hr_bpm != state.hr_bpm:
            live.append(HeartRateMessage(device_id, result.hr_bpm))
        observations = analysis_observations(state, result)
        self.evidence.vitals(device_id, hr_bpm=state.hr_bpm, quality=state.quality)
        if result.live_samples:
            live.append(SamplesMessage(device_id, result.live_t0_us, result.live_fs, result.live_samples))
        return observations

    def _summarise(self, session: Session, device: DeviceIdentity, state: DeviceLive,
                   now: float) -> SummaryMade | None:
        if now - state.last_summary_at < self.summary_period_s:
            return None
        state.last_summary_at = now
        device_id = device.device_id
        level = self.alerts.level(device_id)
        hrv = None if state.hrv is None else (state.hrv.sdnn_ms, state.hrv.rmssd_ms, state.hrv.pnn50_pct)
        crud.add_summary(session=session, device_id=device_id, t_us=int(now * 1e6), hr_bpm=state.hr_bpm,
                         rhythm=state.rhythm, quality=state.quality,
                         alert_level=level, battery_pct=state.battery_pct, hrv=hrv)
        return SummaryMade(device_id=device_id, device_name=device.name, time_s=now, hr_bpm=state.hr_bpm,
                           rhythm=state.rhythm, alert_level=level, battery_pct=state.battery_pct)
