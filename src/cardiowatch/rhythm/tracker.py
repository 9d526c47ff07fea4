"""Streaming rhythm analysis from beat times (and beat classes when known): `RhythmTracker`.

Rhythm codes follow the WFDB ``aux_note`` vocabulary (``"(" + code``):

==========  ==============================================================================================
``N``       normal sinus rhythm, or no other rhythm found
``AFIB``    atrial fibrillation or flutter (intervals alone cannot tell them apart; the reference AFL
            counts as AF)
``SBR``     sustained bradycardia: local rate < ``brady_bpm``
``SVTA``    sustained tachycardia: rate > ``tachy_bpm``, not AF and not ventricular. Sinus tachycardia
            and supraventricular tachyarrhythmia look the same in intervals; both are reported as SVTA.
``VT``      ventricular tachycardia: >= 3 consecutive ventricular (V) beats at > ``tachy_bpm``
``IVR``     idioventricular rhythm: >= 3 consecutive V beats at <= ``tachy_bpm``
``B``       ventricular bigeminy (V and non-V beats alternate over 7 beats)
``T``       ventricular trigeminy (one V every third beat over 9 beats)
==========  ==============================================================================================

``VT``, ``IVR``, ``B`` and ``T`` need beat classes (ECG); from PPG pulses they are never reported.
Events (`RhythmEvent`): ``PAUSE`` (interval > ``pause_s``), ``ASYSTOLE`` (> ``asystole_s``, also raised by
`RhythmTracker.advance_to` while no beat arrives), ``COUPLET`` (2 consecutive V), ``VRUN`` (>= 3 V, reported
when the run ends) and ``VT_ONSET`` (a run reached 3 beats faster than `VT_ONSET_MIN_BPM`: reported with that
beat, so a sustained run is known while it lasts). Only V beats make a run: an unclassifiable (Q) beat
ends it, so a run read into noise raises nothing. A run that starts within `VT_NOISE_NEAR_S` after a Q beat
needs stronger evidence when beat shapes are given: VT_ONSET waits until its last three V beats look alike
(`shape_similarity` >= `VT_ALIKE_MIN_CORR` for each pair), as the beats of a monomorphic VT do, while the
QRS detector's extra detections in electrode-motion noise (and the PVCs between them) do not.

References
----------
.. [1] Petrenas A, Marozas V, Sörnmo L. Low-complexity detection of atrial fibrillation in continuous
   long-term monitoring. Comput Biol Med 65:184-191 (2015).
.. [2] Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng Med Biol 20(3):45-50
   (2001) (rhythm annotation vocabulary).
"""

from __future__ import annotations

import bisect
import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cardiowatch._checks import check_fs
from cardiowatch._reduce import corr_1d
from cardiowatch.errors import SignalError
from cardiowatch.rhythm.af import window_end
from cardiowatch.rhythm.intervals import (
    ECTOPIC_CLASSES,
    MAX_RR_S,
    UNCLASSIFIABLE_CLASSES,
    ectopic_intervals,
    labels_in,
    local_rate_bpm,
    rr_intervals,
    rr_window_features,
)
from cardiowatch.rhythm.model import AfModel, load_af_model
from cardiowatch.stage import StageState, StreamingStage

logger = logging.getLogger(__name__)

#: Rhythm code -> meaning (see the module docstring); the aux_note is ``"(" + code``.
RHYTHMS: dict[str, str] = {
    "N": "normal sinus rhythm, or no other rhythm found",
    "AFIB": "atrial fibrillation or flutter",
    "SBR": "sustained bradycardia",
    "SVTA": "sustained tachycardia (sinus or supraventricular)",
    "VT": "ventricular tachycardia",
    "IVR": "idioventricular rhythm",
    "B": "ventricular bigeminy",
    "T": "ventricular trigeminy",
}
#: Event kinds.
EVENTS: dict[str, str] = {
    "PAUSE": "no beat for longer than pause_s",
    "ASYSTOLE": "no beat for longer than asystole_s",
    "COUPLET": "two consecutive ventricular beats",
    "VRUN": "three or more consecutive ventricular beats",
    "VT_ONSET": "a ventricular run reached three fast beats (its VRUN follows at its end)",
}
#: Beats a candidate rhythm must last before it is confirmed (AF uses the model's own figures).
MIN_BEATS: dict[str, int] = {"N": 8, "SBR": 8, "SVTA": 8, "VT": 1, "IVR": 1, "B": 4, "T": 6}
#: A ventricular run faster than this is VT for `VT_ONSET` (the alarm). Below the usual 100 bpm: slow VT of
#: 90-100 bpm is annotated VT on the development records (mitdb 205), idioventricular runs are slower.
VT_ONSET_MIN_BPM = 90.0
#: A ventricular run starting within this many seconds after an unclassifiable (Q) beat is "near noise": its
#: VT_ONSET needs alike beats. Chosen on the development records (``training/scripts/vt_run_shapes.py``):
#: the em-noise-built runs there start 0.5-4.5 s after noise, mitdb's real VT near noise 0.4-1.2 s.
VT_NOISE_NEAR_S = 5.0
#: Least `shape_similarity` of each pair of a near-noise run's last three V beats for VT_ONSET. On the
#: development records em-noise-built runs reach at most 0.56, mitdb's real VT near noise at least 0.91.
VT_ALIKE_MIN_CORR = 0.7
#: Beat shapes are compared at shifts of up to this many points (misaligned peaks of the same beat).
SHAPE_MAX_SHIFT = 3
#: Beat times at or past this are not sample indices of any real record (and would overflow int64).
_MAX_SAMPLE = 2.0**62
#: Labels of beats kept from before the undecided ones, for the bigeminy/trigeminy patterns.
_CONTEXT = 4
#: Non-AF rhythms of supraventricular origin: once in AF, a run of any mix of them ends it. Only the rate tells
#: them apart, and a rate hovering at 100 (or 50) bpm alternates their codes beat by beat.
SUPRAVENTRICULAR: tuple[str, ...] = ("N", "SBR", "SVTA")
#: Up to this many beats `RhythmTracker._candidates` decides them one by one in Python, past it in numpy.
_FEW_BEATS = 8
#: Padding after the undecided beats' context (`RhythmTracker._decide`): not ventricular, no interval.
_PAD_FALSE = np.zeros(_CONTEXT, dtype=bool)
_PAD_NAN = np.full(_CONTEXT, np.nan)
#: AF score of a beat no window has reached yet: below every threshold.
_NO_SCORE = np.float32(-np.inf)

