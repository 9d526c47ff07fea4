"""ThingSpeak bridge: mirror per-device summaries to ThingSpeak channels within the free tier's limits.

ThingSpeak cannot carry a waveform or run a model; it gets one summary per device per
``sample_interval_s`` (15 s), one channel per device. Fields (the channel is set up as in
``docs/thingspeak.md``)::

    field1  heart rate, bpm
    field2  rhythm code, numeric (`RHYTHM_FIELD_CODES`; 0 = unknown / not analysable)
    field3  alert level: 0 none, 1 technical, 2 warning, 3 critical (`cardiowatch.server.alerts.alert_level`)
    field4  signal quality, % of the last window judged usable
    field5  battery, %
    status  rhythm in words (`RHYTHM_NAMES`)

Limits kept: at most one write call per channel per ``min_interval_s`` (15 s, plus ``margin_s`` for clock
skew between us and ThingSpeak), whether REST or bulk; a backlog goes out as one
``/channels/<id>/bulk_update.json`` call of up to 960 timestamped updates. A reply ``0`` (not inserted),
HTTP 429, 5xx or a network failure keep the entries and back off (the interval doubled per failure, up to
``max_backoff_s``); 400/401/403 drop the batch as a configuration error. Summaries wait in a bounded
buffer, so a long outage drops the oldest ones and counts them.

The write key is a `pydantic.SecretStr`: it goes only into request bodies (never the URL, which httpx
logs), and ``repr`` and logs show ``**********``.

Nothing here blocks ingest: `ThingSpeakBridge.submit` only files the summary; the `run` task posts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import httpx
from pydantic import SecretStr

from cardiowatch.server.config import Settings

__all__ = ["RHYTHM_FIELD_CODES", "RHYTHM_NAMES", "DeviceSummary", "ThingSpeakBridge", "ThingSpeakChannel",
           "ThingSpeakConfig"]

logger = logging.getLogger(__name__)

THINGSPEAK_URL = "https://api.thingspeak.com"

#: field2: rhythm code (`cardiowatch.server.alerts.RHYTHM_CODES`) -> number. Fixed forever (charts of old entries depend on it); new codes get new numbers.
RHYTHM_FIELD_CODES: Mapping[str, int] = MappingProxyType({
    "Q": 0, "N": 1, "SBR": 2, "SVTA": 3, "AFIB": 4, "AFL": 5, "B": 6, "T": 7, "VT": 8, "VFL": 9,
    "PAUSE": 10, "ASYS": 11, "IVR": 12, "NOD": 13, "BII": 14, "P": 15, "PREX": 16,
})

#: status: rhythm code -> words.
RHYTHM_NAMES: Mapping[str, str] = MappingProxyType({
    "Q": "unknown / not analysable", "N": "normal sinus rhythm", "SBR": "sinus bradycardia",
    "SVTA": "supraventricular tachyarrhythmia", "AFIB": "atrial fibrillation", "AFL": "atrial flutter",
    "B": "ventricular bigeminy", "T": "ventricular trigeminy", "VT": "ventricular tachycardia",
    "VFL": "ventricular flutter / fibrillation", "PAUSE": "pause", "ASYS": "asystole",
    "IVR": "idioventricular rhythm", "NOD": "nodal (junctional) rhythm", "BII": "2nd degree heart block",
    "P": "paced rhythm", "PREX": "pre-excitation (WPW)",
})

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class DeviceSummary:
    """What one device's channel gets per interval. ``time_s`` is Unix time; None fields are left empty."""

    device_id: str
    time_s: float
    hr_bpm: float | None = None
    rhythm: str | None = None
    alert_level: int = 0
    signal_quality_pct: float | None = None
    battery_pct: float | None = None

    def __post_init__(self) -> None:
        if self.rhythm is not None and self.rhythm not in RHYTHM_FIELD_CODES:
            raise ValueError(f"unknown rhythm code {self.rhythm!r}, expected one of {', '.join(RHYTHM_FIELD_CODES)}")
        if self.alert_level not in (0, 1, 2, 3):
            raise ValueError(f"alert_level must be 0-3, got {self.alert_level!r}")
        if not math.isfinite(self.time_s):
            raise ValueError(f"time_s must be finite, got {self.time_s!r}")

    def to_update(self) -> dict[str, str]:
        """One ThingSpeak update: ``created_at`` (ISO 8601 UTC, whole seconds), field1-5 and status."""
        update = {"created_at": dt.datetime.fromtimestamp(self.time_s, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        values = {"field1": _number(self.hr_bpm, 1),
                  "field2": None if self.rhythm is None else str(RHYTHM_FIELD_CODES[self.rhythm]),
                  "field3": str(self.alert_level),
                  "field4": _number(self.signal_quality_pct, 0), "field5": _number(self.battery_pct, 0),
                  "status": None if self.rhythm is None else RHYTHM_NAMES[self.rhythm]}
        update.update({k: v for k, v in values.items() if v is not None})
        return update


def _number(value: float | None, decimals: int) -> str | None:
    return None if value is None or not math.isfinite(value) else f"{value:.{decimals}f}"


@dataclass(frozen=True)
class ThingSpeakChannel:
    """A channel and its write key (shown as ``**********``)."""

    channel_id: int
    write_api_key: SecretStr

    def __post_init__(self) -> None:
        if not isinstance(self.write_api_key, SecretStr):
            object.__setattr__(self, "write_api_key", SecretStr(str(self.write_api_key)))


@dataclass(frozen=True)
class ThingSpeakConfig:
    """Which device goes to which channel, where ThingSpeak is, and the limits to keep."""

    channels: Mapping[str, ThingSpeakChannel]
    base_url: str = THINGSPEAK_URL
    min_interval_s: float = 15.0
    margin_s: float = 1.0
    sample_interval_s: float = 15.0
    max_bulk: int = 960
    timeout_s: float = 10.0
    max_backoff_s: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ThingSpeakConfig | None:
        """The channels of ``settings.thingspeak_*``; None when none is configured.

        ``thingspeak_channels="dev1=123:KEY1,dev2=456:KEY2"`` (``CARDIOWATCH_THINGSPEAK_CHANNELS``), or for
        one device ``thingspeak_device``, ``thingspeak_channel_id`` and ``thingspeak_api_key``;
        ``thingspeak_url`` for another base URL.
        """
        channels: dict[str, ThingSpeakChannel] = {}
        entries = "" if settings.thingspeak_channels is None else settings.thingspeak_channels.get_secret_value()
        for spec in filter(None, (s.strip() for s in entries.split(","))):
            device, _, rest = spec.partition("=")
            channel_id, _, key = rest.partition(":")
            if not (device and channel_id.isdigit() and key):
                # Say which entry, never the key itself.
                raise ValueError(f"CARDIOWATCH_THINGSPEAK_CHANNELS entry for device {device!r}: expected "
                                 "DEVICE=CHANNEL_ID:WRITE_KEY")
            channels[device] = ThingSpeakChannel(int(channel_id), SecretStr(key))
        if settings.thingspeak_api_key is not None:
            if settings.thingspeak_device is None or settings.thingspeak_channel_id is None:
                raise ValueError("CARDIOWATCH_THINGSPEAK_API_KEY needs CARDIOWATCH_THINGSPEAK_DEVICE and "
                                 "CARDIOWATCH_THINGSPEAK_CHANNEL_ID")
            channels[settings.thingspeak_device] = ThingSpeakChannel(settings.thingspeak_channel_id,
                                                                     settings.thingspeak_api_key)
        if not channels:
            return None
        if settings.thingspeak_url is not None:
            overrides.setdefault("base_url", settings.thingspeak_url)
        return cls(channels=MappingProxyType(channels), **overrides)


@dataclass
class _Outbox:
    channel: ThingSpeakChannel
    pending: list[DeviceSummary] = field(default_factory=list)
    last_bucket: int | None = None
    next_at: float = -math.inf
    failures: int = 0


class ThingSpeakBridge:
    """Post device summaries to ThingSpeak, one channel per device, within the free tier's limits.

    Parameters
    ----------
    config : ThingSpeakConfig
        Channels, base URL and limits.
    client : httpx.AsyncClient, optional
        A client to use; else one is made on the first post and closed by `aclose`.

    Examples
    --------
    >>> config = ThingSpeakConfig({"dev1": ThingSpeakChannel(123, SecretStr("KEY"))})
    >>> bridge = ThingSpeakBridge(config)
    >>> bridge.submit(DeviceSummary("dev1", time_s=1.7e9, hr_bpm=72.0, rhythm="N"))
    True
    >>> bridge                                   # the key never shows
    ThingSpeakBridge(https://api.thingspeak.com, channels={'dev1': 123}, pending=1)

    References
    ----------
    MathWorks, ThingSpeak REST API: "Write Data" and "Bulk-Write JSON Data" (free tier: one update per
    15 s per channel; up to 960 messages per bulk call, calls at least 15 s apart).
    """

    def __init__(self, config: ThingSpeakConfig, *, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.client = client
        self.reset()

    def __repr__(self) -> str:
        channels = {device: c.channel_id for device, c in self.config.channels.items()}
        pending = sum(len(box.pending) for box in self.outboxes_.values())
        return f"ThingSpeakBridge({self.config.base_url}, channels={channels}, pending={pending})"

    def reset(self) -> None:
        """Empty every outbox and zero the counters."""
        self.outboxes_: dict[str, _Outbox] = {d: _Outbox(c) for d, c in self.config.channels.items()}
        self.client_: httpx.AsyncClient | None = None
        self.entries_posted_ = 0
        self.calls_ = 0
        self.rejected_ = 0       # reply 0 or HTTP 429: too fast
        self.errors_ = 0         # 5xx, network, unexpected replies
        self.dropped_ = 0        # summaries lost: buffer full or a batch refused for good
        self.coalesced_ = 0      # summaries merged into the same interval

    # ----------------------------------------------------------------------------------------- input
    def submit(self, summary: DeviceSummary) -> bool:
        """File a summary for posting; False if its device is not mirrored. Never waits.

        Within one ``sample_interval_s`` bucket the latest summary wins, keeping the highest alert level.
        """
        box = self.outboxes_.get(summary.device_id)
        if box is None:
            return False
        bucket = math.floor(summary.time_s / self.config.sample_interval_s)
        if box.last_bucket is not None and bucket <= box.last_bucket:
            self.coalesced_ += 1
            if box.pending and bucket == box.last_bucket:
                level = max(box.pending[-1].alert_level, summary.alert_level)
                box.pending[-1] = dataclasses.replace(summary, alert_level=level)
            return True
        box.pending.append(summary)
        box.last_bucket = bucket
        if len(box.pending) > self.config.max_bulk:
            del box.pending[0]
            self.dropped_ += 1
        return True

    # ---------------------------------------------------------------------------------------- output
    async def step(self, *, now: float) -> int:
        """Post what is due at ``now`` (one call per due channel); return the entries ThingSpeak took."""
        posted = 0
        for device_id, box in self.outboxes_.items():
            if box.pending and now >= box.next_at:
                posted += await self._post(device_id, box, now)
        return posted

    async def run(self, *, clock: Callable[[], float] = time.time, sleep: Sleep = asyncio.sleep,
                  period_s: float = 1.0) -> None:
        """Post forever (until cancelled), checking every ``period_s``."""
        while True:
            await self.step(now=clock())
            await sleep(period_s)

    async def aclose(self) -> None:
        """Close the HTTP client if the bridge made it."""
        if self.client is None and self.client_ is not None:
            await self.client_.aclose()
        self.client_ = None

    async def _post(self, device_id: str, box: _Outbox, now: float) -> int:
        cfg = self.config
        batch = box.pending[:cfg.max_bulk]
        key = box.channel.write_api_key.get_secret_value()
        channel_id = box.channel.channel_id
        if self.client_ is None:
            self.client_ = self.client if self.client is not None else httpx.AsyncClient()
        self.calls_ += 1
        box.next_at = now + cfg.min_interval_s + cfg.margin_s
        try:
            if len(batch) == 1:
                response = await self.client_.post(f"{cfg.base_url}/update", timeout=cfg.timeout_s,
                                                   data={"api_key": key, **batch[0].to_update()})
                reply = response.text.strip()
                accepted = response.status_code == 200 and reply.isdigit() and int(reply) > 0
                if response.status_code == 200 and reply == "0":
                    return self._backoff(box, now, f"channel {channel_id}: reply 0 (not inserted)", rejected=True)
            else:
                body = json.dumps({"write_api_key": key, "updates": [s.to_update() for s in batch]})
                response = await self.client_.post(f"{cfg.base_url}/channels/{channel_id}/bulk_update.json",
                                                   content=body, timeout=cfg.timeout_s,
                                                   headers={"Content-Type": "application/json"})
                accepted = response.status_code in (200, 202) and _bulk_success(response)
        except httpx.HTTPError as exc:  # network failures, timeouts, broken replies
            return self._backoff(box, now, f"channel {channel_id}: {type(exc).__name__}")
        if accepted:
            del box.pending[:len(batch)]
            box.failures = 0
            self.entries_posted_ += len(batch)
            logger.debug("thingspeak channel %d (%s): %d entries posted", channel_id, device_id, len(batch))
            return len(batch)
        status = response.status_code
        if status == 429:
            return self._backoff(box, now, f"channel {channel_id}: HTTP 429", rejected=True)
        if status in (400, 401, 403, 404, 413):
            del box.pending[:len(batch)]
            self.dropped_ += len(batch)
            logger.error("thingspeak channel %d (%s): HTTP %d, %d entries dropped (check channel id and write "
                         "key)", channel_id, device_id, status, len(batch))
            return 0
        return self._backoff(box, now, f"channel {channel_id}: HTTP {status}")

    def _backoff(self, box: _Outbox, now: float, reason: str, *, rejected: bool = False) -> int:
        box.failures += 1
        if rejected:
            self.rejected_ += 1
        else:
            self.errors_ += 1
        cfg = self.config
        wait = min(cfg.max_backoff_s, (cfg.min_interval_s + cfg.margin_s) * 2 ** box.failures)
        box.next_at = now + wait
        logger.warning("thingspeak %s; %d entries kept, next try in %.0f s", reason, len(box.pending), wait)
        return 0


def _bulk_success(response: httpx.Response) -> bool:
    try:
        return bool(response.json().get("success"))
    except (ValueError, AttributeError):
        return False
