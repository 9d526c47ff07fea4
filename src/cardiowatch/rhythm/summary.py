"""Whole-record rhythm analysis (a thin wrapper over `RhythmTracker`) and the summary people ask for.

`analyze_rhythm` runs the streaming tracker once over a record's beats; `rhythm_summary` adds heart
rate, HRV, AF burden, ectopic beats per hour and the longest pause; `episodes_to_annotations` turns the
result into WFDB rhythm annotations (``+`` with aux_note ``(AFIB`` ...) for ``cardiowatch annotate``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cardiowatch._checks import check_fs
from cardiowatch.rhythm.hrv import HrvTime, hrv_time
from cardiowatch.rhythm.intervals import rr_intervals
from cardiowatch.rhythm.tracker import Episode, RhythmChange, RhythmEvent, RhythmTracker

#: Rhythms counted in the AF burden.
AF_CODES: frozenset[str] = frozenset({"AFIB", "AFL"})
#: AAMI classes counted as ectopic beats.
ECTOPIC_CLASSES: frozenset[str] = frozenset({"S", "V"})


@dataclass(frozen=True)
class RhythmResult:
    """Everything `RhythmTracker` found in one record."""

    fs: float
    sample: np.ndarray
    label: np.ndarray | None
    changes: list[RhythmChange]
    events: list[RhythmEvent]
    episodes: list[Episode]
    n_invalid_rr: int
    n_dropped: int

    def beat_rhythm(self) -> np.ndarray:
        """Rhythm code of every beat ("" before the first decided beat)."""
        if not self.changes:
            return np.full(len(self.sample), "", dtype=object)
        at = np.array([c.sample for c in self.changes], dtype=np.int64)
        codes = np.array([c.rhythm for c in self.changes], dtype=object)
        idx = np.searchsorted(at, self.sample, side="right") - 1
        return np.where(idx >= 0, codes[np.maximum(idx, 0)], "").astype(object)


def analyze_rhythm(sample: np.ndarray, *, fs: float, label: np.ndarray | None = None, **tracker_args) -> RhythmResult:
    """Run `RhythmTracker` over a whole record's beats (the same code the server streams through).

    Examples
    --------
    >>> beats = np.cumsum(np.full(300, 128))      # 1 beat per second at fs = 128 Hz
    >>> result = analyze_rhythm(beats, fs=128.0)
    >>> [(e.rhythm, round(e.duration_s)) for e in result.episodes]
    [('N', 299)]
    """
    tracker = RhythmTracker(fs=fs, **tracker_args)
    tracker.process(sample, label)
    tracker.flush()
    s = np.asarray(sample)
    return RhythmResult(
        fs=check_fs(fs), sample=s, label=None if label is None else np.asarray(label, dtype=object),
        changes=tracker.changes(), events=tracker.events(), episodes=tracker.episodes(),
        n_invalid_rr=tracker.n_invalid_rr_, n_dropped=tracker.n_dropped_,
    )


@dataclass(frozen=True)
class RhythmSummary:
    """Summary figures of one record or one monitoring session."""

    duration_s: float
    n_beats: int
    mean_hr_bpm: float
    hrv: HrvTime
    af_burden_pct: float  #: share of the time in AF episodes
    ectopic_per_hour: float  #: S + V beats per hour; NaN without beat classes (PPG)
    sveb_per_hour: float
    veb_per_hour: float
    longest_pause_s: float  #: longest interval between beats
    episodes: list[Episode] = field(default_factory=list)  #: every episode other than normal rhythm
    events: list[RhythmEvent] = field(default_factory=list)
    invalid_interval_pct: float = 0.0  #: intervals excluded as implausible


def rhythm_summary(result: RhythmResult) -> RhythmSummary:
    """HR, HRV (SDNN, RMSSD, pNN50), AF burden, ectopic beats per hour, longest pause, episodes.

    Examples
    --------
    >>> beats = np.cumsum(np.full(300, 128))
    >>> s = rhythm_summary(analyze_rhythm(beats, fs=128.0))
    >>> round(s.mean_hr_bpm), s.af_burden_pct, s.longest_pause_s
    (60, 0.0, 1.0)
    """
    s = result.sample
    fs = result.fs
    duration_s = float(s[-1] - s[0]) / fs if len(s) > 1 else 0.0
    hours = duration_s / 3600.0
    rr, valid = rr_intervals(s, fs=fs)
    af_s = sum(e.duration_s for e in result.episodes if e.rhythm in AF_CODES)
    if result.label is not None and len(result.label):
        sveb = float((result.label == "S").sum())
        veb = float((result.label == "V").sum())
    else:
        sveb = veb = math.nan
    per_hour = (lambda n: n / hours if hours > 0 else math.nan)
    n_rr = max(len(s) - 1, 0)
    return RhythmSummary(
        duration_s=duration_s,
        n_beats=int(len(s)),
        mean_hr_bpm=60.0 / float(np.mean(rr[valid])) if valid.any() else math.nan,
        hrv=hrv_time(s, fs=fs, label=result.label),
        af_burden_pct=100.0 * af_s / duration_s if duration_s > 0 else math.nan,
        ectopic_per_hour=per_hour(sveb + veb),
        sveb_per_hour=per_hour(sveb),
        veb_per_hour=per_hour(veb),
        longest_pause_s=float(np.nanmax(rr)) if n_rr else math.nan,
        episodes=[e for e in result.episodes if e.rhythm != "N"],
        events=list(result.events),
        invalid_interval_pct=100.0 * (n_rr - int(valid[1:].sum())) / n_rr if n_rr else 0.0,
    )


def episodes_to_annotations(changes: list[RhythmChange]) -> tuple[np.ndarray, list[str]]:
    """WFDB rhythm annotations ``(sample, aux_note)`` (symbol ``+``) from rhythm changes.

    Examples
    --------
    >>> episodes_to_annotations([RhythmChange(0, "N", 40), RhythmChange(900, "AFIB", 1500)])
    (array([  0, 900]), ['(N', '(AFIB'])
    """
    return np.array([c.sample for c in changes], dtype=np.int64), [c.aux_note for c in changes]
