"""Turn a record into what a sensor would put on the wire: raw integer counts at the record's rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cardiowatch.data.record import PPG_CHANNEL, Record
from cardiowatch.protocol import SensorKind

#: Nanovolts per count for simulated ECG: an AD8232 (gain 100) on the ESP32's 12-bit ADC at 11 dB is about
#: 8 uV per count at the electrodes; 5 uV keeps MIT-BIH's 11-bit resolution and fits int16 (+/-160 mV).
ECG_SCALE_NV = 5000
#: Full scale of the analog pulse sensor on the ESP32's 12-bit ADC.
PPG_ANALOG_FULL_SCALE = 4095


@dataclass(frozen=True)
class SignalSource:
    """Samples of one sensor channel as raw counts, ready to be framed."""

    name: str
    sensor: SensorKind
    fs: float
    counts: np.ndarray  #: int32, one value per sample
    scale_nv: int  #: nanovolts per count (0 = arbitrary units)
    invalid: np.ndarray  #: bool per sample: NaN in the record (sent as 0 with the lead-off flag)

    @property
    def duration_s(self) -> float:
        return len(self.counts) / self.fs


def source_from_record(record: Record, *, sensor: SensorKind | None = None) -> SignalSource:
    """The ECG lead (MLII first) of an ECG record, or the PLETH channel of a PPG record, as counts.

    ``sensor`` defaults to PPG (analog pulse sensor) when the record has a PLETH channel and no ECG
    lead is asked for, else ECG.
    """
    if sensor is None:
        sensor = SensorKind.PPG_ANALOG if PPG_CHANNEL in record.signals else SensorKind.ECG
    if sensor == SensorKind.ECG:
        lead = record.ecg_lead()
        x = record.signals[lead]
        invalid = ~np.isfinite(x)
        counts = np.round(np.where(invalid, 0.0, x) * 1e6 / ECG_SCALE_NV)
        counts = np.clip(counts, np.iinfo(np.int16).min, np.iinfo(np.int16).max)
        return SignalSource(f"{record.name}:{lead}", sensor, record.fs, counts.astype(np.int32),
                            ECG_SCALE_NV, invalid)
    if sensor == SensorKind.PPG_ANALOG:
        if PPG_CHANNEL not in record.signals:
            raise KeyError(f"record {record.name} has no {PPG_CHANNEL} channel: {list(record.signals)}")
        x = record.signals[PPG_CHANNEL]
        invalid = ~np.isfinite(x)
        # BIDMC PLETH is normalised to 0..1: map it onto the analog sensor's ADC range.
        counts = np.clip(np.round(np.where(invalid, 0.0, x) * PPG_ANALOG_FULL_SCALE), 0, PPG_ANALOG_FULL_SCALE)
        return SignalSource(f"{record.name}:{PPG_CHANNEL}", sensor, record.fs, counts.astype(np.int32), 0,
                            invalid)
    raise ValueError(f"cannot simulate sensor {sensor!r} from a record; use ECG or PPG_ANALOG")
