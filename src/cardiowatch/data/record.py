"""Our own small record types. Nothing outside `cardiowatch.data` sees wfdb's objects."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cardiowatch.data.aami import aami_codes, is_beat

#: Lead names searched, in order, when an ECG lead is wanted for beat analysis.
PREFERRED_ECG_LEADS: tuple[str, ...] = ("MLII", "II", "ML2", "V5", "V2", "V1", "V4", "I", "III", "ECG")
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
        """Name of the first present channel in ``preferred`` (MLII first); `KeyError` if none."""
        for name in preferred:
            if name in self.signals:
                return name
        raise KeyError(f"record {self.name}: none of the ECG leads {preferred} in {list(self.signals)}")
