"""Typed live messages become the JSON objects the dashboard reads, and reach only who asked for them."""

from __future__ import annotations

import asyncio
import json

from cardiowatch.protocol import Status
from cardiowatch.server.alerts import AlertEngine, EventKind, EventObserved
from cardiowatch.server.live import (
    AlertMessage,
    BeatsMessage,
    EventMessage,
    HeartRateMessage,
    LiveBeat,
    LiveHub,
    RhythmMessage,
    SamplesMessage,
    StatusMessage,
    live_json,
)


def test_each_live_message_serialises_to_the_documented_json_object():
    messages = [
        SamplesMessage(7, t0_us=1_000, fs=125.0, values=(0.5, None)),
        BeatsMessage(7, beats=(LiveBeat(t_us=2_000, label="V"),)),
        HeartRateMessage(7, hr_bpm=61.5),
        RhythmMessage(7, t_us=3_000, rhythm="AFIB"),
        EventMessage(7, t_us=4_000, kind="PAUSE"),
        StatusMessage(Status(device_id=7, battery_pct=80), received_at=5.0),
    ]
    assert [live_json(m) for m in messages] == [
        {"type": "samples", "device_id": 7, "t0_us": 1_000, "fs": 125.0, "values": [0.5, None]},
        {"type": "beats", "device_id": 7, "beats": [{"t_us": 2_000, "label": "V"}]},
        {"type": "hr", "device_id": 7, "hr_bpm": 61.5},
        {"type": "rhythm", "device_id": 7, "t_us": 3_000, "rhythm": "AFIB"},
        {"type": "event", "device_id": 7, "t_us": 4_000, "kind": "PAUSE"},
        {"type": "status", "device_id": 7, "received_at": 5.0, "battery_pct": 80},
    ]
    assert all(json.loads(json.dumps(live_json(m))) == live_json(m) for m in messages)


def test_an_alert_message_carries_the_transition_and_its_device():
    (transition,) = AlertEngine().observe("7", EventObserved(EventKind.ASYSTOLE), now=10.0)
    message = AlertMessage(transition)
    assert message.device_id == 7
    assert live_json(message) == {"type": "alert", **transition.to_dict()}


def test_the_hub_delivers_by_device_and_type():
    (transition,) = AlertEngine().observe("8", EventObserved(EventKind.ASYSTOLE), now=10.0)

    async def main() -> list[list[tuple[str, int]]]:
        hub = LiveHub()
        subs = [hub.subscribe(), hub.subscribe(device_id=7), hub.subscribe(types=frozenset({"alert"}))]
        hub.publish([HeartRateMessage(7, 60.0), HeartRateMessage(8, 70.0), AlertMessage(transition)])
        got = []
        for sub in subs:
            items = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
            got.append([(m["type"], int(m.get("device_id", m.get("alert", {}).get("device_id")))) for m in items])
        return got

    everything, device_7, alerts = asyncio.run(main())
    assert everything == [("hr", 7), ("hr", 8), ("alert", 8)]
    assert device_7 == [("hr", 7)]
    assert alerts == [("alert", 8)]
