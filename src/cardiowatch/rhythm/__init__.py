"""Rhythm analysis from beat (or pulse) intervals: AF, brady/tachy, pauses, ectopy, HRV.

Input is beat times only (plus AAMI beat classes when an ECG gives them), so one code path serves ECG
and PPG. `RhythmTracker` is the streaming stage; `analyze_rhythm` runs it over a whole record.
"""

from cardiowatch.rhythm.hrv import HrvTime, HrvWindow, hrv_time
from cardiowatch.rhythm.intervals import FEATURE_NAMES, MAX_RR_S, MIN_RR_S, rr_intervals, rr_window_features
from cardiowatch.rhythm.model import AfModel, load_af_model
from cardiowatch.rhythm.summary import (
    RhythmResult,
    RhythmSummary,
    analyze_rhythm,
    episodes_to_annotations,
    rhythm_summary,
)
from cardiowatch.rhythm.tracker import EVENTS, RHYTHMS, Episode, RhythmChange, RhythmEvent, RhythmTracker

__all__ = [
    "EVENTS", "FEATURE_NAMES", "MAX_RR_S", "MIN_RR_S", "RHYTHMS", "AfModel", "Episode", "HrvTime", "HrvWindow",
    "RhythmChange", "RhythmEvent", "RhythmResult", "RhythmSummary", "RhythmTracker", "analyze_rhythm",
    "episodes_to_annotations", "hrv_time", "load_af_model", "rhythm_summary", "rr_intervals",
    "rr_window_features",
]
