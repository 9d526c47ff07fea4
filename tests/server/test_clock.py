"""Placing frames in server time (`cardiowatch.server.storage.clock`): true spacing, never in the future,
never backwards, whatever the batching and delays."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch.protocol import Frame, FrameFlags, SensorKind
from cardiowatch.server.storage.clock import ClockAnchor, frame_duration_us, frames_place

FRAME_US = 200_000  #: 50 samples at 250 Hz
T0_US = 1_700_000_000_000_000


def frame(seq: int, *, boot_t_us: int = 3_000_000, flags: FrameFlags = FrameFlags.NONE, t_us: int | None = None) -> Frame:
    return Frame(device_id=1, seq=seq, t_us=boot_t_us + seq * FRAME_US if t_us is None else t_us,
                 fs_millihz=250_000, sensor=SensorKind.ECG, samples=np.zeros(50, dtype=int), flags=flags)


def place_batches(batches: list[list[Frame]], arrivals_us: list[int]) -> list[int]:
    """Place each batch as the store does: after the last frame placed before it."""
    anchor, out = None, []
    for batch, now_us in zip(batches, arrivals_us):
        times = frames_place(batch, anchor=anchor, now_us=now_us)
        out += times
        anchor = ClockAnchor.of(batch[-1], times[-1])
    return out


@settings(max_examples=100, deadline=None)
@given(sizes=st.lists(st.integers(1, 8), min_size=1, max_size=12),
       delays_us=st.lists(st.integers(0, 5_000_000), min_size=12, max_size=12))
def test_stored_times_keep_the_spacing_and_err_late_by_at_most_the_first_delay(sizes: list[int],
                                                                               delays_us: list[int]) -> None:
    # A device clock in step with ours: frame k's first sample is truly at T0_US + k * FRAME_US. Arrival
    # only bounds it, so the first batch's delay is the error the placement may keep; stored times must
    # not move backwards to shed it, and no later batch may add to it.
    frames = [frame(seq) for seq in range(sum(sizes))]
    batches, arrivals, start = [], [], 0
    for size, delay_us in zip(sizes, delays_us):
        batch = frames[start: start + size]
        start += size
        batches.append(batch)
        sent_us = T0_US + (batch[-1].seq + 1) * FRAME_US  # the batch leaves once its last frame is complete
        arrivals.append(max([sent_us + delay_us, *arrivals]))
    times = place_batches(batches, arrivals)
    errors_us = [t_us - (T0_US + seq * FRAME_US) for seq, t_us in enumerate(times)]
    assert all(later - earlier >= FRAME_US for earlier, later in zip(times, times[1:]))
    assert all(0 <= error_us <= delays_us[0] for error_us in errors_us)


def test_frames_continuing_the_anchor_keep_the_device_spacing_however_late_they_arrive() -> None:
    anchor = ClockAnchor.of(frame(9), T0_US)
    times = frames_place([frame(10), frame(11), frame(15)], anchor=anchor, now_us=T0_US + 3_600_000_000)
    assert times == [T0_US + FRAME_US, T0_US + 2 * FRAME_US, T0_US + 6 * FRAME_US]


def test_a_restarted_device_clock_is_placed_by_arrival() -> None:
    anchor = ClockAnchor.of(frame(9, boot_t_us=50_000_000), T0_US)
    now_us = T0_US + 30_000_000
    times = frames_place([frame(4096, boot_t_us=-4096 * FRAME_US)], anchor=anchor, now_us=now_us)
    assert times == [now_us - FRAME_US]


def test_a_synced_frame_is_stored_at_its_own_time_unless_it_claims_the_future() -> None:
    synced = FrameFlags.CLOCK_SYNCED
    now_us = T0_US + 10_000_000
    past, future = frame(0, flags=synced, t_us=T0_US), frame(1, flags=synced, t_us=now_us + 3600 * 10**6)
    assert frames_place([past], anchor=None, now_us=now_us) == [T0_US]
    assert frames_place([future], anchor=None, now_us=now_us) == [now_us - frame_duration_us(future)]
