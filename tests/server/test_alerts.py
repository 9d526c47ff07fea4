"""Alert engine: hysteresis, de-duplication, acknowledge, snooze, escalation, no-data, snapshot."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch.server.alerts import (
    RHYTHM_CODES,
    AlertAction,
    AlertConfig,
    AlertEngine,
    AlertKind,
    AlertState,
    DataSeen,
    EventKind,
    EventObserved,
    QualityObserved,
    RhythmObserved,
    Severity,
    SignalQuality,
    StatusObserved,
    UnknownAlert,
)

DEV = "dev1"


def _engine(**config) -> AlertEngine:
    """An engine whose no-data timer stays out of the way unless a test sets ``no_data_s``."""
    return AlertEngine(AlertConfig(**{"no_data_s": 1e9, **config}))


def _actions(transitions):
    return [(t.action, t.alert.kind) for t in transitions]


def _hold(engine, obs, *, start, stop, every=1.0, device=DEV):
    """Observe ``obs`` every ``every`` s from ``start`` to ``stop`` inclusive; return all transitions."""
    out, t = [], start
    while t <= stop:
        out += engine.observe(device, obs, now=t)
        t += every
    return out


def test_asystole_event_raises_critical_alert_at_once():
    engine = _engine()

    (transition,) = engine.observe(DEV, EventObserved(EventKind.ASYSTOLE), now=100.0)

    assert transition.action is AlertAction.RAISED
    assert transition.alert.kind is AlertKind.ASYSTOLE
    assert transition.alert.severity is Severity.CRITICAL
    assert transition.alert.state is AlertState.ACTIVE
    assert (transition.at, transition.by, transition.previous_state) == (100.0, "system", None)
    assert engine.level(DEV) == 3


def test_af_shorter_than_raise_delay_raises_nothing():
    engine = _engine()

    out = _hold(engine, RhythmObserved("AFIB", 80.0), start=0.0, stop=29.0)
    out += _hold(engine, RhythmObserved("N", 70.0), start=30.0, stop=200.0)

    assert out == []


def test_af_held_for_raise_delay_raises_warning_with_condition_start():
    engine = _engine()

    out = _hold(engine, RhythmObserved("AFIB", 80.0), start=0.0, stop=30.0)

    assert _actions(out) == [(AlertAction.RAISED, AlertKind.ATRIAL_FIBRILLATION)]
    alert = out[0].alert
    assert (alert.raised_at, alert.condition_since, alert.severity) == (30.0, 0.0, Severity.WARNING)
    assert "AFIB" in alert.detail


def test_alert_resolves_only_after_condition_absent_for_clear_delay():
    engine = _engine()
    _hold(engine, RhythmObserved("AFIB", 80.0), start=0.0, stop=40.0)
    # A 20 s break is shorter than the 60 s clear delay: same alert, nothing new.
    out = _hold(engine, RhythmObserved("N", 70.0), start=41.0, stop=60.0)
    out += _hold(engine, RhythmObserved("AFIB", 80.0), start=61.0, stop=100.0)
    assert out == []

    out = _hold(engine, RhythmObserved("N", 70.0), start=101.0, stop=160.0)
    assert out == []
    out = engine.tick(now=161.0)

    assert _actions(out) == [(AlertAction.RESOLVED, AlertKind.ATRIAL_FIBRILLATION)]
    assert out[0].alert.resolved_at == 161.0
    assert engine.open_alerts(DEV) == []


def test_repeated_events_keep_one_open_alert_and_a_new_episode_gets_a_new_id():
    engine = _engine()
    first = engine.observe(DEV, EventObserved(EventKind.VT_RUN), now=0.0)
    repeats = [t for s in range(1, 9) for t in engine.observe(DEV, EventObserved(EventKind.VT_RUN), now=float(s))]
    assert repeats == []

    # The hold runs out at 8 + 10 = 18 s, the 10 s clear delay at 28 s.
    assert engine.tick(now=27.9) == []
    resolved = engine.tick(now=28.0)
    again = engine.observe(DEV, EventObserved(EventKind.VT_RUN), now=40.0)

    assert _actions(resolved) == [(AlertAction.RESOLVED, AlertKind.VENTRICULAR_TACHYCARDIA)]
    assert _actions(again) == [(AlertAction.RAISED, AlertKind.VENTRICULAR_TACHYCARDIA)]
    assert again[0].alert.alert_id != first[0].alert.alert_id


def test_vt_rhythm_and_vt_run_events_share_one_alert():
    engine = _engine()
    out = engine.observe(DEV, RhythmObserved("VT"), now=0.0)
    out += engine.observe(DEV, EventObserved(EventKind.VT_RUN), now=1.0)

    assert _actions(out) == [(AlertAction.RAISED, AlertKind.VENTRICULAR_TACHYCARDIA)]


def test_sustained_extreme_bradycardia_raises_critical_and_brady_warning():
    engine = _engine()

    out = _hold(engine, RhythmObserved("N", 25.0), start=0.0, stop=60.0)

    assert [(t.alert.kind, t.at) for t in out if t.action is AlertAction.RAISED] == [
        (AlertKind.EXTREME_BRADYCARDIA, 10.0), (AlertKind.BRADYCARDIA, 60.0)]
    assert engine.level(DEV) == Severity.CRITICAL


def test_short_extreme_tachycardia_raises_nothing():
    engine = _engine()

    out = _hold(engine, RhythmObserved("N", 200.0), start=0.0, stop=9.0)
    out += _hold(engine, RhythmObserved("N", 80.0), start=10.0, stop=100.0)

    assert out == []


def test_frequent_ectopy_from_rate_and_from_bigeminy_code():
    engine = _engine()

    by_rate = _hold(engine, RhythmObserved("N", 70.0, ectopic_per_min=12.0), start=0.0, stop=60.0)
    by_code = _hold(engine, RhythmObserved("B", 70.0), start=100.0, stop=160.0, device="dev2")

    assert _actions(by_rate) == _actions(by_code) == [(AlertAction.RAISED, AlertKind.FREQUENT_ECTOPY)]


def test_unacknowledged_critical_alert_escalates_each_interval_up_to_max_level():
    engine = _engine(max_level=2)
    engine.observe(DEV, RhythmObserved("VT"), now=0.0)

    at_59 = engine.tick(now=59.0)
    at_60 = engine.tick(now=60.0)
    late = engine.observe(DEV, RhythmObserved("VT"), now=500.0)

    assert at_59 == []
    assert [(t.action, t.alert.level) for t in at_60] == [(AlertAction.ESCALATED, 1)]
    assert [(t.action, t.alert.level) for t in late] == [(AlertAction.ESCALATED, 2)]


def test_acknowledge_records_who_and_when_and_stops_escalation():
    engine = _engine()
    (raised,) = engine.observe(DEV, EventObserved(EventKind.ASYSTOLE), now=0.0)

    ack = engine.acknowledge(raised.alert.alert_id, user="nurse ana", now=30.0)
    engine.observe(DEV, EventObserved(EventKind.ASYSTOLE), now=35.0)
    later = engine.tick(now=44.0)

    assert ack.action is AlertAction.ACKNOWLEDGED
    assert (ack.by, ack.previous_state) == ("nurse ana", AlertState.ACTIVE)
    assert (ack.alert.acknowledged_by, ack.alert.acknowledged_at) == ("nurse ana", 30.0)
    assert later == []
    assert engine.get(raised.alert.alert_id).state is AlertState.ACKNOWLEDGED


def test_acknowledging_twice_is_a_runtime_error_naming_expected_and_got():
    engine = _engine()
    (raised,) = engine.observe(DEV, EventObserved(EventKind.ASYSTOLE), now=0.0)
    engine.acknowledge(raised.alert.alert_id, user="a", now=1.0)

    with pytest.raises(RuntimeError, match="expected state ACTIVE or SNOOZED, got ACKNOWLEDGED"):
        engine.acknowledge(raised.alert.alert_id, user="b", now=2.0)


def test_acknowledging_a_resolved_alert_is_a_runtime_error():
    engine = _engine()
    (raised,) = engine.observe(DEV, EventObserved(EventKind.PAUSE), now=0.0)
    engine.tick(now=100.0)

    with pytest.raises(RuntimeError, match="got RESOLVED"):
        engine.acknowledge(raised.alert.alert_id, user="a", now=101.0)


def test_unknown_alert_id_raises_unknown_alert():
    with pytest.raises(UnknownAlert):
        AlertEngine().acknowledge(42, user="a", now=0.0)


def test_snoozed_alert_does_not_escalate_and_reactivates_when_snooze_expires():
    engine = _engine()
    (raised,) = engine.observe(DEV, RhythmObserved("VT"), now=0.0)
    alert_id = raised.alert.alert_id

    snoozed = engine.snooze(alert_id, user="dr bo", until=300.0, now=10.0)
    during = engine.tick(now=299.0)
    expiry = engine.tick(now=300.0)
    after = engine.tick(now=360.0)

    assert (snoozed.alert.state, snoozed.alert.snoozed_by, snoozed.alert.snoozed_until) == (
        AlertState.SNOOZED, "dr bo", 300.0)
    assert during == []
    assert [(t.action, t.alert.state) for t in expiry] == [(AlertAction.REACTIVATED, AlertState.ACTIVE)]
    assert [(t.action, t.alert.level) for t in after] == [(AlertAction.ESCALATED, 1)]


def test_snooze_needs_a_future_time_and_an_active_alert():
    engine = _engine()
    (raised,) = engine.observe(DEV, RhythmObserved("VT"), now=0.0)
    alert_id = raised.alert.alert_id

    with pytest.raises(ValueError, match="later than now"):
        engine.snooze(alert_id, user="a", until=5.0, now=5.0)
    engine.acknowledge(alert_id, user="a", now=6.0)
    with pytest.raises(RuntimeError, match="expected state ACTIVE, got ACKNOWLEDGED"):
        engine.snooze(alert_id, user="a", until=60.0, now=7.0)


def test_snoozed_alert_resolves_when_its_condition_clears():
    engine = _engine()
    (raised,) = engine.observe(DEV, EventObserved(EventKind.PAUSE), now=0.0)
    engine.snooze(raised.alert.alert_id, user="a", until=1000.0, now=1.0)

    out = engine.tick(now=40.0)

    assert [(t.action, t.previous_state) for t in out] == [(AlertAction.RESOLVED, AlertState.SNOOZED)]


def test_no_data_alert_after_silence_and_resolved_when_data_returns():
    engine = _engine(no_data_s=30.0)
    engine.observe(DEV, DataSeen(), now=0.0)

    quiet = engine.tick(now=29.0)
    silent = engine.tick(now=30.0)
    back = engine.observe(DEV, DataSeen(), now=45.0)

    assert quiet == []
    assert _actions(silent) == [(AlertAction.RAISED, AlertKind.NO_DATA)]
    assert silent[0].alert.severity is Severity.TECHNICAL
    assert _actions(back) == [(AlertAction.RESOLVED, AlertKind.NO_DATA)]


def test_lead_off_holds_while_any_source_reports_it():
    engine = _engine()
    engine.observe(DEV, StatusObserved(lead_off=True), now=0.0)
    raised = _hold(engine, QualityObserved(SignalQuality.GOOD), start=1.0, stop=5.0)
    still = _hold(engine, QualityObserved(SignalQuality.GOOD), start=6.0, stop=30.0)
    engine.observe(DEV, StatusObserved(lead_off=False, battery_pct=80.0), now=31.0)
    cleared = engine.tick(now=36.0)

    assert _actions(raised) == [(AlertAction.RAISED, AlertKind.LEAD_OFF)]
    assert still == []
    assert _actions(cleared) == [(AlertAction.RESOLVED, AlertKind.LEAD_OFF)]


def test_low_battery_and_poor_signal_are_technical():
    engine = _engine()
    out = _hold(engine, StatusObserved(battery_pct=9.0), start=0.0, stop=60.0)
    out += _hold(engine, QualityObserved(SignalQuality.NOISY), start=61.0, stop=91.0)

    assert [(t.alert.kind, t.alert.severity) for t in out] == [
        (AlertKind.LOW_BATTERY, Severity.TECHNICAL), (AlertKind.POOR_SIGNAL, Severity.TECHNICAL)]
    assert engine.level(DEV) == 1


def test_level_is_zero_without_alerts_and_highest_severity_otherwise():
    engine = _engine()
    engine.observe(DEV, DataSeen(), now=0.0)
    assert engine.level(DEV) == 0
    engine.observe(DEV, EventObserved(EventKind.PAUSE), now=1.0)
    assert engine.level(DEV) == 2
    engine.observe(DEV, EventObserved(EventKind.VF_RUN), now=2.0)
    assert engine.level(DEV) == 3
    assert [a.kind for a in engine.open_alerts(DEV)] == [AlertKind.VENTRICULAR_FIBRILLATION, AlertKind.PAUSE]


def test_time_going_backwards_is_refused():
    engine = _engine()
    engine.tick(now=10.0)

    with pytest.raises(ValueError, match="backwards"):
        engine.observe(DEV, DataSeen(), now=9.0)


def test_bad_observations_are_refused_at_construction():
    with pytest.raises(ValueError, match="unknown rhythm code 'AF'"):
        RhythmObserved("AF", 80.0)
    with pytest.raises(ValueError, match="hr_bpm"):
        RhythmObserved("N", float("nan"))
    with pytest.raises(ValueError):
        EventObserved("hiccup")
    with pytest.raises(ValueError, match="battery_pct"):
        StatusObserved(battery_pct=140.0)


def test_transition_dict_is_json_and_names_event_and_severity():
    engine = _engine()
    (raised,) = engine.observe(DEV, RhythmObserved("VFL", 250.0), now=5.0)

    body = json.loads(json.dumps(raised.to_dict()))

    assert body["event"] == "alert.raised"
    assert body["alert"]["kind"] == "ventricular_fibrillation"
    assert body["alert"]["severity"] == "critical"
    assert body["alert"]["device_id"] == DEV


# ------------------------------------------------------------------------------------- properties
_OBSERVATIONS = st.one_of(
    st.builds(RhythmObserved, st.sampled_from(RHYTHM_CODES), st.sampled_from([None, 20.0, 40.0, 70.0, 150.0, 200.0]),
              st.sampled_from([None, 0.0, 20.0])),
    st.builds(EventObserved, st.sampled_from(list(EventKind))),
    st.builds(QualityObserved, st.sampled_from(list(SignalQuality))),
    st.builds(StatusObserved, st.sampled_from([None, 5.0, 90.0]), st.sampled_from([None, True, False])),
    st.just(DataSeen()),
)
_STEPS = st.lists(st.tuples(
    st.sampled_from([0.0, 0.5, 1.0, 5.0, 20.0, 70.0, 400.0]),          # time step
    st.sampled_from(["a", "b"]),
    st.one_of(_OBSERVATIONS, st.sampled_from(["tick", "ack", "snooze"])),
    st.integers(0, 5),                                                 # which open alert to act on
), max_size=60)


def _run(engine, steps, now):
    transitions = []
    for dt, device, what, pick in steps:
        now += dt
        if what == "tick":
            transitions += engine.tick(now=now)
        elif what in ("ack", "snooze"):
            alerts = engine.open_alerts(device)
            if not alerts:
                continue
            alert = alerts[pick % len(alerts)]
            try:
                if what == "ack":
                    transitions.append(engine.acknowledge(alert.alert_id, user="u", now=now))
                else:
                    transitions.append(engine.snooze(alert.alert_id, user="u", until=now + 100.0, now=now))
            except RuntimeError:
                allowed = {"ack": (AlertState.ACTIVE, AlertState.SNOOZED), "snooze": (AlertState.ACTIVE,)}[what]
                assert alert.state not in allowed
        else:
            transitions += engine.observe(device, what, now=now)
        open_keys = [(a.device_id, a.kind) for a in engine.open_alerts()]
        assert len(open_keys) == len(set(open_keys))
    return transitions, now


@settings(max_examples=150, deadline=None)
@given(_STEPS)
def test_any_sequence_keeps_one_open_alert_per_kind_and_acknowledged_alerts_never_escalate(steps):
    transitions, _ = _run(AlertEngine(), steps, 0.0)

    acked: set[int] = set()
    raised: set[int] = set()
    for t in transitions:
        if t.action is AlertAction.RAISED:
            assert t.alert.alert_id not in raised
            raised.add(t.alert.alert_id)
        else:
            assert t.alert.alert_id in raised
        if t.action is AlertAction.ACKNOWLEDGED:
            acked.add(t.alert.alert_id)
        if t.alert.alert_id in acked:
            assert t.action in (AlertAction.ACKNOWLEDGED, AlertAction.RESOLVED)
        assert t.alert.level <= AlertConfig().max_level


@settings(max_examples=100, deadline=None)
@given(_STEPS, _STEPS)
def test_snapshot_restore_through_json_continues_identically(before, after):
    engine = AlertEngine()
    _, now = _run(engine, before, 0.0)

    restored = AlertEngine.restore(json.loads(json.dumps(engine.snapshot())))
    expected, _ = _run(engine, after, now)
    got, _ = _run(restored, after, now)

    assert got == expected
    assert restored.snapshot() == engine.snapshot()


@settings(max_examples=50, deadline=None)
@given(_STEPS)
def test_snapshot_conditions_are_their_dataclass_fields(steps):
    # the snapshot's stored JSON must not change with the hand-written copy that replaced asdict
    engine = AlertEngine()
    _run(engine, steps, 0.0)
    snapshot = engine.snapshot()
    for device_id, device in engine.devices_.items():
        assert snapshot["devices"][device_id]["conditions"] == {
            kind.value: dataclasses.asdict(condition) for kind, condition in device.conditions.items()}
        for kind, condition in device.conditions.items():
            assert snapshot["devices"][device_id]["conditions"][kind.value]["sources"] is not condition.sources


def test_only_the_last_closed_alerts_are_kept():
    engine = _engine(max_closed_kept=2)
    ids = []
    for start in (0.0, 100.0, 200.0):
        ids.append(engine.observe(DEV, EventObserved(EventKind.PAUSE), now=start)[0].alert.alert_id)
        engine.tick(now=start + 50.0)

    with pytest.raises(UnknownAlert):
        engine.get(ids[0])
    assert [engine.get(i).state for i in ids[1:]] == [AlertState.RESOLVED] * 2


def test_a_thousand_devices_tick_in_well_under_a_second():
    engine = _engine()
    for i in range(1000):
        engine.observe(f"d{i}", RhythmObserved("AFIB", 130.0), now=0.0)
        engine.observe(f"d{i}", StatusObserved(battery_pct=5.0), now=0.0)
        engine.observe(f"d{i}", QualityObserved(SignalQuality.NOISY), now=0.0)
    engine.tick(now=120.0)

    started = time.perf_counter()
    engine.tick(now=121.0)
    elapsed = time.perf_counter() - started

    assert len(engine.open_alerts()) == 4000   # AF, tachycardia, low battery, poor signal
    assert elapsed < 1.0


def test_no_rhythm_alert_while_a_lead_is_off_and_hysteresis_restarts_after():
    engine = _engine()
    engine.observe(DEV, StatusObserved(lead_off=True), now=0.0)

    during = engine.observe(DEV, EventObserved(EventKind.ASYSTOLE), now=1.0)
    during += _hold(engine, RhythmObserved("AFIB", 25.0), start=2.0, stop=60.0)
    engine.observe(DEV, StatusObserved(lead_off=False), now=61.0)
    after = _hold(engine, RhythmObserved("AFIB", 80.0), start=62.0, stop=100.0)

    assert _actions(during) == [(AlertAction.RAISED, AlertKind.LEAD_OFF)]
    assert [(t.action, t.alert.kind, t.at) for t in after if t.action is AlertAction.RAISED] == [
        (AlertAction.RAISED, AlertKind.ATRIAL_FIBRILLATION, 90.0)]   # 30 s after the lead was last off


def test_an_open_critical_alert_stays_open_when_the_lead_comes_off():
    engine = _engine()
    (raised,) = engine.observe(DEV, RhythmObserved("VT"), now=0.0)

    engine.observe(DEV, StatusObserved(lead_off=True), now=1.0)
    out = engine.tick(now=30.0)

    assert engine.get(raised.alert.alert_id).is_open
    assert AlertAction.RESOLVED not in [t.action for t in out]