#: Maps each beat's candidate rhythm codes (outside AF, once in AF) to those the episode rule reads.
CandidatePolicy = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def shape_similarity(a: np.ndarray, b: np.ndarray, max_shift: int = SHAPE_MAX_SHIFT) -> float:
    """Correlation of two beat shapes (equal-length rows): ``a``'s middle part against ``b``'s, shifted
    by up to ``max_shift`` points either way, the best shift's. NaN anywhere gives -1 (not alike)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    n = len(a)
    if n != len(b) or n <= 2 * max_shift + 2 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return -1.0
    core = a[max_shift:n - max_shift]
    return max(corr_1d(core, b[max_shift + k:n - max_shift + k]) for k in range(-max_shift, max_shift + 1))


def candidates_as_computed(enter: np.ndarray, stay: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shipped candidate policy: the rule reads each beat's candidates as `RhythmTracker` computed them."""
    return enter, stay


@dataclass(frozen=True)
class RhythmChange:
    """The rhythm changes to ``rhythm`` at beat ``sample``; known once beat ``detected_sample`` arrived."""

    sample: int
    rhythm: str
    detected_sample: int

    @property
    def aux_note(self) -> str:
        return f"({self.rhythm}"


@dataclass(frozen=True)
class RhythmEvent:
    """A pause, asystole, couplet or ventricular run from beat ``sample`` to ``end_sample``."""

    kind: str
    sample: int
    end_sample: int
    detected_sample: int
    n_beats: int = 0
    rate_bpm: float = math.nan


@dataclass(frozen=True)
class Episode:
    """A stretch of one rhythm, from its first beat to the first beat of the next rhythm (or the last beat)."""

    rhythm: str
    start_sample: int
    end_sample: int
    fs: float
    ongoing: bool = False

    @property
    def duration_s(self) -> float:
        return (self.end_sample - self.start_sample) / self.fs


