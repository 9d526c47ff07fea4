"""AF evaluation from beat annotations: per-beat Se/Sp, false AF episodes per 24 h, onset delay, robustness.

Run the whole evaluation (held-out ltafdb records and all of nsr2db; writes the model card's sidecar)::

    python -m cardiowatch.evaluate.rhythm --write models/rhythm_af.metrics.json

or the same figures on every record of another database with reference beats and rhythm (fetched with
``cardiowatch data fetch afdb``; afdb's beats are its unaudited ``qrs`` file, its rhythm ``atr``)::

    python -m cardiowatch.evaluate.rhythm --database afdb --write afdb.json

Definitions
-----------
- Reference rhythm of a beat: the last ``+`` annotation at or before it; ``(AFIB`` and ``(AFL`` are AF.
- Per-beat Se = AF beats detected as AF / reference AF beats; Sp = non-AF beats detected as non-AF /
  reference non-AF beats; gross (pooled over records).
- False AF episodes per 24 h: AF episodes detected on nsr2db (normal sinus rhythm throughout) per 24 h
  of recording.
- Onset delay: for every reference AF episode that starts after the record's first beat and not right after
  a ventricular rhythm (``(VT``, ``(IVR``: there AF resumes after a ventricular run, it does not begin), the time from
  its first beat to the moment the tracker *reported* AF (``RhythmChange.detected_sample``, which includes
  the look-ahead and confirmation), taking the first detected AF episode that overlaps it (0 when the
  tracker was still in AF from before). Episodes with no overlapping detection count as missed. The
  "fresh" delay counts only onsets whose detected episode starts at or after the reference onset, i.e.
  where the tracker really had to notice a new episode.
- Perturbed: beat times jittered with Gaussian noise (``jitter_s``, the PPG pulse timing error) and a
  share ``miss_rate`` of beats dropped at random (missed pulses), no beat classes (PPG gives none).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cardiowatch.data import AAMI_CLASSES, get_database, read_annotations
from cardiowatch.rhythm.intervals import ECTOPIC_CLASSES
from cardiowatch.rhythm.model import AfModel, load_af_model
from cardiowatch.rhythm.splits import LTAFDB_TEST
from cardiowatch.rhythm.tracker import CandidatePolicy, RhythmChange, RhythmTracker, candidates_as_computed

logger = logging.getLogger(__name__)

#: Reference rhythms counted as AF (flutter is grouped with fibrillation).
AF_RHYTHMS: frozenset[str] = frozenset({"AFIB", "AFL"})
#: Reference rhythms after which AF resumes rather than begins (not counted as AF onsets).
VENTRICULAR_RHYTHMS: frozenset[str] = frozenset({"VT", "IVR"})
#: Default PPG timing error (s) and missed-pulse share for the perturbed evaluation.
DEFAULT_JITTER_S = 0.010
DEFAULT_MISS_RATE = 0.02
#: Evaluated inputs: ECG beats with classes, intervals only (as from a PPG), perturbed intervals.
VARIANTS: tuple[str, ...] = ("ecg_beats", "intervals_only", "perturbed")
#: Seed of the perturbation noise.
PERTURB_SEED = 20261125


@dataclass(frozen=True)
class BeatRecord:
    """Reference beats of one record: times, AAMI classes and the reference rhythm of each beat."""

    name: str
    fs: float
    sample: np.ndarray
    label: np.ndarray  #: AAMI class per beat ("N", "S", "V", "F", "Q")
    rhythm: np.ndarray  #: reference rhythm code per beat ("" before the first rhythm annotation)

    @property
    def hours(self) -> float:
        return float(self.sample[-1] - self.sample[0]) / self.fs / 3600.0 if len(self.sample) > 1 else 0.0


def load_beat_record(database: str, name: str, *, root: str | os.PathLike[str] | None = None) -> BeatRecord:
    """Read the reference beats and per-beat reference rhythm of one record (from the data root ``root``)."""
    db = get_database(database)
    ann = read_annotations(database, name, root=root)
    rhythm_ann = read_annotations(database, name, annotator=db.rhythm_annotator, root=root) \
        if db.rhythm_annotator else ann
    changes = rhythm_ann.rhythm_changes()
    beats = ann.beats()
    rhythm = np.full(len(beats), "", dtype=object)
    if changes:
        at = np.array([s for s, _ in changes], dtype=np.int64)
        codes = np.array([a.lstrip("(").strip() for _, a in changes], dtype=object)
        idx = np.searchsorted(at, beats.sample, side="right") - 1
        rhythm = np.where(idx >= 0, codes[np.maximum(idx, 0)], "").astype(object)
    elif database in ("nsrdb", "nsr2db"):
        rhythm[:] = "N"  # normal sinus rhythm databases carry no rhythm annotations
    label = np.asarray(AAMI_CLASSES, dtype=object)[beats.aami]
    return BeatRecord(name, ann.fs, beats.sample, label, rhythm)


def beat_rhythm(sample: np.ndarray, changes: list[RhythmChange]) -> np.ndarray:
    """Rhythm code each beat is in, from a list of rhythm changes ("" before the first change)."""
    if not changes:
        return np.full(len(sample), "", dtype=object)
    at = np.array([c.sample for c in changes], dtype=np.int64)
    codes = np.array([c.rhythm for c in changes], dtype=object)
    idx = np.searchsorted(at, sample, side="right") - 1
    return np.where(idx >= 0, codes[np.maximum(idx, 0)], "").astype(object)


def perturb_beats(
    sample: np.ndarray, *, fs: float, jitter_s: float, miss_rate: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Jittered beat times and the indices of the beats kept (a share ``miss_rate`` is dropped)."""
    keep = np.flatnonzero(rng.random(len(sample)) >= miss_rate)
    jittered = sample[keep] + np.round(rng.normal(0.0, jitter_s * fs, len(keep))).astype(np.int64)
    order = np.argsort(jittered, kind="stable")
    return jittered[order], keep[order]


