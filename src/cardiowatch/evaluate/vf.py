"""Per-second scoring of a shockable-rhythm detector, with the AHA performance goals.

Every second of a record gets one reference label (the rhythm at its middle) and one decision (the
detector's VF state once the second has ended, as known from the windows finished by then):

cudb
    ``[`` ... ``]`` is VF/flutter (to the end of the record when ``]`` is missing); rhythm aux notes
    ``(VF``, ``(VT``, ``(N``, ``(AF`` elsewhere; seconds with no rhythm stated are "other"; seconds before
    the record's first annotation are unlabelled and left out of every figure.
mitdb
    rhythm aux notes: ``(VFL`` is VF/flutter, ``(VT`` ventricular tachycardia, ``(N`` normal sinus, the rest
    "other"; seconds before the first rhythm label are unlabelled.

A VT episode is *rapid* (shockable) when its annotated beats come faster than `RAPID_VT_BPM`; slower VT
is reported on its own ("intermediate" in the AHA statement, no goal).

Figures (`VfReport`): sensitivity on VF and rapid-VT seconds, specificity on normal sinus and other
seconds, each with the seconds behind it; alarm delay from each VF episode's onset to the first VF state
entered within it (median, max; episodes never alarmed are counted); false VF alarms (entries into the
VF state at a second whose label is neither VF nor rapid VT) per hour of labelled signal.

Noise stress adds a noise record at an SNR defined as the MIT-BIH Noise Stress Test Database defines it:
signal power from the peak-to-peak amplitude of the clean record's QRS complexes (``A**2 / 8``, the power of
a sine of that peak-to-peak amplitude), not from the whole signal's variance (`noise_add_at_snr`).

References
----------
Kerber RE et al. Automatic external defibrillators for public access defibrillation: recommendations for
specifying and reporting arrhythmia analysis algorithm performance. Circulation 95:1677-1682 (1997).
Moody GB, Muldrow WE, Mark RG. A noise stress test for arrhythmia detectors. Computers in Cardiology
11:381-384 (1984).
"""

from __future__ import annotations

import argparse
import enum
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cardiowatch.data import MITDB_ALL, Record, list_records, read_record
from cardiowatch.evaluate.noise_stress import noise_add_at_snr, noise_part, qrs_amplitude
from cardiowatch.signal.vf import VfChange, VfDetector, VfModel, VfWindow

logger = logging.getLogger(__name__)

#: A VT faster than this (beats/min) counts as shockable (Kerber et al. 1997 leave the cut-off to the
#: maker; 180 is the common choice).
RAPID_VT_BPM = 180.0
#: AHA 1997 goals, and this project's stricter targets.
AHA_GOALS = {"vf_se": 90.0, "rapid_vt_se": 75.0, "nsr_sp": 99.0, "other_sp": 95.0}
TARGETS = {"vf_se": 95.0, "nsr_sp": 99.5, "other_sp": 97.0, "median_delay_s": 5.0}
#: Noise records of nstdb: the first half of each trains, the second half evaluates.
NOISE_RECORDS = ("em", "ma")
#: Feeding chunk for the evaluation runs (s): bounds memory; the output does not depend on it.
CHUNK_S = 60.0


class RhythmLabel(enum.IntEnum):
    """Reference label of one second."""

    UNLABELLED = 0
    VF = 1  #: ventricular fibrillation or flutter: shockable
    RAPID_VT = 2  #: VT faster than RAPID_VT_BPM: shockable
    SLOW_VT = 3  #: slower VT: intermediate, no goal
    NSR = 4  #: normal sinus rhythm
    OTHER = 5  #: every other non-shockable rhythm (AF, bigeminy, paced, noise ...)

    @property
    def shockable(self) -> bool:
        return self in (RhythmLabel.VF, RhythmLabel.RAPID_VT)


_AUX = {"(VF": RhythmLabel.VF, "(VFL": RhythmLabel.VF, "(VT": RhythmLabel.SLOW_VT, "(N": RhythmLabel.NSR}


