"""The one signal-quality vocabulary, the same for ECG and PPG.

A quality stage (`cardiowatch.signal.quality.EcgQuality`, `cardiowatch.signal.ppg_quality.PpgSignalQuality`)
reports the stretches of input that are *not* good as `QualitySegment`\\ s; every sample outside them is
good. The pipeline, the server's alerts, the dashboard and the evaluations read these and nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["QualityFlag", "QualitySegment"]


class QualityFlag(str, enum.Enum):
    """Why a stretch of signal is not good. ``unusable`` flags hide every beat; the others degrade it."""

    MISSING = "missing"  #: non-finite samples (NaN, inf): dropped or invalid data
    FLAT = "flat"  #: a constant value: a disconnected lead, a stuck ADC, no finger
    CLIPPED = "clipped"  #: samples held at the ADC or amplifier rails
    LEAD_OFF = "lead_off"  #: the front end says an electrode is off (AD8232 LO+/LO-)
    NOISY = "noisy"  #: broadband noise as large as the ECG itself
    MOTION = "motion"  #: a pulse amplitude or baseline jump that only movement explains
    LOW_PERFUSION = "low_perfusion"  #: a pulse too weak to time reliably

    @property
    def unusable(self) -> bool:
        """No beat can be seen here: no beats, no pause or asystole, no AF window across it."""
        return self in _UNUSABLE

    @property
    def unclassifiable(self) -> bool:
        """Beats are still seen here, but neither their shape nor their timing can be trusted: they are
        reported as ``Q`` and kept out of ectopy counts, ventricular runs, AF windows and the rate."""
        return self in _UNCLASSIFIABLE


_UNUSABLE = frozenset({QualityFlag.MISSING, QualityFlag.FLAT, QualityFlag.CLIPPED, QualityFlag.LEAD_OFF})
_UNCLASSIFIABLE = frozenset({QualityFlag.NOISY, QualityFlag.MOTION, QualityFlag.LOW_PERFUSION})


@dataclass(frozen=True)
class QualitySegment:
    """Samples ``start`` (inclusive) to ``end`` (exclusive), counted from the input's start, share ``flag``."""

    start: int
    end: int
    flag: QualityFlag

    def __post_init__(self) -> None:
        object.__setattr__(self, "flag", QualityFlag(self.flag))
        if not 0 <= self.start <= self.end:
            raise ValueError(f"a quality segment needs 0 <= start <= end, got {self.start}..{self.end}")

    @property
    def n_samples(self) -> int:
        return self.end - self.start
