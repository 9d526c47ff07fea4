"""Writing a stretch of signal with its annotations for a cardiologist's viewer: WFDB (wfdb) and EDF+ (edfio).

The signal is the device's own ADC counts; ``counts_per_unit`` (the ADC gain) turns them into physical
units (``mV`` for a sensor with a known scale, else ``adu``: arbitrary device units).

Gaps (samples never stored) are written honestly, each format in its own way:

    WFDB   the format's invalid-sample value (``wfdb.rdrecord`` reads it back as NaN), plus a ``"`` note
           whose aux is ``signal gap <seconds> s`` at the gap's first sample
    EDF+   EDF+C (one continuous record): the gap is filled with 0 counts (0 in physical units) and a
           ``signal gap`` annotation with the gap's onset and duration marks it; the end is padded the
           same way to a whole data record

Annotations: beats (their WFDB symbol; a PPG pulse, which has no class, is ``Q``), rhythm changes as
``+`` with aux ``(AFIB`` etc. (the MIT-BIH convention), notes such as alerts or lead-off as ``"`` with
their text. In EDF+ each becomes a TAL annotation: the beat symbol, the rhythm aux (``(AFIB``) or the
note's text.

References
----------
.. [1] Kemp B, Olivan J. European data format 'plus' (EDF+), an EDF alike standard format for the
   exchange of physiological data. Clin Neurophysiol 2003;114:1755-61.
.. [2] WFDB Applications Guide, "header(5)", "signal(5)" and "annotation(5)" (PhysioNet).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: What a gap's annotation says (WFDB aux after the symbol ``"``; EDF+ TAL text).
GAP_TEXT = "signal gap"
#: WFDB annotation symbols this module writes for a rhythm change and for a note.
RHYTHM_SYMBOL = "+"
NOTE_SYMBOL = '"'
#: EDF's digital sample is a 16-bit integer.
_EDF_DIGITAL = (-32768, 32767)
_WFDB_FMT16_INVALID = -32768


@dataclass(frozen=True)
class ExportAnnotation:
    """One annotation at ``sample``: a beat (``symbol`` its WFDB symbol), a rhythm change (``+`` with
    ``aux`` ``(AFIB``), or a note (``"`` with ``aux`` its text, and a ``duration_s`` for stretches)."""

    sample: int
    symbol: str
    aux: str = ""
    duration_s: float = 0.0


@dataclass
class ExportSignal:
    """A stretch of one device's signal, ready to write.

    ``counts`` has shape ``(n, channels)``; ``stored`` is False where no sample was stored (a gap).
    """

    name: str
    fs: float
    counts: np.ndarray
    stored: np.ndarray
    channel_names: Sequence[str]
    units: str
    counts_per_unit: float
    start: dt.datetime  #: the first sample, UTC
    annotations: list[ExportAnnotation] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.counts = np.asarray(self.counts, dtype=np.int64)
        if self.counts.ndim == 1:
            self.counts = self.counts[:, None]
        self.stored = np.asarray(self.stored, dtype=bool)
        if len(self.stored) != len(self.counts) or self.counts.shape[1] != len(self.channel_names):
            raise ValueError(f"expected counts (n, {len(self.channel_names)}) and stored (n,), got "
                             f"{self.counts.shape} and {self.stored.shape}")
        if not (self.fs > 0 and math.isfinite(self.fs)) or not (self.counts_per_unit > 0):
            raise ValueError(f"expected a positive sampling rate and ADC gain, got {self.fs} and "
                             f"{self.counts_per_unit}")

    @property
    def n_samples(self) -> int:
        return len(self.counts)

    def gaps(self) -> list[tuple[int, int]]:
        """``(first, end)`` sample of every run of samples not stored."""
        return runs(~self.stored)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(first, end)`` of every run of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _sorted_annotations(signal: ExportSignal) -> list[ExportAnnotation]:
    return sorted(signal.annotations, key=lambda a: a.sample)


# -------------------------------------------------------------------------------------------- WFDB
def write_wfdb(signal: ExportSignal, directory: Path) -> list[Path]:
    """Write ``<name>.hea``, ``<name>.dat`` and, when there are annotations, ``<name>.atr`` into
    ``directory``; return their paths."""
    import wfdb

    directory.mkdir(parents=True, exist_ok=True)
    counts = signal.counts
    fits16 = counts.size == 0 or (counts[signal.stored].min(initial=0) > _WFDB_FMT16_INVALID
                                  and counts[signal.stored].max(initial=0) <= 32767)
    fmt = "16" if fits16 else "32"
    invalid = _WFDB_FMT16_INVALID if fits16 else -(2**31)
    digital = np.where(signal.stored[:, None], counts, invalid).astype(np.int16 if fits16 else np.int32)
    channels = len(signal.channel_names)
    wfdb.wrsamp(signal.name, fs=signal.fs, units=[signal.units] * channels, sig_name=list(signal.channel_names),
                d_signal=digital, fmt=[fmt] * channels, adc_gain=[signal.counts_per_unit] * channels,
                baseline=[0] * channels, comments=list(signal.comments),
                base_datetime=signal.start.replace(tzinfo=None), write_dir=str(directory))
    paths = [directory / f"{signal.name}.hea", directory / f"{signal.name}.dat"]
    notes = [ExportAnnotation(first, NOTE_SYMBOL, f"{GAP_TEXT} {(end - first) / signal.fs:.3f} s")
             for first, end in signal.gaps()]
    annotations = sorted([*_sorted_annotations(signal), *notes], key=lambda a: a.sample)
    if annotations:
        wfdb.wrann(signal.name, "atr", np.array([a.sample for a in annotations], dtype=np.int64),
                   symbol=[a.symbol for a in annotations], aux_note=[a.aux for a in annotations], fs=signal.fs,
                   write_dir=str(directory))
        paths.append(directory / f"{signal.name}.atr")
    return paths


# -------------------------------------------------------------------------------------------- EDF+
def edf_text(annotation: ExportAnnotation) -> str:
    """The TAL text of an annotation: the rhythm's or note's aux, else the beat's symbol."""
    return annotation.aux if annotation.aux else annotation.symbol


def write_edf(signal: ExportSignal, path: Path) -> Path:
    """Write ``signal`` as one EDF+C file at ``path`` (see the module docstring for gaps and padding)."""
    from edfio import Edf, EdfAnnotation, EdfSignal, Patient, Recording

    record_s = _record_duration_s(signal.fs)
    per_record = round(record_s * signal.fs)
    n = signal.n_samples
    padded = max(per_record, math.ceil(n / per_record) * per_record)
    stored = np.zeros(padded, dtype=bool)
    stored[:n] = signal.stored
    counts = np.zeros((padded, signal.counts.shape[1]), dtype=np.int64)
    counts[:n][signal.stored] = signal.counts[signal.stored]
    unit_per_count = 1.0 / signal.counts_per_unit
    edf_signals = []
    for channel, label in enumerate(signal.channel_names):
        values = counts[:, channel]
        low, high = int(values.min()), max(int(values.max()), int(values.min()) + 1)
        if high - low <= _EDF_DIGITAL[1] - _EDF_DIGITAL[0]:
            # counts map one to one onto EDF's digital values: the file holds the ADC's own steps
            offset = 0
            if low < _EDF_DIGITAL[0]:
                offset = _EDF_DIGITAL[0] - low
            elif high > _EDF_DIGITAL[1]:
                offset = _EDF_DIGITAL[1] - high
            digital_range = (low + offset, high + offset)
        else:  # wider than 16 bits (an 18-bit PPG front end): EDF can only keep a coarser step
            digital_range = _EDF_DIGITAL
        edf_signals.append(EdfSignal(values * unit_per_count, signal.fs, label=label[:16],
                                     physical_dimension=signal.units[:8],
                                     physical_range=(low * unit_per_count, high * unit_per_count),
                                     digital_range=digital_range))
    annotations = [EdfAnnotation(a.sample / signal.fs, a.duration_s or None, edf_text(a))
                   for a in _sorted_annotations(signal)]
    annotations += [EdfAnnotation(first / signal.fs, (end - first) / signal.fs, GAP_TEXT)
                    for first, end in runs(~stored)]
    annotations.sort(key=lambda a: a.onset)
    start = signal.start.astimezone(dt.timezone.utc)
    edf = Edf(edf_signals, patient=Patient(), recording=Recording(startdate=start.date()),
              starttime=start.time().replace(tzinfo=None), data_record_duration=record_s, annotations=annotations)
    edf.write(path)
    return path


def _record_duration_s(fs: float) -> float:
    """The shortest whole-second data record holding a whole number of samples (1 s for integer rates)."""
    for seconds in range(1, 101):
        if abs(fs * seconds - round(fs * seconds)) < 1e-9 * fs * seconds:
            return float(seconds)
    raise ValueError(f"sampling rate {fs} Hz has no whole number of samples in any record up to 100 s")
