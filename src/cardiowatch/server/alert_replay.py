"""The server's alert rules, offline: what alerts a device would have raised, without a server.

`AlertReplay` does for one device what the server does after each stored frame: the frame through the
device's pipeline (`PipelineRegistry`), the analysis to observations (`analysis_observations`, the
server's own mapping) and the observations to the `AlertEngine`, with the clock at the record time the
frame's last sample exists (the server's clock when the device sends in real time). The alarm budget
(``benchmarks/alarm_budget.py``) counts its alerts.

Beat times without a signal (reference annotations, pulse intervals) take `AlertReplay.analysis`: the
`DeviceAnalysis` a frame's pipeline would have produced (see `interval_analyses`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from cardiowatch.pipeline import HR_BEATS
from cardiowatch.protocol import Frame
from cardiowatch.rhythm.tracker import RhythmTracker
from cardiowatch.server.alerts import AlertAction, AlertConfig, AlertEngine, AlertTransition, DataSeen
from cardiowatch.server.analysis import DeviceLive, analysis_observations, frame_status
from cardiowatch.server.pipelines import (
    DeviceAnalysis,
    PipelineFactory,
    PipelineRegistry,
    TimedEvent,
    TimedRhythm,
)

DEVICE = "replay"


@dataclass(frozen=True)
class RaisedAlert:
    """One alert the engine raised: kind, record time raised and resolved (None: open at the end)."""

    kind: str
    raised_s: float
    condition_since_s: float
    resolved_s: float | None = None


class AlertReplay:
    """One device's alerts, replayed offline with the server's pipeline registry, mapping and engine.

    Parameters
    ----------
    factory : PipelineFactory, optional
        Makes the device's pipeline (`default_pipeline_factory` for frames); not needed for `analysis`.
    config : AlertConfig, optional
        The alert engine's thresholds and timings; the server's defaults when omitted.
    tick_s : float
        The engine is ticked this often (record time) between observations, as the server's alert loop does.
    """

    def __init__(self, factory: PipelineFactory | None = None, *, config: AlertConfig | None = None,
                 tick_s: float = 1.0) -> None:
        self.registry = PipelineRegistry(factory, live_max_sample_rate_hz=1.0)
        self.engine = AlertEngine(config)
        self.state = DeviceLive()
        self.tick_s = tick_s
        self.alerts: list[RaisedAlert] = []
        self._open: dict[int, int] = {}  # alert id -> index in alerts
        self._last_tick = -np.inf

    def frame(self, frame: Frame, *, t0_s: float) -> None:
        """One frame, its first sample at record time ``t0_s``; the clock moves to its last sample."""
        now = t0_s + len(frame.samples) / frame.fs
        observations = [DataSeen(), *frame_status(frame)]
        result = self.registry.feed(0, frame, t_us=round(t0_s * 1e6), now=now)
        if result is not None:
            observations += analysis_observations(self.state, result)
        self._observe(observations, now)

    def analysis(self, result: DeviceAnalysis, *, now: float) -> None:
        """One frame's worth of analysis that became known at record time ``now``."""
        self._observe([DataSeen(), *analysis_observations(self.state, result)], now)

    def finish(self, *, now: float) -> list[RaisedAlert]:
        """Advance the clock to ``now`` (the end of the record) and return every alert raised."""
        now = max(now, self._last_tick)
        self._ticks_until(now)
        self._take(self.engine.tick(now=now))
        return list(self.alerts)

    def _observe(self, observations: list, now: float) -> None:
        self._ticks_until(now)
        for observation in observations:
            self._take(self.engine.observe(DEVICE, observation, now=now))
        self._last_tick = now

    def _ticks_until(self, now: float) -> None:
        if not np.isfinite(self._last_tick):
            return  # nothing seen yet: nothing to tick
        t = self._last_tick + self.tick_s
        while t < now:
            self._take(self.engine.tick(now=t))
            t += self.tick_s

    def _take(self, transitions: list[AlertTransition]) -> None:
        for t in transitions:
            alert = t.alert
            if t.action is AlertAction.RAISED:
                self._open[alert.alert_id] = len(self.alerts)
                self.alerts.append(RaisedAlert(alert.kind.value, alert.raised_at, alert.condition_since))
            elif t.action is AlertAction.RESOLVED and alert.alert_id in self._open:
                i = self._open.pop(alert.alert_id)
                done = self.alerts[i]
                self.alerts[i] = RaisedAlert(done.kind, done.raised_s, done.condition_since_s, alert.resolved_at)


def interval_analyses(sample: np.ndarray, label: np.ndarray | None, *, fs: float, step_s: float = 1.0,
                      tracker: RhythmTracker | None = None) -> Iterator[tuple[float, DeviceAnalysis]]:
    """What the pipeline would report, frame by frame, for beats known only by their times (and classes).

    The tracker takes the whole record at once (its output does not depend on the chunking) and each
    change or event is reported in the frame that holds its ``detected_sample``; an asystole in the frame
    where the silence passed ``asystole_s`` (the pipeline's `RhythmTracker.advance_to`). The heart rate of
    each frame is the pipeline's: the median of the last `HR_BEATS` intervals, 0 once no beat came
    for ``asystole_s``. Yields (record time the frame ends, its analysis); times are in seconds.
    """
    tracker = tracker if tracker is not None else RhythmTracker(fs=fs)
    sample = np.asarray(sample, dtype=np.int64)
    found = tracker.process(sample, label) + tracker.flush()
    asystole_n = tracker.asystole_s * fs

    def reported_at(f) -> float:
        if getattr(f, "kind", None) == "ASYSTOLE":
            return min(f.detected_sample, f.sample + asystole_n) / fs
        return f.detected_sample / fs

    items = sorted(((reported_at(f), f) for f in found), key=lambda x: x[0])
    times = np.array([t for t, _ in items])
    rr = np.diff(sample) / fs
    end_s = sample[-1] / fs + step_s if len(sample) else 0.0
    n_frames = int(np.ceil(end_s / step_s))
    frame_end = (np.arange(n_frames) + 1) * step_s
    first_item = np.searchsorted(times, frame_end - step_s, side="right") if len(times) else np.zeros(n_frames, int)
    last_item = np.searchsorted(times, frame_end, side="right") if len(times) else np.zeros(n_frames, int)
    n_beats_by = np.searchsorted(sample, frame_end * fs, side="left")
    # rate once n beats are in: the median of the last HR_BEATS intervals (fewer at the start)
    rate_after = np.full(len(sample) + 1, np.nan)
    for n in range(3, min(len(sample), HR_BEATS + 1) + 1):
        rate_after[n] = 60.0 / np.median(rr[:n - 1])
    if len(rr) >= HR_BEATS:
        windows = np.lib.stride_tricks.sliding_window_view(rr, HR_BEATS)
        rate_after[HR_BEATS + 1:] = 60.0 / np.median(windows, axis=1)
    for k, now in enumerate(frame_end):
        out = DeviceAnalysis(device_id=0)
        for _, f in items[first_item[k]:last_item[k]]:
            t_us, detected_t_us = round(f.sample / fs * 1e6), round(f.detected_sample / fs * 1e6)
            if hasattr(f, "rhythm"):
                out.rhythm_changes.append(TimedRhythm(t_us, f.rhythm, detected_t_us))
            else:
                out.events.append(TimedEvent(t_us, f.kind, detected_t_us))
        n = int(n_beats_by[k])
        if n >= 3:
            if now - sample[n - 1] / fs > tracker.asystole_s:
                out.hr_bpm = 0.0
            else:
                out.hr_bpm = float(rate_after[n])
        yield float(now), out
