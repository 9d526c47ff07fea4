"""ThingSpeak bridge against the local fake: fields, the 15 s limit, bulk backlog, 0/429 backoff, key secrecy."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import httpx
import pytest
from fakes.thingspeak import FakeClock, FakeThingSpeak, serve
from pydantic import SecretStr

from cardiowatch.server.alerts import RHYTHM_CODES
from cardiowatch.server.config import Settings
from cardiowatch.server.thingspeak import (
    RHYTHM_FIELD_CODES,
    RHYTHM_NAMES,
    DeviceSummary,
    ThingSpeakBridge,
    ThingSpeakChannel,
    ThingSpeakConfig,
)

KEY = "WK3Y5ECRET0000AB"
CHANNEL = 2718281
T0 = 1_800_000_000.0  # a multiple of 15 s, so summary buckets start at T0


def _config(base_url, **kwargs):
    return ThingSpeakConfig({"dev1": ThingSpeakChannel(CHANNEL, SecretStr(KEY))}, base_url=base_url, **kwargs)


def _summary(t, **kwargs):
    values = {"hr_bpm": 72.0, "rhythm": "N", "alert_level": 0, "signal_quality_pct": 98.0, "battery_pct": 81.0}
    return DeviceSummary("dev1", time_s=t, **{**values, **kwargs})


def _writes(fake):
    return [r for r in fake.received if r.method != "MQTT"]


def _simulate(fake, clock, bridge, *, seconds, summary_every_s=5.0, step_every_s=1.0, make=_summary):
    """Summaries every few seconds and a bridge step every second, on the fake clock."""
    async def main():
        next_summary = clock()
        end = clock() + seconds
        while clock() <= end:
            if clock() >= next_summary:
                bridge.submit(make(clock()))
                next_summary += summary_every_s
            await bridge.step(now=clock())
            clock.advance(step_every_s)
        await bridge.aclose()
    asyncio.run(main())


@pytest.fixture
def clock():
    return FakeClock(T0)


@pytest.fixture
def fake(clock):
    return FakeThingSpeak({CHANNEL: KEY}, clock=clock)


def test_rhythm_field_codes_cover_every_rhythm_code_with_distinct_numbers():
    assert set(RHYTHM_FIELD_CODES) == set(RHYTHM_CODES) == set(RHYTHM_NAMES)
    assert len(set(RHYTHM_FIELD_CODES.values())) == len(RHYTHM_FIELD_CODES)


def test_docs_rhythm_table_matches_the_code():
    text = (Path(__file__).parents[2] / "docs" / "thingspeak.md").read_text()

    rows = re.findall(r"^\| (\d+) \| (\w+) \| ([^|]+?) \|$", text, flags=re.MULTILINE)

    assert {code: (int(number), name) for number, code, name in rows} == {
        code: (number, RHYTHM_NAMES[code]) for code, number in RHYTHM_FIELD_CODES.items()}


def test_summary_maps_to_documented_fields():
    update = DeviceSummary("dev1", time_s=T0, hr_bpm=131.44, rhythm="AFIB", alert_level=2,
                           signal_quality_pct=87.4, battery_pct=55.0).to_update()

    assert update == {"created_at": "2027-01-15T08:00:00Z", "field1": "131.4", "field2": "4", "field3": "2",
                      "field4": "87", "field5": "55", "status": "atrial fibrillation"}


def test_unknown_values_are_left_out_not_sent_as_zero():
    update = DeviceSummary("dev1", time_s=T0).to_update()

    assert update == {"created_at": "2027-01-15T08:00:00Z", "field3": "0"}


def test_steady_stream_posts_one_entry_per_interval_and_never_hits_the_limit(fake, clock):
    with serve(fake) as url:
        bridge = ThingSpeakBridge(_config(url))
        _simulate(fake, clock, bridge, seconds=300.0)

    writes = _writes(fake)
    assert all(r.status in (200, 202) and r.reply != "0" for r in writes)
    assert min(b.at - a.at for a, b in zip(writes, writes[1:])) >= 15.0
    entries = fake.entries(CHANNEL)
    assert 17 <= len(entries) <= 20          # 300 s of summaries at one per 15 s bucket
    assert len({e["created_at"] for e in entries}) == len(entries)
    assert bridge.rejected_ == bridge.errors_ == bridge.dropped_ == 0


def test_single_update_carries_the_fields(fake, clock):
    async def main(url):
        bridge = ThingSpeakBridge(_config(url))
        bridge.submit(_summary(clock(), rhythm="VT", hr_bpm=190.0, alert_level=3))
        posted = await bridge.step(now=clock())
        await bridge.aclose()
        return posted

    with serve(fake) as url:
        posted = asyncio.run(main(url))

    (entry,) = fake.entries(CHANNEL)
    assert posted == 1
    assert (entry["field1"], entry["field2"], entry["field3"], entry["status"]) == (
        "190.0", "8", "3", "ventricular tachycardia")
    assert fake.received[0].path == "/update"


def test_backlog_after_an_outage_goes_out_as_one_bulk_call_in_order(fake, clock):
    with serve(fake) as url:
        bridge = ThingSpeakBridge(_config(url))
        fake.outage_status = 503
        _simulate(fake, clock, bridge, seconds=120.0)
        kept = sum(len(b.pending) for b in bridge.outboxes_.values())
        fake.outage_status = None
        clock.advance(1000.0)
        asyncio.run(bridge.step(now=clock()))

    accepted = [r for r in fake.received if r.status in (200, 202)]
    assert bridge.errors_ >= 2 and kept >= 8
    assert [(r.path, len(r.updates)) for r in accepted] == [(f"/channels/{CHANNEL}/bulk_update.json", kept)]
    stamps = [e["created_at"] for e in fake.entries(CHANNEL)]
    assert stamps == sorted(stamps) and len(stamps) == kept


def test_reply_zero_keeps_the_entry_and_backs_off_until_it_is_inserted(fake, clock):
    async def main(url):
        bridge = ThingSpeakBridge(_config(url))
        # Someone else (a device in standalone mode: a double post) writes the channel first.
        fake.handle("POST", f"/update?api_key={KEY}&field1=60")
        clock.advance(5.0)
        bridge.submit(_summary(clock()))
        first = await bridge.step(now=clock())
        retry_at = bridge.outboxes_["dev1"].next_at
        clock.advance(retry_at - clock() - 0.5)
        early = await bridge.step(now=clock())
        clock.advance(0.5)
        later = await bridge.step(now=clock())
        await bridge.aclose()
        return bridge, first, early, later, retry_at

    with serve(fake) as url:
        bridge, first, early, later, retry_at = asyncio.run(main(url))

    assert (first, early, later) == (0, 0, 1)
    assert retry_at - T0 - 5.0 >= 2 * 15.0      # backed off past the plain interval
    assert bridge.rejected_ == 1
    assert [r.reply for r in _writes(fake)] == ["1", "0", "2"]


def test_http_429_on_bulk_backs_off_and_keeps_the_batch(fake, clock):
    async def main(url):
        bridge = ThingSpeakBridge(_config(url))
        for i in range(3):
            bridge.submit(_summary(clock() + 1.0 + 15.0 * i))
        fake.handle("POST", f"/update?api_key={KEY}&field1=60")   # the channel was just written
        first = await bridge.step(now=clock())
        clock.advance(bridge.outboxes_["dev1"].next_at - clock())
        second = await bridge.step(now=clock())
        await bridge.aclose()
        return bridge, first, second

    with serve(fake) as url:
        bridge, first, second = asyncio.run(main(url))

    assert (first, second) == (0, 3)
    assert [r.status for r in _writes(fake)] == [200, 429, 202]
    assert bridge.rejected_ == 1 and bridge.dropped_ == 0


def test_wrong_key_drops_the_batch_and_logs_no_key(fake, clock, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "WRONGKEYWRONGKEY"
    config = ThingSpeakConfig({"dev1": ThingSpeakChannel(CHANNEL, SecretStr(wrong))})

    async def main(url):
        bridge = ThingSpeakBridge(ThingSpeakConfig(config.channels, base_url=url))
        bridge.submit(_summary(clock()))
        await bridge.step(now=clock())
        await bridge.aclose()
        return bridge

    with serve(fake) as url:
        bridge = asyncio.run(main(url))

    assert bridge.dropped_ == 1 and fake.entries(CHANNEL) == []
    assert any("HTTP 401" in r.getMessage() for r in caplog.records)
    assert all(wrong not in r.getMessage() for r in caplog.records)


def test_write_key_never_appears_in_logs_reprs_or_errors(fake, clock, caplog):
    caplog.set_level(logging.DEBUG)   # httpx and httpcore log every request at INFO/DEBUG
    with serve(fake) as url:
        config = _config(url)
        bridge = ThingSpeakBridge(config)
        fake.outage_status = 500
        _simulate(fake, clock, bridge, seconds=40.0)
        fake.outage_status = None
        clock.advance(1000.0)
        _simulate(fake, clock, bridge, seconds=40.0)

    assert fake.entries(CHANNEL)                       # it did post, with the key
    texts = [r.getMessage() for r in caplog.records] + [repr(config), repr(bridge), str(config.channels["dev1"])]
    assert len(caplog.records) > 5
    assert all(KEY not in text for text in texts)
    assert all(KEY not in str(r) for r in fake.received)


def test_buffer_is_bounded_and_drops_the_oldest():
    bridge = ThingSpeakBridge(_config("http://127.0.0.1:9", max_bulk=5))

    for i in range(8):
        bridge.submit(_summary(T0 + 15.0 * i))

    pending = bridge.outboxes_["dev1"].pending
    assert bridge.dropped_ == 3
    assert [s.time_s for s in pending] == [T0 + 15.0 * i for i in range(3, 8)]


def test_summaries_within_one_interval_coalesce_keeping_the_highest_alert_level():
    bridge = ThingSpeakBridge(_config("http://127.0.0.1:9"))

    bridge.submit(_summary(T0 + 1.0, alert_level=0))
    bridge.submit(_summary(T0 + 5.0, alert_level=3, hr_bpm=25.0))
    bridge.submit(_summary(T0 + 10.0, alert_level=1, hr_bpm=40.0))

    (kept,) = bridge.outboxes_["dev1"].pending
    assert (kept.time_s, kept.hr_bpm, kept.alert_level) == (T0 + 10.0, 40.0, 3)
    assert bridge.coalesced_ == 2


def test_unmirrored_device_is_ignored():
    bridge = ThingSpeakBridge(_config("http://127.0.0.1:9"))

    assert bridge.submit(DeviceSummary("other", time_s=T0)) is False


def test_network_failure_backs_off_with_doubling_waits():
    async def main():
        def refuse(request):
            raise httpx.ConnectError("refused")
        client = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
        bridge = ThingSpeakBridge(_config("http://thingspeak.invalid"), client=client)
        bridge.submit(_summary(T0))
        waits, now = [], T0
        for _ in range(4):
            await bridge.step(now=now)
            waits.append(bridge.outboxes_["dev1"].next_at - now)
            now = bridge.outboxes_["dev1"].next_at
        return bridge, waits

    bridge, waits = asyncio.run(main())

    assert waits == [32.0, 64.0, 128.0, 256.0]
    assert bridge.errors_ == 4 and len(bridge.outboxes_["dev1"].pending) == 1


def test_config_from_settings_reads_channels_and_hides_keys():
    settings = Settings(thingspeak_channels="dev1=123:KEYONE, dev2=456:KEYTWO", thingspeak_url="http://127.0.0.1:8015")

    config = ThingSpeakConfig.from_settings(settings)

    assert {d: c.channel_id for d, c in config.channels.items()} == {"dev1": 123, "dev2": 456}
    assert config.channels["dev2"].write_api_key.get_secret_value() == "KEYTWO"
    assert config.base_url == "http://127.0.0.1:8015"
    assert "KEYONE" not in repr(config) and "KEYTWO" not in repr(config)
    assert "KEYONE" not in repr(settings)


def test_config_from_settings_is_none_without_channels():
    assert ThingSpeakConfig.from_settings(Settings(thingspeak_channels=None, thingspeak_api_key=None)) is None


def test_config_from_settings_error_names_the_device_not_the_key():
    with pytest.raises(ValueError, match="dev1") as info:
        ThingSpeakConfig.from_settings(Settings(thingspeak_channels="dev1=abc:SECRETKEY"))

    assert "SECRETKEY" not in str(info.value)


def test_single_device_settings_form():
    config = ThingSpeakConfig.from_settings(Settings(thingspeak_api_key="K", thingspeak_device="esp",
                                                     thingspeak_channel_id=99))

    assert config.channels["esp"].channel_id == 99


def test_settings_read_the_thingspeak_environment(monkeypatch):
    monkeypatch.setenv("CARDIOWATCH_THINGSPEAK_CHANNELS", "dev1=123:KEYONE")

    config = ThingSpeakConfig.from_settings(Settings())

    assert config.channels["dev1"].channel_id == 123


# ------------------------------------------------------------------------------------ the fake itself
def test_fake_answers_zero_when_too_fast_then_429_on_abuse(fake, clock):
    answers = []
    for _ in range(5):
        status, _, body = fake.handle("POST", "/update", f"api_key={KEY}&field1=1".encode(),
                                      {"Content-Type": "application/x-www-form-urlencoded"})
        answers.append((status, body))
        clock.advance(1.0)
    clock.advance(15.0)
    after = fake.handle("GET", f"/update?api_key={KEY}&field1=2")

    assert answers == [(200, b"1"), (200, b"0"), (200, b"0"), (200, b"0"), (429, answers[4][1])]
    assert after[:1] == (200,) and after[2] == b"2"


def test_fake_takes_the_key_from_the_header_and_refuses_a_wrong_one(fake):
    ok = fake.handle("POST", "/update.json", b'{"field1": 5}', {"Content-Type": "application/json",
                                                                 "THINGSPEAKAPIKEY": KEY})
    bad = fake.handle("POST", "/update", b"api_key=nope&field1=5")

    assert ok[0] == 200 and ok[2] == b"1"
    assert bad[0] == 401


def test_fake_bulk_limits_size_and_unique_timestamps(fake, clock):
    def bulk(updates):
        import json
        return fake.handle("POST", f"/channels/{CHANNEL}/bulk_update.json",
                           json.dumps({"write_api_key": KEY, "updates": updates}).encode())[0]

    too_many = bulk([{"delta_t": 1, "field1": i} for i in range(961)])
    duplicate = bulk([{"created_at": "2027-01-15T08:00:00Z"}] * 2)
    ok = bulk([{"created_at": "2027-01-15T08:00:00Z"}, {"created_at": "2027-01-15T08:00:15Z"}])
    too_fast = bulk([{"created_at": "2027-01-15T08:00:30Z"}])

    assert (too_many, duplicate, ok, too_fast) == (400, 400, 202, 429)
    assert len(fake.entries(CHANNEL)) == 2


def test_fake_mqtt_publish_shares_the_rest_rate_limit(fake, clock):
    first = fake.mqtt_publish(CHANNEL, "field1=70&status=ok", api_key=KEY)
    clock.advance(5.0)
    rest = fake.handle("GET", f"/update?api_key={KEY}&field1=71")
    clock.advance(15.0)
    second = fake.mqtt_publish(CHANNEL, "field1=72", api_key=KEY)

    assert (first, rest[2], second) == (True, b"0", True)
    assert [e["field1"] for e in fake.entries(CHANNEL)] == ["70", "72"]


def test_run_loop_posts_on_its_own_clock_and_stops_when_cancelled(fake, clock):
    async def main(url):
        bridge = ThingSpeakBridge(_config(url))
        bridge.submit(_summary(clock()))
        sleeps = []

        async def fake_sleep(seconds):
            sleeps.append(seconds)
            clock.advance(seconds)
            if len(sleeps) == 20:
                bridge.submit(_summary(clock()))
            if len(sleeps) >= 40:
                raise asyncio.CancelledError
            await asyncio.sleep(0)

        with pytest.raises(asyncio.CancelledError):
            await bridge.run(clock=clock, sleep=fake_sleep, period_s=1.0)
        await bridge.aclose()
        return bridge

    with serve(fake) as url:
        bridge = asyncio.run(main(url))

    assert bridge.entries_posted_ == 2
    assert [r.at - T0 for r in fake.received] == [0.0, 20.0]
