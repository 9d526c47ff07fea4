"""Our own small record types. Nothing outside `cardiowatch.data` sees wfdb's objects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from cardiowatch.data.aami import aami_codes, is_beat

#: Lead names searched, in order, when an ECG lead is wanted for beat analysis.
PREFERRED_ECG_LEADS: tuple[str, ...] = ("MLII", "II", "ML2", "V5", "V2", "V1", "V4", "I", "III", "ECG")
#: Other names PhysioNet records give their ECG channels (afdb and svdb: ECG1, ECG2; edb: MLIII, V4; Holter
#: records: CM5, ModV1, D3; incartdb: aVF ...), taken in the record's order when no preferred lead is there.
ECG_CHANNEL_NAME = re.compile(r"(ECG|EKG).*|ML\s*(I{1,3}|\d)|(MOD)?\s*V\d|I{1,3}|AV[RLF]|D[1-3]|C[MC]\d|LEAD\s*\S+",
                              re.IGNORECASE)
#: Name of the photoplethysmogram channel (BIDMC, and what the simulator replays as a pulse sensor).
PPG_CHANNEL = "PLETH"


@dataclass(frozen=True)
class Annotations:
    """Annotations of one record: sample index from the record's start, symbol, aux note."""

    sample: np.ndarray  #: int64, sorted
    symbol: np.ndarray  #: str (object array)
    aux_note: np.ndarray  #: str (object array); '' where none
    fs: float

    def __len__(self) -> int:
        return len(self.sample)

    @property
    def beat_mask(self) -> np.ndarray:
        return is_beat(self.symbol)

    def beats(self) -> "Annotations":
        """Only the beat annotations (AAMI-mappable symbols)."""
        return self.select(self.beat_mask)

    def select(self, mask: np.ndarray) -> "Annotations":
        return Annotations(self.sample[mask], self.symbol[mask], self.aux_note[mask], self.fs)

    @property
    def aami(self) -> np.ndarray:
        """AAMI class index per annotation (-1 for non-beats); see `cardiowatch.data.aami`."""
        return aami_codes(self.symbol)

    def rhythm_changes(self) -> list[tuple[int, str]]:
        """(sample, rhythm) for every ``+`` annotation, e.g. ``(1234, "(AFIB")``."""
        return [
            (int(s), a) for s, sym, a in zip(self.sample, self.symbol, self.aux_note) if sym == "+" and a
        ]


@dataclass(frozen=True)
class Record:
    """One record: named channels in physical units, sampling rate, optional reference annotations."""

    name: str
    database: str
    fs: float
    signals: dict[str, np.ndarray]  #: channel name -> float64 samples in physical units (NaN = invalid)
    units: dict[str, str] = field(default_factory=dict)
    annotations: Annotations | None = None

    @property
    def n_samples(self) -> int:
        return len(next(iter(self.signals.values()))) if self.signals else 0

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    def ecg_lead(self, preferred: tuple[str, ...] = PREFERRED_ECG_LEADS) -> str:
        """Name of the first present channel in ``preferred`` (MLII first), else the record's first channel
        named like an ECG lead (`ECG_CHANNEL_NAME`); `KeyError` if none."""
        for name in preferred:
            if name in self.signals:
                return name
        for name in self.signals:
            if ECG_CHANNEL_NAME.fullmatch(name.strip()):
                return name
        raise KeyError(f"record {self.name}: none of the ECG leads {preferred} in {list(self.signals)}")
