"""Filters, streaming QRS and PPG pulse detection, signal quality."""

from cardiowatch.signal.filters import EcgFilter, ecg_clean
from cardiowatch.signal.ppg import PpgPulseDetector, ppg_find_pulses
from cardiowatch.signal.ppg_quality import PpgSignalQuality, ppg_quality
from cardiowatch.signal.qrs import QrsDetector, ecg_find_beats
from cardiowatch.signal.quality import EcgQuality
from cardiowatch.signal.quality_segment import QualityFlag, QualitySegment

__all__ = [
    "EcgFilter",
    "EcgQuality",
    "PpgPulseDetector",
    "PpgSignalQuality",
    "QrsDetector",
    "QualityFlag",
    "QualitySegment",
    "ecg_clean",
    "ecg_find_beats",
    "ppg_find_pulses",
    "ppg_quality",
]