@dataclass
class AfScore:
    """Per-beat counts, detected episodes and onset delays, summed over records."""

    tp: int = 0
    fn: int = 0
    tn: int = 0
    fp: int = 0
    hours: float = 0.0
    af_episodes: int = 0
    onsets: int = 0
    missed_onsets: int = 0
    delays_s: list[float] = field(default_factory=list)
    fresh_delays_s: list[float] = field(default_factory=list)  #: onsets the tracker was not already in AF at

    def __add__(self, other: "AfScore") -> "AfScore":
        return AfScore(self.tp + other.tp, self.fn + other.fn, self.tn + other.tn, self.fp + other.fp,
                       self.hours + other.hours, self.af_episodes + other.af_episodes,
                       self.onsets + other.onsets, self.missed_onsets + other.missed_onsets,
                       self.delays_s + other.delays_s, self.fresh_delays_s + other.fresh_delays_s)

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def specificity(self) -> float:
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else float("nan")

    @property
    def af_episodes_per_24h(self) -> float:
        return self.af_episodes / self.hours * 24.0 if self.hours else float("nan")

    @property
    def median_delay_s(self) -> float:
        return float(np.median(self.delays_s)) if self.delays_s else float("nan")

    def summary(self) -> dict:
        return {
            "beats": self.tp + self.fn + self.tn + self.fp,
            "af_beats": self.tp + self.fn,
            "se_pct": round(100 * self.sensitivity, 2),
            "sp_pct": round(100 * self.specificity, 2),
            "hours": round(self.hours, 1),
            "af_episodes": self.af_episodes,
            "af_episodes_per_24h": round(self.af_episodes_per_24h, 3),
            "onsets": self.onsets,
            "missed_onsets": self.missed_onsets,
            "median_delay_s": round(self.median_delay_s, 1),
            "fresh_onsets": len(self.fresh_delays_s),
            "median_fresh_delay_s": round(float(np.median(self.fresh_delays_s)), 1) if self.fresh_delays_s
            else float("nan"),
        }


