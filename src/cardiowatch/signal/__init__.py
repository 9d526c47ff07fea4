"""Filters, streaming QRS and PPG pulse detection, signal quality."""

from cardiowatch.signal.filters import EcgFilter, ecg_clean

__all__ = [
    "EcgFilter",
    "ecg_clean",
]
