"""Write the project's beats and rhythm changes as standard WFDB annotation files.

Any WFDB tool, or an independent EC57 scorer (bxb, rxr), can then compare them beat by beat with a
reference: beats carry the AAMI letters N, S, V, F, Q as symbols (Q also for PPG pulses, whose class is
unknown), and rhythm changes are ``+`` annotations whose aux_note is ``(N``, ``(AFIB``, ``(SBR``, ...
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cardiowatch.data import aami_codes, read_record, read_record_file
from cardiowatch.data.aami import AAMI_CLASSES
from cardiowatch.data.databases import DATABASES
from cardiowatch.data.record import PPG_CHANNEL, Record
from cardiowatch.data.wfdb_io import write_annotations
from cardiowatch.errors import RecordError
from cardiowatch.pipeline import Beat, RecordAnalysis, analyze_signal
from cardiowatch.rhythm.summary import analyze_rhythm, episodes_to_annotations

#: Annotator (file extension) of the files `annotate` writes.
ANNOTATOR = "cw"
#: Symbol written for a beat of unknown class (PPG pulses).
UNKNOWN_BEAT_SYMBOL = "Q"


@dataclass(frozen=True)
class AnnotateResult:
    record: str
    path: Path
    n_beats: int
    n_rhythm_changes: int


def load_record(spec: str, *, root: str | os.PathLike[str] | None = None, annotator: str | None = None,
                signals: bool = True) -> Record:
    """A record from a path (``dir/100``, with or without ``.hea``) or ``database/name`` (``mitdb/100``)."""
    path = Path(spec[:-4] if spec.endswith(".hea") else spec)
    if path.with_name(path.name + ".hea").is_file():
        if not signals:
            from cardiowatch.data import read_annotations_file

            ann = read_annotations_file(path, annotator) if annotator else None
            if ann is None:
                raise RecordError(f"{spec}: without signals an annotator is needed (--beats-from)")
            return Record(path.name, "", ann.fs, {}, {}, ann)
        return read_record_file(path, annotator=annotator)
    database, _, name = spec.partition("/")
    if database in DATABASES and name:
        return read_record(database, name, root=root, annotator=annotator, signals=signals)
    raise RecordError(f"record {spec!r} not found: give a path to a WFDB record or database/name "
                      f"(databases: {', '.join(DATABASES)})")


def analyze_record(record: Record, *, beats_from_annotations: bool = False) -> RecordAnalysis:
    """Run the pipeline on a record's ECG lead (or PPG channel), or on its annotated beats."""
    if beats_from_annotations:
        return _analyze_annotated_beats(record)
    if PPG_CHANNEL in record.signals and not _has_ecg(record):
        return analyze_signal(record.signals[PPG_CHANNEL], fs=record.fs, sensor="ppg")
    lead = record.ecg_lead()
    return analyze_signal(record.signals[lead], fs=record.fs, sensor="ecg")


def _has_ecg(record: Record) -> bool:
    try:
        record.ecg_lead()
    except KeyError:
        return False
    return True


def _analyze_annotated_beats(record: Record) -> RecordAnalysis:
    if record.annotations is None:
        raise RecordError(f"record {record.name}: no annotations to take beats from")
    ref = record.annotations.beats()
    labels = np.array([AAMI_CLASSES[c] for c in aami_codes(ref.symbol)], dtype=object)
    rhythm = analyze_rhythm(ref.sample, fs=record.fs, label=labels)
    n = int(ref.sample[-1]) + 1 if len(ref) else 0
    return RecordAnalysis(
        fs=record.fs, sensor="ecg", n_samples=max(record.n_samples, n),
        beats=[Beat(int(s), str(lab)) for s, lab in zip(ref.sample, labels)],
        rhythm_changes=list(rhythm.changes), events=list(rhythm.events), episodes=list(rhythm.episodes),
    )


def write_analysis(analysis: RecordAnalysis, *, record_name: str, out_dir: str | os.PathLike[str],
                   annotator: str = ANNOTATOR) -> Path:
    """Write beats (AAMI letters) and rhythm changes (``+`` with aux_note) into one annotation file."""
    rhythm_samples, rhythm_notes = episodes_to_annotations(list(analysis.rhythm_changes))
    samples = [b.sample for b in analysis.beats] + rhythm_samples.tolist()
    symbols = [b.label or UNKNOWN_BEAT_SYMBOL for b in analysis.beats] + ["+"] * len(rhythm_notes)
    aux = [""] * len(analysis.beats) + rhythm_notes
    order = np.argsort(np.asarray(samples, dtype=np.int64), kind="stable")
    return write_annotations(
        out_dir, record_name, annotator, fs=analysis.fs,
        sample=np.asarray(samples, dtype=np.int64)[order],
        symbol=[symbols[i] for i in order], aux_note=[aux[i] for i in order],
    )


def annotate_record(spec: str, *, out_dir: str | os.PathLike[str], beats_from: str | None = None,
                    root: str | os.PathLike[str] | None = None) -> AnnotateResult:
    """Analyse one record and write ``<out_dir>/<record>.cw``."""
    record = load_record(spec, root=root, annotator=beats_from, signals=beats_from is None)
    analysis = analyze_record(record, beats_from_annotations=beats_from is not None)
    path = write_analysis(analysis, record_name=record.name, out_dir=out_dir)
    return AnnotateResult(record.name, path, len(analysis.beats), len(analysis.rhythm_changes))
