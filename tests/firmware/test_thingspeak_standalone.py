"""Standalone mode: the C ThingSpeak client (request builder + rate limiter, firmware/core/cw_thingspeak.c)
against the local fake ThingSpeak the server's bridge is tested with (tests/fakes/thingspeak.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fakes.thingspeak import FakeClock, FakeThingSpeak, serve

CHANNEL, KEY = 4242, "WRITEKEY"


class _Device:
    """The CLI as a coprocess: one summary line in, one decision line out; the fake's clock follows."""

    def __init__(self, cli: Path, base_url: str, key: str, clock: FakeClock) -> None:
        port = base_url.rsplit(":", 1)[1]
        self.proc = subprocess.Popen([str(cli), "127.0.0.1", port, key], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.clock, self.start = clock, clock.now

    def summary(self, t_s: float, line: str) -> list[str]:
        self.clock.now = self.start + t_s
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{int(t_s * 1000)} {line}\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().split()

    def close(self) -> str:
        out, _ = self.proc.communicate(timeout=10)
        return out


def test_standalone_client_keeps_one_update_per_15_s_and_backs_off_on_failure(host_build: Path) -> None:
    clock = FakeClock()
    fake = FakeThingSpeak({CHANNEL: KEY}, clock=clock)
    with serve(fake) as base_url:
        device = _Device(host_build / "cw_thingspeak_cli", base_url, KEY, clock)
        first = device.summary(0, "723 4 2 97 -1")
        early = device.summary(5, "730 4 2 97 -1")
        second = device.summary(16, "741 1 0 99 80")
        fake.outage_status = 503
        failed = device.summary(32, "741 1 0 99 80")
        fake.outage_status = None
        backing_off = device.summary(40, "741 1 0 99 80")
        third = device.summary(64, "-1 -1 1 0 80")
        device.close()
    assert first[:3] == ["sent", "200", "accepted"] and second[:3] == ["sent", "200", "accepted"]
    assert early[0] == "wait" and backing_off[0] == "wait"  # nothing sent too early: no reply 0, no 429
    assert failed[:3] == ["sent", "503", "retry"] and int(failed[3]) == 32000 + 2 * 16000
    assert third[:3] == ["sent", "200", "accepted"]
    assert [r.status for r in fake.received] == [200, 200, 503, 200]
    assert all(r.key_ok for r in fake.received if r.status == 200)
    entries = fake.entries(CHANNEL)
    assert len(entries) == 3


def test_standalone_update_fields_equal_the_server_bridge_ones(host_build: Path) -> None:
    from cardiowatch.server.thingspeak import DeviceSummary

    clock = FakeClock()
    fake = FakeThingSpeak({CHANNEL: KEY}, clock=clock)
    cases = [("723 4 2 97 -1", DeviceSummary("d", clock.now, hr_bpm=72.3, rhythm="AFIB", alert_level=2,
                                               signal_quality_pct=97.0)),
             ("598 1 0 100 81", DeviceSummary("d", clock.now, hr_bpm=59.8, rhythm="N", alert_level=0,
                                                signal_quality_pct=100.0, battery_pct=81.0)),
             ("-1 -1 1 0 -1", DeviceSummary("d", clock.now, alert_level=1, signal_quality_pct=0.0))]
    with serve(fake) as base_url:
        device = _Device(host_build / "cw_thingspeak_cli", base_url, KEY, clock)
        for k, (line, _) in enumerate(cases):
            assert device.summary(16 * k, line)[:3] == ["sent", "200", "accepted"]
        device.close()
    for entry, (_, summary) in zip(fake.entries(CHANNEL), cases):
        expected = {k: v for k, v in summary.to_update().items() if k != "created_at"}
        got = {k: v for k, v in entry.items() if k.startswith("field") or k == "status"}
        assert got == expected


def test_standalone_client_stops_on_a_refused_key_and_never_prints_it(host_build: Path) -> None:
    clock = FakeClock()
    fake = FakeThingSpeak({CHANNEL: KEY}, clock=clock)
    with serve(fake) as base_url:
        device = _Device(host_build / "cw_thingspeak_cli", base_url, "NOT-THE-KEY", clock)
        refused = device.summary(0, "700 1 0 99 -1")
        out = device.close()
    assert refused[:3] == ["sent", "401", "refused"]
    assert "NOT-THE-KEY" not in " ".join(refused) + out
    assert fake.entries(CHANNEL) == []