def vf_reference_seconds(record: Record) -> np.ndarray:
    """Reference `RhythmLabel` (as int8) of every whole second of ``record``; see the module docstring."""
    ann = record.annotations
    if ann is None:
        raise ValueError(f"record {record.name}: reference annotations are needed")
    n_sec = int(record.n_samples // record.fs)
    mids = ((np.arange(n_sec) + 0.5) * record.fs).astype(np.int64)
    labels = np.full(n_sec, RhythmLabel.UNLABELLED, dtype=np.int8)
    symbols = ann.symbol.tolist()
    changes = [(int(s), a.rstrip("\x00").strip()) for s, a in ann.rhythm_changes()]
    if record.database == "cudb":
        start = int(ann.sample[0]) if len(ann) else record.n_samples
        labels[mids >= start] = RhythmLabel.OTHER
    for i, (s, aux) in enumerate(changes):
        end = changes[i + 1][0] if i + 1 < len(changes) else record.n_samples
        labels[(mids >= s) & (mids < end)] = _AUX.get(aux, RhythmLabel.OTHER)
    opened: int | None = None
    for s, sym in zip(ann.sample.tolist(), symbols):
        if sym == "[":
            opened = s
        elif sym == "]" and opened is not None:
            labels[(mids >= opened) & (mids < s)] = RhythmLabel.VF
            opened = None
    if opened is not None:
        labels[mids >= opened] = RhythmLabel.VF
    _mark_rapid_vt(labels, mids, ann.sample[ann.beat_mask], record.fs)
    return labels


def _mark_rapid_vt(labels: np.ndarray, mids: np.ndarray, beats: np.ndarray, fs: float) -> None:
    """Relabel each VT episode whose annotated beats come faster than `RAPID_VT_BPM`."""
    vt = labels == RhythmLabel.SLOW_VT
    for a, b in _runs(vt):
        inside = beats[(beats >= mids[a] - fs / 2) & (beats < mids[b - 1] + fs / 2)]
        if inside.size >= 3:
            bpm = 60.0 * fs * (inside.size - 1) / max(1, int(inside[-1] - inside[0]))
            if bpm > RAPID_VT_BPM:
                labels[a:b] = RhythmLabel.RAPID_VT


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def vf_decisions(events: list[VfWindow | VfChange], n_seconds: int, fs: float) -> np.ndarray:
    """The detector's VF state at the end of each second (False before its first window)."""
    windows = [e for e in events if isinstance(e, VfWindow)]
    ends = np.array([w.end for w in windows], dtype=np.int64)
    state = np.array([w.in_vf for w in windows], dtype=bool)
    second_ends = ((np.arange(n_seconds) + 1) * fs).astype(np.int64)
    idx = np.searchsorted(ends, second_ends, side="right") - 1
    return np.where(idx >= 0, state[np.maximum(idx, 0)] if state.size else False, False)


@dataclass(frozen=True)
class VfRecordScore:
    """Per-second counts of one record: ``seconds[label]`` and ``alarmed[label]`` (seconds in VF state)."""

    name: str
    seconds: dict[str, int]
    alarmed: dict[str, int]
    delays_s: tuple[float, ...]  #: alarm delay of each VF episode that was alarmed
    missed_episodes: int  #: VF episodes never alarmed
    false_alarms: int
    hours: float  #: labelled signal


def vf_score_record(name: str, labels: np.ndarray, events: list[VfWindow | VfChange], fs: float) -> VfRecordScore:
    """Score one record's detector output against its per-second labels."""
    decided = vf_decisions(events, labels.size, fs)
    seconds, alarmed = {}, {}
    for lab in RhythmLabel:
        if lab is RhythmLabel.UNLABELLED:
            continue
        mask = labels == lab
        seconds[lab.name] = int(mask.sum())
        alarmed[lab.name] = int((mask & decided).sum())
    entries = [int(e.sample // fs) for e in events if isinstance(e, VfChange) and e.in_vf]
    entries = [min(s, labels.size - 1) for s in entries]
    shockable = np.isin(labels, [RhythmLabel.VF, RhythmLabel.RAPID_VT])
    false_alarms = sum(1 for s in entries if labels[s] != RhythmLabel.UNLABELLED and not shockable[s])
    delays, missed = [], 0
    for a, b in _runs(labels == RhythmLabel.VF):
        if decided[a]:
            delays.append(0.0)
            continue
        hits = np.flatnonzero(decided[a:b])
        if hits.size:
            delays.append(float(hits[0] + 1))  # decided at the end of that second
        else:
            missed += 1
    hours = float((labels != RhythmLabel.UNLABELLED).sum()) / 3600.0
    return VfRecordScore(name, seconds, alarmed, tuple(delays), missed, false_alarms, hours)


@dataclass(frozen=True)
class VfReport:
    """Gross figures over records (pooled seconds) with the seconds behind each."""

    records: tuple[VfRecordScore, ...] = field(repr=False)

    def _total(self, what: str, label: RhythmLabel) -> int:
        return sum(getattr(r, what)[label.name] for r in self.records)

    def percent(self, label: RhythmLabel) -> float | None:
        """Se for shockable labels, Sp for the others (percent); None without seconds."""
        n = self._total("seconds", label)
        if n == 0:
            return None
        hit = self._total("alarmed", label)
        return 100.0 * (hit if label.shockable else n - hit) / n

    def to_dict(self) -> dict[str, object]:
        delays = [d for r in self.records for d in r.delays_s]
        hours = sum(r.hours for r in self.records)
        false = sum(r.false_alarms for r in self.records)
        by_rhythm = {}
        for lab in RhythmLabel:
            if lab is RhythmLabel.UNLABELLED:
                continue
            pct = self.percent(lab)
            by_rhythm[lab.name] = {"measure": "Se" if lab.shockable else "Sp",
                                   "percent": None if pct is None else round(pct, 3),
                                   "seconds": self._total("seconds", lab),
                                   "alarmed_seconds": self._total("alarmed", lab)}
        return {
            "by_rhythm": by_rhythm,
            "vf_episodes": len(delays) + sum(r.missed_episodes for r in self.records),
            "vf_episodes_missed": sum(r.missed_episodes for r in self.records),
            "delay_median_s": float(np.median(delays)) if delays else None,
            "delay_max_s": float(np.max(delays)) if delays else None,
            "false_vf_alarms": false,
            "hours": round(hours, 4),
            "false_vf_alarms_per_hour": round(false / hours, 4) if hours else None,
            "records_with_false_alarms": {r.name: r.false_alarms for r in self.records if r.false_alarms},
            "vf_seconds_by_record": {r.name: [r.seconds["VF"], r.alarmed["VF"]]
                                     for r in self.records if r.seconds["VF"]},
        }


def vf_run(x: np.ndarray, *, fs: float, model: VfModel | None = None) -> list[VfWindow | VfChange]:
    """The detector's output over a whole signal (fed in `CHUNK_S` chunks)."""
    det = VfDetector(fs=fs, model=model)
    step = int(CHUNK_S * det.fs)
    out: list[VfWindow | VfChange] = []
    for i in range(0, x.size, step):
        out += det.process(x[i : i + step])
    return out + det.flush()


def vf_score(database: str, name: str, *, model: VfModel | None = None, noise: str | None = None,
             snr_db: float | None = None, root: str | None = None) -> VfRecordScore:
    """Read, run and score one record; with ``noise`` the evaluation part of that nstdb record is added
    at ``snr_db`` (the noise record must have the record's sampling rate)."""
    rec = read_record(database, name, root=root)
    x = rec.signals[rec.ecg_lead()]
    labels = vf_reference_seconds(rec)
    tag = name
    if noise is not None:
        if snr_db is None:
            raise ValueError("noise needs snr_db")
        n, n_fs = noise_part(noise, "eval", root=root)
        if n_fs != rec.fs:
            raise ValueError(f"noise record {noise} at {n_fs} Hz, record {name} at {rec.fs} Hz")
        beats = rec.annotations.beats().sample  # type: ignore[union-attr]
        x = noise_add_at_snr(x, n, snr_db, qrs_ptp=qrs_amplitude(x, beats, fs=rec.fs))
        tag = f"{name}+{noise}@{snr_db:g}dB"
    return vf_score_record(tag, labels, vf_run(x, fs=rec.fs, model=model), rec.fs)


def mitdb_without_vf(root: str | None = None) -> list[str]:
    """mitdb records with no VF/flutter second."""
    out = []
    for name in MITDB_ALL:
        rec = read_record("mitdb", name, signals=False, root=root)
        if not any(a.startswith("(VF") for _, a in rec.annotations.rhythm_changes()):  # type: ignore[union-attr]
            out.append(name)
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m cardiowatch.evaluate.vf --database mitdb --records 100 101 [--noise em --snr 6]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="cudb")
    parser.add_argument("--records", nargs="*", help="default: every record (mitdb: those without VF "
                        "when --no-vf is given)")
    parser.add_argument("--no-vf", action="store_true", help="mitdb: only the records without VF")
    parser.add_argument("--noise", choices=NOISE_RECORDS)
    parser.add_argument("--snr", type=float, nargs="*", default=[None])
    parser.add_argument("--write", type=Path)
    args = parser.parse_args(argv)
    names = args.records or (mitdb_without_vf() if args.no_vf else list_records(args.database))
    out = {}
    for snr in args.snr:
        scores = [vf_score(args.database, n, noise=args.noise, snr_db=snr) for n in names]
        key = "clean" if args.noise is None else f"{args.noise}@{snr:g}dB"
        out[key] = VfReport(tuple(scores)).to_dict()
        logger.info("%s: %s", key, json.dumps(out[key]))
    text = json.dumps(out, indent=1)
    if args.write:
        args.write.write_text(text + "\n")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
