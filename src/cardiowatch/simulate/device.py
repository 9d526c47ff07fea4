"""A virtual device: frames a `SignalSource` the way the firmware does, with optional faults.

The device is transport-agnostic and clock-free: `frames_until(t_s)` says which frames exist by device
time ``t_s``; the runner decides when that is (real time, accelerated, or as fast as possible) and
which transport carries them. Faults that lose data in transit are transient: the device keeps every
frame that was not acknowledged and resends it, exactly as the firmware's offline queue does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from cardiowatch.protocol import Frame, FrameFlags, SampleEncoding, frame_encode
from cardiowatch.simulate.source import SignalSource

#: Samples per frame, as docs/protocol.md recommends (200 ms at 250 Hz).
DEFAULT_FRAME_SAMPLES = 50


@dataclass(frozen=True)
class Faults:
    """Faults a virtual device injects. Rates are per frame; times are seconds of device time."""

    drop_rate: float = 0.0  #: frame lost in transit on its first try (resent later)
    duplicate_rate: float = 0.0  #: frame sent twice
    reconnect_every_s: float | None = None  #: link dropped and re-established this often
    clock_drift_ppm: float = 0.0  #: device clock runs fast (>0) or slow (<0)
    lead_off: tuple[tuple[float, float], ...] = ()  #: (start_s, end_s): flat samples, LEAD_OFF flag
    noise_bursts: tuple[tuple[float, float], ...] = ()  #: (start_s, end_s): strong broadband noise
    noise_counts: float = 400.0  #: RMS of the burst noise, in counts
    seed: int = 0

    @property
    def any(self) -> bool:
        return bool(self.drop_rate or self.duplicate_rate or self.reconnect_every_s or self.clock_drift_ppm
                    or self.lead_off or self.noise_bursts)


@dataclass
class OutgoingFrame:
    seq: int
    data: bytes
    t_end_s: float  #: device time at which the frame's last sample exists
    tries: int = 0


@dataclass
class VirtualDevice:
    """Frames a source with sequence numbers and device timestamps; remembers what is unacknowledged."""

    device_id: int
    token: str
    source: SignalSource
    frame_samples: int = DEFAULT_FRAME_SAMPLES
    faults: Faults = field(default_factory=Faults)
    start_t_us: int = 0
    first_seq: int = 0
    #: Device time is Unix time (the firmware syncs it with SNTP): frames carry CLOCK_SYNCED.
    clock_synced: bool = False

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.faults.seed + self.device_id)
        self._next_sample = 0
        self._loops = 0  # times the source was replayed from its start (demo loops)
        self._next_seq = self.first_seq
        self.pending: dict[int, OutgoingFrame] = {}  #: seq -> frame sent (or not) but not acknowledged
        self.acknowledged = 0
        #: (time.monotonic(), highest seq) after each acknowledgement: when the server had stored what
        self.ack_log: list[tuple[float, int]] = []
        self.dropped_in_transit = 0
        self.duplicates_sent = 0

    @property
    def done(self) -> bool:
        return self._next_sample >= len(self.source.counts) and not self.pending

    @property
    def finished_framing(self) -> bool:
        return self._next_sample >= len(self.source.counts)

    def frames_until(self, t_s: float) -> list[OutgoingFrame]:
        """Make every frame whose last sample exists by device time ``t_s``; they join `pending`."""
        fs = self.source.fs
        made: list[OutgoingFrame] = []
        while self._next_sample < len(self.source.counts):
            start = self._next_sample
            stop = min(start + self.frame_samples, len(self.source.counts))
            if (self._loop_offset + stop) / fs > t_s:
                break
            frame = self._frame(start, stop)
            out = OutgoingFrame(frame.seq, frame_encode(frame), (self._loop_offset + stop) / fs)
            self.pending[frame.seq] = out
            made.append(out)
            self._next_sample = stop
            self._next_seq += 1
        return made

    def _frame(self, start: int, stop: int) -> Frame:
        src = self.source
        fs = src.fs
        counts = src.counts[start:stop].astype(np.int64)
        flags = FrameFlags.CLOCK_SYNCED if self.clock_synced else FrameFlags.NONE
        t0_s, t1_s = start / fs, stop / fs
        invalid = src.invalid[start:stop]
        if invalid.any() or any(a < t1_s and b > t0_s for a, b in self.faults.lead_off):
            flags |= FrameFlags.LEAD_OFF
            mask = invalid.copy()
            for a, b in self.faults.lead_off:
                idx = np.arange(start, stop) / fs
                mask |= (idx >= a) & (idx < b)
            counts = np.where(mask, 0, counts)
        for a, b in self.faults.noise_bursts:
            if a < t1_s and b > t0_s:
                idx = np.arange(start, stop) / fs
                burst = (idx >= a) & (idx < b)
                counts = counts + np.where(burst, self._rng.normal(0, self.faults.noise_counts, len(counts)), 0)
        info = np.iinfo(np.int16)
        counts = np.clip(np.round(counts), info.min, info.max).astype(np.int64)
        drift = 1.0 + self.faults.clock_drift_ppm * 1e-6
        t_us = self.start_t_us + int(round((self._loop_offset + start) / fs * 1e6 * drift))
        return Frame(
            device_id=self.device_id, seq=self._next_seq, t_us=t_us,
            fs_millihz=int(round(fs * 1000)), sensor=src.sensor, samples=counts, flags=flags,
            encoding=SampleEncoding.INT16, scale_nv=src.scale_nv,
        )

    @property
    def _loop_offset(self) -> int:
        return self._loops * len(self.source.counts)

    def restart_source(self) -> None:
        """Replay the source again from its start, continuing sequence numbers and device time."""
        self._loops += 1
        self._next_sample = 0

    def to_send(self, *, limit: int) -> list[OutgoingFrame]:
        """Oldest unacknowledged frames first (resends included), at most ``limit``."""
        return [self.pending[s] for s in sorted(self.pending)[:limit]]

    def transit_lost(self, frame: OutgoingFrame) -> bool:
        """Decide whether the network loses this try of ``frame`` (only on a first try)."""
        frame.tries += 1
        lost = frame.tries == 1 and self._rng.random() < self.faults.drop_rate
        self.dropped_in_transit += lost
        return bool(lost)

    def send_twice(self) -> bool:
        dup = self._rng.random() < self.faults.duplicate_rate
        self.duplicates_sent += dup
        return bool(dup)

    def acknowledge(self, seqs: list[int]) -> None:
        """The server durably stored these frames: forget them."""
        for seq in seqs:
            if self.pending.pop(seq, None) is not None:
                self.acknowledged += 1
        if seqs:
            self.ack_log.append((time.monotonic(), max(seqs)))
