"""What the server feeds the pipeline from a frame: the right channel, in the right units and polarity."""

from __future__ import annotations

import numpy as np

from cardiowatch.protocol import Frame, FrameFlags, SampleEncoding, SensorKind
from cardiowatch.server.pipelines import frame_signal


def _frame(sensor: SensorKind, samples, **kwargs) -> Frame:
    return Frame(device_id=1, seq=0, t_us=0, fs_millihz=100_000, sensor=sensor, samples=samples, **kwargs)


def test_ecg_counts_become_millivolts_by_the_declared_scale() -> None:
    out = frame_signal(_frame(SensorKind.ECG, [1000, -500], scale_nv=5000))
    np.testing.assert_allclose(out, [5.0, -2.5])


def test_ecg_frame_with_lead_off_is_all_nan() -> None:
    out = frame_signal(_frame(SensorKind.ECG, [1000, 1001], scale_nv=5000, flags=FrameFlags.LEAD_OFF))
    assert np.isnan(out).all()


def test_max30102_ir_channel_is_negated_so_pulses_rise() -> None:
    red_ir = np.array([[70000, 120000], [70100, 119000]])
    out = frame_signal(_frame(SensorKind.PPG_RED_IR, red_ir, encoding=SampleEncoding.INT32))
    np.testing.assert_array_equal(out, [-120000.0, -119000.0])


def test_analog_pulse_sensor_keeps_its_polarity() -> None:
    np.testing.assert_array_equal(frame_signal(_frame(SensorKind.PPG_ANALOG, [2000, 2100])), [2000.0, 2100.0])