class RhythmTracker(StreamingStage):
    """Rhythm state, AF episodes and rhythm events from a stream of beat times.

    Parameters
    ----------
    fs : float
        Sampling rate (Hz) of the beat sample indices.
    brady_bpm, tachy_bpm : float
        Sustained rate below / above which the rhythm is SBR / SVTA (or VT for ventricular runs).
    pause_s, asystole_s : float
        Intervals longer than these raise PAUSE / ASYSTOLE events.
    model : AfModel, optional
        The AF model; default the shipped ``rhythm_af.json`` (`cardiowatch.models`).
    ectopic_classes : tuple of str
        Beat classes whose intervals (before and after the beat) the AF windows leave out when classes are
        given; default `cardiowatch.rhythm.intervals.ECTOPIC_CLASSES`.
    candidate_policy : CandidatePolicy
        Rewrites each beat's candidate codes before the episode rule counts them; the default keeps them.
        Research scores alternative rules through it (``training/scripts/af_exit_rule_oof.py``).

    Notes
    -----
    ``process`` takes beats in chunks of any size (0 included) and returns the rhythm changes and events
    decided so far; a beat is decided once ``model.lookahead`` more valid intervals arrived, and a rhythm
    is confirmed after it lasted its minimum number of beats, then dated back to its first beat.
    Feeding a record in any split gives the same output as feeding it whole.
    Implausible intervals (< 0.25 s or > 3 s, see `cardiowatch.rhythm.intervals`) are excluded from the
    AF features and counted in ``n_invalid_rr_``; with beat classes, so are the intervals before and after
    each ventricular beat (``n_ectopic_rr_``, see `cardiowatch.rhythm.intervals.ECTOPIC_CLASSES`); NaN, negative or non-increasing beat times are dropped
    and counted in ``n_dropped_``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> rr = np.r_[np.full(200, 0.8), rng.uniform(0.35, 1.1, 400)]
    >>> beats = np.round(np.cumsum(rr) * 128).astype(np.int64)
    >>> tracker = RhythmTracker(fs=128.0)
    >>> out = tracker.process(beats) + tracker.flush()
    >>> tracker.episodes()[0].rhythm, tracker.episodes()[-1].rhythm
    ('N', 'AFIB')

    References
    ----------
    See the module references [1]_ [2]_.
    """

    def __init__(
        self,
        *,
        fs: float,
        brady_bpm: float = 50.0,
        tachy_bpm: float = 100.0,
        pause_s: float = 2.0,
        asystole_s: float = 4.0,
        model: AfModel | None = None,
        ectopic_classes: tuple[str, ...] = ECTOPIC_CLASSES,
        candidate_policy: CandidatePolicy = candidates_as_computed,
    ) -> None:
        self.fs = fs
        self.brady_bpm = brady_bpm
        self.tachy_bpm = tachy_bpm
        self.pause_s = pause_s
        self.asystole_s = asystole_s
        self.model = model
        self.ectopic_classes = ectopic_classes
        self.candidate_policy = candidate_policy

    # -- state -------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every beat: the next `process` starts a new record (or follows a gap in the data)."""
        self.fs_ = check_fs(self.fs)
        if not 0 < self.brady_bpm < self.tachy_bpm:
            raise ValueError(f"need 0 < brady_bpm < tachy_bpm, got {self.brady_bpm} and {self.tachy_bpm}")
        if not 0 < self.pause_s <= self.asystole_s:
            raise ValueError(f"need 0 < pause_s <= asystole_s, got {self.pause_s} and {self.asystole_s}")
        self.model_ = self.model if self.model is not None else load_af_model()
        if not self.model_.exit_threshold <= self.model_.threshold_af:
            raise ValueError(f"the AF model's exit threshold {self.model_.exit_threshold} exceeds its entry "
                             f"threshold {self.model_.threshold_af}")
        w = self.model_.window
        self.first_sample_: int | None = None
        self.last_sample_: int | None = None
        self.n_beats_ = 0
        self.n_plausible_ = 0  # plausible intervals so far: they time the decisions
        self.n_valid_ = 0  # of them, those the AF windows use (not touching a ventricular beat)
        self.n_invalid_rr_ = 0
        self.n_ectopic_rr_ = 0
        self.last_ectopic_ = False  # the last beat was ventricular (its next interval is left out too)
        self.last_untrusted_ = False  # the last beat was unclassifiable (likewise)
        self.n_dropped_ = 0
        self.rr_tail_ = np.empty(0)  # last valid intervals, up to window - 1
        self.last_window_: tuple[np.float32, float] | None = None  # newest window's AF score and rate
        self.q_first_end_ = w - 1  # plausible-interval ordinal of q_score_[0]
        self.q_score_ = np.empty(0, dtype=np.float32)
        self.q_rate_ = np.empty(0)
        self.q_avail_ = np.empty(0, dtype=np.int64)  # sample of the valid beat closing each window
        self.p_sample_ = np.empty(0, dtype=np.int64)  # beats not decided yet
        self.p_v_ = np.zeros(0, dtype=bool)  # which of them are ventricular
        self.p_doubt_ = np.zeros(0, dtype=bool)  # a V beat of a near-noise run not (yet) seen alike
        self.p_end_ = np.empty(0, dtype=np.int64)
        self.p_rr_ = np.empty(0)  # interval ending at each undecided beat (s; NaN: unknown or implausible)
        self.hist_v_ = np.zeros(_CONTEXT, dtype=bool)  # is-V of the last decided beats (context; none: False)
        self.hist_rr_ = np.full(_CONTEXT, np.nan)  # and their intervals (none: NaN)
        self.current_: str | None = None
        self.in_af_ = False  # AF, or a ventricular run that interrupted AF: the stay threshold applies
        self.cand_: str | None = None
        self.cand_start_ = 0
        self.cand_len_ = 0
        self.vrun_start_ = 0
        self.vrun_last_ = 0
        self.vrun_len_ = 0
        self.vrun_rr_: list[float] = []  # intervals ending at the open run's last three V beats
        self.vrun_onset_ = False  # VT_ONSET already reported for the open run
        self.vrun_shapes_: list[np.ndarray | None] = []  # shapes of the open run's last three V beats
        self.vrun_near_noise_ = False  # the open run started within VT_NOISE_NEAR_S after a Q beat
        self.vrun_alike_ = False  # its last three V beats looked alike at some beat
        self.vrun_samples_: list[int] = []  # its last three V beats
        self.last_q_: int | None = None  # newest unclassifiable beat
        self.asystole_reported_: int | None = None
        self.gap_ = False  # the signal was missing since the last beat: the next interval is unknown
        self.changes_: list[RhythmChange] = []
        self.events_: list[RhythmEvent] = []
        self._open()

    @property
    def delay_s(self) -> float:
        """Longest a rhythm change can be reported after the beat it is dated back to: the beat's
        look-ahead plus the longest confirmation, at the slowest plausible rate. A pause or a
        ventricular run is reported with the beat that ends it."""
        model = getattr(self, "model_", None) or self.model or load_af_model()
        longest = max(max(MIN_BEATS.values()), model.min_af_beats, model.min_exit_beats)
        return (model.lookahead + longest) * MAX_RR_S

    @property
    def rhythm(self) -> str | None:
        """The rhythm of the newest decided beat (a `RHYTHMS` code), None before the first decision."""
        return getattr(self, "current_", None)

    def _check_ready(self, call: str) -> None:
        if not hasattr(self, "fs_"):
            self.reset()
        self._check_open(call)

    # -- input ---------------------------------------------------------------------------------------
    def _clean(self, sample: np.ndarray, label: np.ndarray | list[str] | None,
               shapes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        s = np.asarray(sample)
        if s.ndim != 1:
            raise SignalError(f"beat samples must be 1-D, got shape {s.shape}")
        if label is None:
            lab = np.full(len(s), "", dtype=object)
        else:
            lab = np.asarray(label, dtype=object)
            if lab.shape != s.shape:
                raise SignalError(f"label has shape {lab.shape}, beats have {s.shape}")
        if not len(s):
            return np.empty(0, dtype=np.int64), lab, shapes
        if s.dtype.kind not in "iuf":
            raise SignalError(f"beat samples must be numbers, got dtype {s.dtype}")
        values = s.astype(np.float64)
        prev = -np.inf if self.last_sample_ is None else float(self.last_sample_)
        first, last = float(values[0]), float(values[-1])
        if (first > prev and first >= 0 and last < _MAX_SAMPLE
                and (len(values) == 1 or bool((values[1:] > values[:-1]).all()))):
            # the usual chunk: every time good, nothing to drop (the shapes copied, as dropping copies them)
            return values.astype(np.int64), lab, None if shapes is None else shapes.copy()
        with np.errstate(invalid="ignore"):
            keep = (values >= 0) & (values < _MAX_SAMPLE)  # NaN, inf, negative and absurd times are dropped
        before = np.maximum.accumulate(np.concatenate([[prev], np.where(keep, values, -np.inf)]))[:-1]
        keep &= values > before
        s = np.where(keep, values, 0).astype(np.int64)
        dropped = int((~keep).sum())
        if dropped:
            self.n_dropped_ += dropped
            logger.warning("dropped %d beat times that were NaN or not after the previous beat", dropped)
        return s[keep], lab[keep], None if shapes is None else shapes[keep]

    # -- public API ----------------------------------------------------------------------------------
    def process(self, sample: np.ndarray, label: np.ndarray | list[str] | None = None,
                shape: np.ndarray | None = None) -> list:
        """Add beats (sample indices from the record's start, ascending) and their AAMI classes if known.

        ``shape`` (optional, one row per beat, e.g. its waveform) lets a ventricular run that starts near
        noise be checked for alike beats (see the module docstring); without it that check is skipped. A
        V beat's NaN row is alike to nothing, so such a run waits for three readable, alike beats.
        Returns the `RhythmChange` and `RhythmEvent` objects decided by these beats, in order of detection.
        """
        self._check_ready("process")
        shapes = None
        if shape is not None:
            shapes = np.asarray(shape, dtype=np.float64)
            if shapes.ndim != 2 or len(shapes) != len(np.asarray(sample)):
                raise SignalError(f"shape must have one row per beat, got shape {shapes.shape}")
        s, lab, shapes = self._clean(sample, label, shapes)
        if not len(s):
            return []
        if self.first_sample_ is None:
            self.first_sample_ = int(s[0])
        out: list = []
        previous = None if self.gap_ else self.last_sample_
        self.gap_ = False
        rr, valid = rr_intervals(s, fs=self.fs_, previous=previous)
        plausible = valid.copy()
        self.n_invalid_rr_ += int((~valid[1:] if previous is None else ~valid).sum())
        ectopic = ectopic_intervals(lab, previous_ectopic=self.last_ectopic_, classes=tuple(self.ectopic_classes))
        self.n_ectopic_rr_ += int((valid & ectopic).sum())
        untrusted = ectopic_intervals(lab, previous_ectopic=self.last_untrusted_, classes=UNCLASSIFIABLE_CLASSES)
        valid &= ~(ectopic | untrusted)
        self.last_ectopic_ = lab[-1] in self.ectopic_classes
        self.last_untrusted_ = lab[-1] in UNCLASSIFIABLE_CLASSES
        out += self._pause_events(s, rr, untrusted)
        doubt = np.zeros(len(s), dtype=bool)
        rr_plausible = np.where(plausible, rr, np.nan)
        is_v = np.asarray(lab == "V", dtype=bool)
        out += self._ventricular_events(s, lab, is_v, rr_plausible, shapes, doubt)
        w, h = self.model_.window, self.model_.lookahead
        end = window_end(plausible, window=w, lookahead=h, n_valid_before=self.n_plausible_)
        self._add_windows(rr[plausible], valid[plausible], s[plausible])
        self.p_sample_ = np.concatenate([self.p_sample_, s])
        self.p_v_ = np.concatenate([self.p_v_, is_v])
        self.p_doubt_ = np.concatenate([self.p_doubt_, doubt])
        self.p_end_ = np.concatenate([self.p_end_, end])
        self.p_rr_ = np.concatenate([self.p_rr_, rr_plausible])
        self.last_sample_ = int(s[-1])
        self.n_beats_ += len(s)
        n_ready = int(np.searchsorted(self.p_end_, self.n_plausible_, side="left")) if len(self.q_score_) else 0
        out += self._decide(n_ready, final=False)
        return _by_detection(out)

    def flush(self) -> list:
        """End of input: decide the beats still waiting for look-ahead and close an open ventricular run."""
        self._check_ready("flush")
        out: list = []
        if len(self.p_sample_):
            out += self._decide(len(self.p_sample_), final=True)
        out += self._close_vrun(detected=self.last_sample_)
        self._close()
        return _by_detection(out)

    def mark_gap(self) -> None:
        """The signal is missing from the last beat on (lead off, lost frames): the interval to the next
        beat is unknown. It raises no pause or asystole and is left out of the AF features; the rhythm
        state and episodes are kept. Call `reset` instead to forget everything."""
        self._check_ready("mark_gap")
        self.gap_ = True

    def advance_to(self, sample: int) -> list[RhythmEvent]:
        """Tell the tracker that the signal reached ``sample`` with no new beat; may raise ASYSTOLE now."""
        self._check_ready("advance_to")
        if self.last_sample_ is None or self.gap_ or self.asystole_reported_ == self.last_sample_:
            return []
        if (sample - self.last_sample_) / self.fs_ <= self.asystole_s:
            return []
        self.asystole_reported_ = self.last_sample_
        event = RhythmEvent("ASYSTOLE", self.last_sample_, int(sample), int(sample))
        self.events_.append(event)
        return [event]

    def changes(self) -> list[RhythmChange]:
        """Every rhythm change so far."""
        return list(getattr(self, "changes_", []))

    def events(self) -> list[RhythmEvent]:
        """Every event so far, in order of detection."""
        return sorted(getattr(self, "events_", []), key=lambda e: (e.detected_sample, e.sample, e.kind))

    def episodes(self) -> list[Episode]:
        """Rhythm episodes so far; the last one is ongoing until `flush` (ends at the last beat)."""
        changes = self.changes()
        if not changes:
            return []
        last = self.last_sample_ if self.last_sample_ is not None else changes[-1].sample
        out = []
        for this, nxt in zip(changes, changes[1:] + [None]):
            end = nxt.sample if nxt is not None else last
            out.append(Episode(this.rhythm, this.sample, end, self.fs_, ongoing=nxt is None and self.state is StageState.OPEN))
        return out

    # -- internals -----------------------------------------------------------------------------------
    def _pause_events(self, s: np.ndarray, rr: np.ndarray, untrusted: np.ndarray) -> list[RhythmEvent]:
        out = []
        long_idx = np.flatnonzero(rr > self.pause_s)  # NaN (unknown) compares False
        for i in long_idx:
            start = int(s[i - 1]) if i > 0 else int(self.last_sample_)
            if rr[i] > self.asystole_s:
                if self.asystole_reported_ == start:
                    continue  # already raised by advance_to while waiting
                kind = "ASYSTOLE"  # raised even next to an unclassifiable beat: advance_to raises it live
            elif untrusted[i]:
                continue  # a beat missed in noise, most likely
            else:
                kind = "PAUSE"
            out.append(RhythmEvent(kind, start, int(s[i]), int(s[i]), 0, 60.0 / float(rr[i])))
        self.events_ += out
        return out

    def _close_vrun(self, *, detected: int | None) -> list[RhythmEvent]:
        length = self.vrun_len_
        self.vrun_len_, self.vrun_rr_, self.vrun_onset_, self.vrun_shapes_ = 0, [], False, []
        self.vrun_alike_, self.vrun_samples_ = False, []
        if length < 2 or detected is None:
            return []
        kind = "COUPLET" if length == 2 else "VRUN"
        span_s = (self.vrun_last_ - self.vrun_start_) / self.fs_
        rate = 60.0 * (length - 1) / span_s if span_s > 0 else math.nan
        event = RhythmEvent(kind, self.vrun_start_, self.vrun_last_, int(detected), length, rate)
        self.events_.append(event)
        return [event]

    def _ventricular_events(self, s: np.ndarray, lab: np.ndarray, is_v: np.ndarray, rr: np.ndarray,
                            shapes: np.ndarray | None, doubt: np.ndarray) -> list[RhythmEvent]:
        """Couplets and runs of V beats; ``rr`` is the plausible interval ending at each beat (else NaN).

        Sets ``doubt`` for the V beats from the third on of a near-noise run whose last three V beats do
        not look alike (yet): the rhythm reads them as not ventricular, so no VT rhythm is built of them.
        Once they look alike, the three are cleared (still undecided: the look-ahead is longer)."""
        if self.vrun_len_ == 0 and not is_v.any():  # no run open and none starts: only note the newest Q beat
            q = np.flatnonzero(labels_in(lab, UNCLASSIFIABLE_CLASSES))
            if len(q):
                self.last_q_ = int(s[q[-1]])
            return []
        prev_v = np.concatenate([[self.vrun_len_ > 0], is_v[:-1]])
        # newest Q beat at or before each beat
        q_at = np.where(labels_in(lab, UNCLASSIFIABLE_CLASSES), s, -1)
        last_q = np.maximum.accumulate(np.concatenate([[-1 if self.last_q_ is None else self.last_q_], q_at]))[1:]
        if last_q[-1] >= 0:
            self.last_q_ = int(last_q[-1])
        out = []
        for i in np.flatnonzero(is_v | prev_v):  # only beats in or right after a V run
            if not is_v[i]:
                out += self._close_vrun(detected=int(s[i]))
                continue
            if self.vrun_len_ == 0:
                self.vrun_start_ = int(s[i])
                self.vrun_near_noise_ = bool(shapes is not None and last_q[i] >= 0
                                             and (s[i] - last_q[i]) / self.fs_ <= VT_NOISE_NEAR_S)
            self.vrun_len_ += 1
            self.vrun_last_ = int(s[i])
            self.vrun_rr_ = (self.vrun_rr_ + [float(rr[i])])[-3:]
            self.vrun_shapes_ = (self.vrun_shapes_ + [None if shapes is None else shapes[i]])[-3:]
            self.vrun_samples_ = (self.vrun_samples_ + [int(s[i])])[-3:]
            if self.vrun_near_noise_ and self.vrun_len_ >= 3 and not self.vrun_alike_:
                self.vrun_alike_ = self._run_alike()
                if self.vrun_alike_:
                    doubt[np.isin(s, self.vrun_samples_)] = False
                    self.p_doubt_[np.isin(self.p_sample_, self.vrun_samples_)] = False
                else:
                    doubt[i] = True
            out += self._vt_onset(int(s[i]))
        return out

    def _run_alike(self) -> bool:
        """Whether each pair of the open run's last three V beats looks alike (True when shapes are not given)."""
        if any(shape is None for shape in self.vrun_shapes_):
            return True
        a, b, c = self.vrun_shapes_
        return all(shape_similarity(x, y) >= VT_ALIKE_MIN_CORR for x, y in ((a, b), (a, c), (b, c)))

    def _vt_onset(self, sample: int) -> list[RhythmEvent]:
        """VT_ONSET once the open run has 3 beats faster than `VT_ONSET_MIN_BPM`. Its rate, as the VT rhythm's, is
        the median of the intervals ending at its last three V beats (the first may be the coupling
        interval into the run: a run's own first V-V interval is often long)."""
        if self.vrun_onset_ or self.vrun_len_ < 3:
            return []
        known = [r for r in self.vrun_rr_ if not math.isnan(r)]
        rate = 60.0 / float(np.median(known)) if known else math.nan
        if not rate > VT_ONSET_MIN_BPM:
            return []
        if self.vrun_near_noise_ and not self.vrun_alike_:
            return []  # the next V beat of the run may make its last three alike
        self.vrun_onset_ = True
        event = RhythmEvent("VT_ONSET", self.vrun_start_, sample, sample, self.vrun_len_, rate)
        self.events_.append(event)
        return [event]

    def _add_windows(self, rr: np.ndarray, use: np.ndarray, s: np.ndarray) -> None:
        """AF score and rate as of each new plausible interval ``rr`` (closed by beat ``s``).

        The window as of an interval is the newest ``window`` intervals the AF features ``use``: intervals
        around ventricular beats (``use`` False) time the decisions like any other but add no window, so
        the window before them stands (ventricular bigeminy would otherwise hold every decision back).
        """
        w = self.model_.window
        if not len(rr):
            return
        n_old, v_old = self.n_plausible_, self.n_valid_
        arr = np.concatenate([self.rr_tail_, rr[use]])
        n_use = len(arr) - len(self.rr_tail_)
        self.n_plausible_ += len(rr)
        self.n_valid_ += n_use
        self.rr_tail_ = arr[-(w - 1):]
        if len(arr) >= w:
            new_score = self.model_.af_score(rr_window_features(arr, window=w))
            new_rate = local_rate_bpm(arr, window=w)
        else:
            new_score, new_rate = np.empty(0, dtype=np.float32), np.empty(0)
        # newest window (index counted over all windows so far) as of each new interval; -1: none yet
        newest = v_old + np.cumsum(use) - w
        has = newest >= 0
        if not has[-1]:  # newest never decreases: none has a window yet
            return
        first_new = v_old - (len(arr) - n_use)  # overall index of new_score[0]
        j = newest[has] - first_new
        old_score, old_rate = self.last_window_ if self.last_window_ is not None else (_NO_SCORE, np.nan)
        if j[0] >= 0:  # every interval has a new window (j never decreases)
            score, rate = new_score[j], new_rate[j]
        else:
            score = np.where(j >= 0, new_score[np.maximum(j, 0)] if len(new_score) else old_score, old_score)
            rate = np.where(j >= 0, new_rate[np.maximum(j, 0)] if len(new_rate) else old_rate, old_rate)
        self.last_window_ = (score[-1], float(rate[-1]))
        first_end = n_old + (len(has) - len(j))  # the first interval with a window
        # drop windows no undecided beat needs any more; the newest stays (flush uses it)
        old_first = self.q_first_end_ if len(self.q_score_) else first_end
        need = int(self.p_end_[0]) if len(self.p_end_) else first_end
        keep_from = min(max(need - old_first, 0), len(self.q_score_))
        self.q_score_ = np.concatenate([self.q_score_[keep_from:], score.astype(np.float32)])
        self.q_rate_ = np.concatenate([self.q_rate_[keep_from:], rate])
        self.q_avail_ = np.concatenate([self.q_avail_[keep_from:], s[has]])
        self.q_first_end_ = old_first + keep_from

    def _decide(self, n: int, *, final: bool) -> list[RhythmChange]:
        if n == 0:
            return []
        end = self.p_end_[:n]
        if len(self.q_score_):
            row = np.minimum(np.maximum(end - self.q_first_end_, 0), len(self.q_score_) - 1)
            score = self.q_score_[row]
            rate = self.q_rate_[row]
            avail = np.where(end < self.n_plausible_, self.q_avail_[row], self.last_sample_)
        else:  # record shorter than one window: no AF decision possible
            score = np.full(n, _NO_SCORE)
            rate = np.full(n, np.nan)
            avail = np.full(n, self.last_sample_)
        is_v = self.p_v_ & ~self.p_doubt_
        ctx = np.concatenate([self.hist_v_, is_v, _PAD_FALSE])
        rr_ctx = np.concatenate([self.hist_rr_, self.p_rr_, _PAD_NAN])
        enter, stay = self.candidate_policy(*self._candidates(ctx, rr_ctx, n, score, rate))
        out = self._smooth(enter, stay, self.p_sample_[:n], avail)
        self.hist_v_ = np.concatenate([self.hist_v_, is_v[:n]])[-_CONTEXT:]
        self.hist_rr_ = np.concatenate([self.hist_rr_, self.p_rr_[:n]])[-_CONTEXT:]
        self.p_rr_ = self.p_rr_[n:]
        self.p_sample_ = self.p_sample_[n:]
        self.p_v_ = self.p_v_[n:]
        self.p_doubt_ = self.p_doubt_[n:]
        self.p_end_ = self.p_end_[n:]
        return out

    def _candidates(self, ctx: np.ndarray, rr_ctx: np.ndarray, n: int, score: np.ndarray,
                    rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidate rhythm of each beat outside AF and once in AF (they differ only in the AF threshold).

        ``ctx`` and ``rr_ctx`` hold is-V and the interval of the decided context beats, the ``n`` beats and
        padding after them. The window ``rate`` leaves ventricular intervals out (it is the underlying
        rhythm's), so a ventricular run's own rate is the median interval ending at V beats within two
        beats of each beat."""
        if n <= _FEW_BEATS:
            return self._candidates_few(ctx.tolist(), rr_ctx.tolist(), n, score.tolist(), rate.tolist())
        p = np.arange(n) + _CONTEXT

        def v(offset: int) -> np.ndarray:
            return ctx[p + offset]

        vrun = (v(-2) & v(-1) & v(0)) | (v(-1) & v(0) & v(1)) | (v(0) & v(1) & v(2))
        vrun_fast = np.zeros(n, dtype=bool)
        if vrun.any():  # a median per beat is costly, and only beats in a run need one
            q = p[vrun]
            near_v_rr = np.column_stack([np.where(ctx[q + k], rr_ctx[q + k], np.nan) for k in range(-2, 3)])
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no plausible interval
                vrun_fast[vrun] = 60.0 / np.nanmedian(near_v_rr, axis=1) > self.tachy_bpm
        bigeminy = np.ones(n, dtype=bool)
        for k in range(-3, 3):
            bigeminy &= v(k) != v(k + 1)
        trigeminy = sum(v(k).astype(int) for k in range(-4, 5)) == 3
        for k in range(-4, 2):
            trigeminy &= v(k) == v(k + 3)
        with np.errstate(invalid="ignore"):
            fast, slow = rate > self.tachy_bpm, rate < self.brady_bpm

        def codes(score_threshold: np.float32) -> np.ndarray:
            af = score >= score_threshold
            return np.select(
                [vrun & vrun_fast, vrun, bigeminy, trigeminy, af, slow, fast],
                ["VT", "IVR", "B", "T", "AFIB", "SBR", "SVTA"],
                default="N",
            ).astype(object)

        m = self.model_
        enter = codes(m.enter_score)
        stay = enter.copy() if m.exit_threshold == m.threshold_af else codes(m.stay_score)
        # in AF, AF or not comes first: every supraventricular non-AF beat counts towards leaving it
        stay[labels_in(stay, SUPRAVENTRICULAR)] = "N"
        return enter, stay

    def _candidates_few(self, ctx: list[bool], rr_ctx: list[float], n: int, score: list[float],
                        rate: list[float]) -> tuple[np.ndarray, np.ndarray]:
        """`_candidates` beat by beat in Python, for the few beats a streaming chunk decides: the same
        rules and the same arithmetic (float32 scores and thresholds compare alike as floats; the run's
        median is numpy's, the middle value or the two middle values added and halved)."""
        m = self.model_
        enter_th, stay_th = float(m.enter_score), float(m.stay_score)
        same = m.exit_threshold == m.threshold_af
        enter, stay = [], []
        for i in range(n):
            p = i + _CONTEXT
            v = ctx[p - 4:p + 5]  # v[4] is the beat itself
            vrun = (v[2] and v[3] and v[4]) or (v[3] and v[4] and v[5]) or (v[4] and v[5] and v[6])
            if vrun:
                near = sorted(r for k, r in zip(v[2:7], rr_ctx[p - 2:p + 3]) if k and r == r)
                h = len(near) // 2
                med = (near[h] if len(near) % 2 else (near[h - 1] + near[h]) / 2) if near else math.nan
                code = "VT" if 60.0 / med > self.tachy_bpm else "IVR"
                enter.append(code)
                stay.append(code)
                continue
            if all(v[k] != v[k + 1] for k in range(1, 7)):
                code = "B"
            elif sum(v) == 3 and all(v[k] == v[k + 3] for k in range(6)):
                code = "T"
            else:
                code = None
            if code is not None:
                enter.append(code)
                stay.append(code)
                continue
            r = rate[i]
            rate_code = "SBR" if r < self.brady_bpm else "SVTA" if r > self.tachy_bpm else "N"
            enter.append("AFIB" if score[i] >= enter_th else rate_code)
            # in AF, AF or not comes first: every supraventricular non-AF beat counts towards leaving it
            stay.append("AFIB" if score[i] >= (enter_th if same else stay_th) else "N")
        return np.array(enter, dtype=object), np.array(stay, dtype=object)

    def _need(self, code: str) -> int:
        m = self.model_
        if code == "AFIB":  # back to AF after a ventricular run inside it: as soon as any rhythm could return
            return MIN_BEATS["N"] if self.in_af_ else m.min_af_beats
        if self.in_af_ and code not in ("VT", "IVR"):
            return max(MIN_BEATS[code], m.min_exit_beats)
        return MIN_BEATS[code]

    def _smooth(self, enter: np.ndarray, stay: np.ndarray, sample: np.ndarray,
                avail: np.ndarray) -> list[RhythmChange]:
        """Confirm rhythms run by run: ``enter`` codes apply outside AF, ``stay`` codes in AF and in a
        ventricular run that interrupted AF (hysteresis).

        A beat that is AF in ``enter`` is AF in ``stay`` too, and a non-AF beat in ``stay`` has the same
        code in ``enter`` (``N`` standing for any of `SUPRAVENTRICULAR`), so switching code arrays where AF
        starts or ends never splits a candidate run. Leaving AF for a supraventricular rhythm reports the
        ``enter`` code of the beat that confirmed it (its rate decides N, SBR or SVTA).
        """
        n = len(enter)
        bounds = {id(a): _run_ends(a) for a in (enter, stay)}
        out = []
        j0 = 0
        while j0 < n:
            codes = stay if self.in_af_ else enter
            b = bounds[id(codes)]
            j1 = b[bisect.bisect_right(b, j0)]
            length = j1 - j0
            code = codes[j0]
            if code == self.cand_:
                self.cand_len_ += length
            else:
                self.cand_, self.cand_start_, self.cand_len_ = code, int(sample[j0]), length
            need = self._need(code)
            if code != self.current_ and self.cand_len_ >= need:
                j_conf = j0 + max(need - (self.cand_len_ - length), 1) - 1
                start = self.cand_start_ if self.current_ is not None else self.first_sample_
                was_af = self.in_af_
                if was_af and code in SUPRAVENTRICULAR:
                    code = self.cand_ = enter[j_conf]
                change = RhythmChange(int(start), str(code), int(avail[j_conf]))
                # a ventricular run inside AF keeps the AF context: AF resumes after it on the stay threshold
                self.in_af_ = code == "AFIB" or (code in ("VT", "IVR") and was_af)
                self.current_ = code
                self.changes_.append(change)
                out.append(change)
                if was_af != self.in_af_ and stay is not enter:  # the other code array from here on
                    self.cand_len_ -= j1 - j_conf - 1
                    j1 = j_conf + 1
            j0 = j1
        return out


def _run_ends(codes: np.ndarray) -> list[int]:
    """Index after each run of equal codes, ascending (the last is ``len(codes)``)."""
    n = len(codes)
    if n <= _FEW_BEATS:
        return [j for j in range(1, n) if codes[j] != codes[j - 1]] + [n]
    return (np.flatnonzero(codes[1:] != codes[:-1]) + 1).tolist() + [n]


def _by_detection(found: list) -> list:
    """Changes and events in the order they were detected, whatever the chunking that found them."""
    return sorted(found, key=lambda f: (f.detected_sample, f.sample, type(f).__name__))
