"""The virtual device frames a source exactly as the firmware would, and injects the faults it is told."""

from __future__ import annotations

import numpy as np

from cardiowatch.protocol import FrameFlags, SensorKind, frame_decode
from cardiowatch.simulate.device import Faults, VirtualDevice
from cardiowatch.simulate.source import SignalSource


def _source(n: int = 1000, fs: float = 250.0) -> SignalSource:
    counts = (np.arange(n) % 200 - 100).astype(np.int32)
    return SignalSource("test", SensorKind.ECG, fs, counts, 5000, np.zeros(n, dtype=bool))


def test_frames_carry_every_sample_in_order_with_consecutive_seq() -> None:
    device = VirtualDevice(7, "tok", _source(), frame_samples=64, start_t_us=1_000_000)
    frames = [frame_decode(f.data) for f in device.frames_until(float("inf"))]
    assert [f.seq for f in frames] == list(range(len(frames)))
    np.testing.assert_array_equal(np.concatenate([f.samples[:, 0] for f in frames]), _source().counts)
    assert frames[1].t_us == 1_000_000 + round(64 / 250.0 * 1e6)


def test_frames_until_makes_only_frames_whose_samples_exist_by_then() -> None:
    device = VirtualDevice(7, "tok", _source(), frame_samples=50)
    assert len(device.frames_until(0.39)) == 1  # 50 samples = 0.2 s; the second needs 0.4 s
    assert len(device.frames_until(0.40)) == 1


def test_lead_off_fault_flags_and_flattens_its_frames() -> None:
    device = VirtualDevice(7, "tok", _source(), frame_samples=50, faults=Faults(lead_off=((1.0, 2.0),)))
    frames = [frame_decode(f.data) for f in device.frames_until(float("inf"))]
    off = [f for f in frames if f.flags & FrameFlags.LEAD_OFF]
    assert [f.seq for f in off] == list(range(5, 10))  # 1.0-2.0 s at 250 Hz, 50 samples per frame
    assert all(not f.samples.any() for f in off)


def test_clock_drift_stretches_device_time() -> None:
    device = VirtualDevice(7, "tok", _source(), frame_samples=250, faults=Faults(clock_drift_ppm=1000))
    frames = [frame_decode(f.data) for f in device.frames_until(float("inf"))]
    assert frames[2].t_us == round(2.0 * 1e6 * 1.001)


def test_acknowledged_frames_leave_the_queue_and_the_rest_is_resent_oldest_first() -> None:
    device = VirtualDevice(7, "tok", _source(), frame_samples=100)
    device.frames_until(float("inf"))
    device.acknowledge([0, 1, 3])
    assert [f.seq for f in device.to_send(limit=3)] == [2, 4, 5]
    device.acknowledge(list(range(10)))
    assert device.done


def test_replaying_the_source_continues_seq_and_device_time() -> None:
    device = VirtualDevice(7, "tok", _source(500), frame_samples=250)
    first = [frame_decode(f.data) for f in device.frames_until(float("inf"))]
    device.restart_source()
    again = [frame_decode(f.data) for f in device.frames_until(float("inf"))]
    assert [f.seq for f in again] == [2, 3]
    assert again[0].t_us == first[-1].t_us + 1_000_000
