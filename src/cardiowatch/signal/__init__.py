"""Filters, streaming QRS and PPG pulse detection, signal quality."""

from cardiowatch.signal.filters import EcgFilter, ecg_clean
from cardiowatch.signal.ppg import PpgPulseDetector, ppg_find_pulses
from cardiowatch.signal.ppg_quality import PpgQuality, PpgSignalQuality, QualitySegment, ppg_quality

__all__ = [
    "EcgFilter",
    "PpgPulseDetector",
    "PpgQuality",
    "PpgSignalQuality",
    "QualitySegment",
    "ecg_clean",
    "ppg_find_pulses",
    "ppg_quality",
]