def _is_af(rhythm: np.ndarray) -> np.ndarray:
    out = np.zeros(len(rhythm), dtype=bool)
    for code in AF_RHYTHMS:
        out |= rhythm == code
    return out


def _af_runs(is_af: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.diff(np.r_[0, is_af.astype(np.int8), 0])
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # start index, end index (exclusive)


def score_record(
    record: BeatRecord,
    *,
    model: AfModel,
    use_labels: bool = True,
    jitter_s: float = 0.0,
    miss_rate: float = 0.0,
    rng: np.random.Generator | None = None,
    candidate_policy: CandidatePolicy = candidates_as_computed,
    ectopic_classes: tuple[str, ...] = ECTOPIC_CLASSES,
) -> AfScore:
    """Run `RhythmTracker` over one record's reference beats (optionally perturbed) and score AF."""
    sample, kept = record.sample, np.arange(len(record.sample))
    if jitter_s or miss_rate:
        sample, kept = perturb_beats(record.sample, fs=record.fs, jitter_s=jitter_s, miss_rate=miss_rate,
                                     rng=rng if rng is not None else np.random.default_rng(PERTURB_SEED))
    tracker = RhythmTracker(fs=record.fs, model=model, candidate_policy=candidate_policy,
                            ectopic_classes=ectopic_classes)
    tracker.process(sample, record.label[kept] if use_labels else None)
    tracker.flush()
    changes = tracker.changes()
    # score on the beats the tracker saw, against their own reference rhythm
    ref_all_af = _is_af(record.rhythm)
    ref_af = ref_all_af[kept]
    pred_af = _is_af(beat_rhythm(sample, changes))
    score = AfScore(
        tp=int((ref_af & pred_af).sum()), fn=int((ref_af & ~pred_af).sum()),
        tn=int((~ref_af & ~pred_af).sum()), fp=int((~ref_af & pred_af).sum()),
        hours=record.hours,
    )
    af_changes = [(i, c) for i, c in enumerate(changes) if c.rhythm in AF_RHYTHMS]
    score.af_episodes = len(af_changes)
    ends = [changes[i + 1].sample if i + 1 < len(changes) else int(sample[-1]) + 1 for i, _ in af_changes]
    det = [(c.sample, end, c.detected_sample) for (_, c), end in zip(af_changes, ends)]
    starts, stops = _af_runs(ref_all_af)
    for i0, i1 in zip(starts, stops):
        if i0 == 0 or record.rhythm[i0 - 1] in VENTRICULAR_RHYTHMS:
            continue  # onset before the recording started, or AF resuming after a ventricular run
        t0, t1 = int(record.sample[i0]), int(record.sample[i1 - 1])
        score.onsets += 1
        hit = next((d for d in det if d[0] <= t1 and d[1] > t0), None)
        if hit is None:
            score.missed_onsets += 1
        else:
            score.delays_s.append(max(hit[2] - t0, 0) / record.fs)
            if hit[0] >= t0:
                score.fresh_delays_s.append((hit[2] - t0) / record.fs)
    return score


def score_records(records, *, model: AfModel, **kwargs) -> AfScore:
    """`score_record` summed over ``records``."""
    return sum((score_record(rec, model=model, **kwargs) for rec in records), AfScore())


def variant_settings(*, jitter_s: float, miss_rate: float) -> dict[str, dict]:
    """`score_record`'s arguments for each of `VARIANTS`."""
    return {
        "ecg_beats": dict(use_labels=True),
        "intervals_only": dict(use_labels=False),
        "perturbed": dict(use_labels=False, jitter_s=jitter_s, miss_rate=miss_rate),
    }


def evaluate_af(
    *,
    model: AfModel | None = None,
    ltafdb_records: tuple[str, ...] = LTAFDB_TEST,
    nsr2db_records: tuple[str, ...] | None = None,
    jitter_s: float = DEFAULT_JITTER_S,
    miss_rate: float = DEFAULT_MISS_RATE,
    variants: tuple[str, ...] = VARIANTS,
) -> dict:
    """The model card's figures: held-out ltafdb and nsr2db, as ECG beats, as intervals only, perturbed."""
    from cardiowatch.data import list_records

    model = model if model is not None else load_af_model()
    t_start = time.perf_counter()
    af_recs = [load_beat_record("ltafdb", r) for r in ltafdb_records]
    nsr_recs = [load_beat_record("nsr2db", r) for r in (nsr2db_records or tuple(list_records("nsr2db")))]
    settings = variant_settings(jitter_s=jitter_s, miss_rate=miss_rate)
    out: dict = {"ltafdb_test_records": list(ltafdb_records), "nsr2db_records": len(nsr_recs),
                 "jitter_s": jitter_s, "miss_rate": miss_rate}
    for name in variants:
        kw = settings[name]
        rng = np.random.default_rng(PERTURB_SEED)
        ltaf = score_records(af_recs, model=model, rng=rng, **kw)
        nsr = score_records(nsr_recs, model=model, rng=rng, **kw)
        out[name] = {"ltafdb": ltaf.summary(), "nsr2db": nsr.summary()}
        logger.info("%s: ltafdb %s; nsr2db %s", name, ltaf.summary(), nsr.summary())
    out["seconds"] = round(time.perf_counter() - t_start, 1)
    return out


def evaluate_database(
    database: str,
    *,
    model: AfModel | None = None,
    records: tuple[str, ...] | None = None,
    root: str | os.PathLike[str] | None = None,
    jitter_s: float = DEFAULT_JITTER_S,
    miss_rate: float = DEFAULT_MISS_RATE,
    variants: tuple[str, ...] = VARIANTS,
) -> dict:
    """The same figures on every record (or ``records``) of another database with reference beats and
    rhythm: afdb, svdb, ltdb ... (`cardiowatch data fetch NAME`). None of them was used for training or
    tuning. A database of normal rhythm only gives false AF episodes per 24 h and Sp; Se needs AF in it."""
    from cardiowatch.data import list_records

    model = model if model is not None else load_af_model()
    names = records or tuple(list_records(database, root))
    recs = []
    for name in names:
        rec = load_beat_record(database, name, root=root)
        if len(rec.sample) < 2:
            logger.warning("%s/%s: fewer than two reference beats, left out", database, name)
            continue
        recs.append(rec)
    settings = variant_settings(jitter_s=jitter_s, miss_rate=miss_rate)
    out: dict = {"database": database, "records": [r.name for r in recs], "jitter_s": jitter_s,
                 "miss_rate": miss_rate}
    for name in variants:
        score = score_records(recs, model=model, rng=np.random.default_rng(PERTURB_SEED), **settings[name])
        out[name] = score.summary()
        logger.info("%s %s: %s", database, name, out[name])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="AF model JSON (default: shipped)")
    parser.add_argument("--jitter-s", type=float, default=DEFAULT_JITTER_S)
    parser.add_argument("--miss-rate", type=float, default=DEFAULT_MISS_RATE)
    parser.add_argument("--variant", action="append", choices=VARIANTS, help="only these (default: all)")
    parser.add_argument("--write", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--database", default=None,
                        help="score every record of this database instead (e.g. afdb; see `evaluate_database`)")
    parser.add_argument("--data", type=Path, default=None, help="data root for --database (else the default)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    model = load_af_model(args.model) if args.model else load_af_model()
    variants = tuple(args.variant or VARIANTS)
    if args.database:
        result = evaluate_database(args.database, model=model, root=args.data, jitter_s=args.jitter_s,
                                   miss_rate=args.miss_rate, variants=variants)
    else:
        result = evaluate_af(model=model, jitter_s=args.jitter_s, miss_rate=args.miss_rate, variants=variants)
    text = json.dumps(result, indent=1)
    if args.write:
        args.write.write_text(text + "\n")
    logger.info("%s", text)


if __name__ == "__main__":
    main()
