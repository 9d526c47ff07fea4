"""Read WFDB records and annotations (the only module that imports wfdb)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import wfdb

from cardiowatch.data.databases import database_dir, get_database
from cardiowatch.data.record import Annotations, Record
from cardiowatch.errors import RecordError


def _record_path(database: str, name: str, root: str | os.PathLike[str] | None) -> Path:
    return database_dir(database, root) / name


def read_annotations_file(path: str | os.PathLike[str], annotator: str, *, fs: float | None = None) -> Annotations:
    """Read ``<path>.<annotator>``; the sampling rate comes from the annotation file or its header."""
    path = Path(path)
    ann_file = path.with_name(f"{path.name}.{annotator}")
    if not ann_file.is_file():
        raise RecordError(f"annotation file {ann_file} not found")
    try:
        ann = wfdb.rdann(str(path), annotator)
    except (ValueError, IndexError, EOFError, OSError) as exc:
        raise RecordError(f"annotation file {ann_file} is unreadable or truncated: {exc}") from exc
    ann_fs = fs or ann.fs
    if not ann_fs:
        header = path.with_name(f"{path.name}.hea")
        if not header.is_file():
            raise RecordError(f"{ann_file}: no sampling rate in the annotation file and no header {header}")
        ann_fs = wfdb.rdheader(str(path)).fs
    aux = [(a or "").rstrip("\x00") for a in (ann.aux_note or [""] * len(ann.sample))]
    sample = np.asarray(ann.sample, dtype=np.int64)
    order = np.argsort(sample, kind="stable")
    return Annotations(
        sample=sample[order],
        symbol=np.asarray(ann.symbol, dtype=object)[order],
        aux_note=np.asarray(aux, dtype=object)[order],
        fs=float(ann_fs),
    )


def read_record_file(
    path: str | os.PathLike[str],
    *,
    annotator: str | None = None,
    channels: list[str] | None = None,
    database: str = "",
) -> Record:
    """Read a WFDB record at ``path`` (without extension), any sampling rate, channels by name."""
    path = Path(path)
    header = path.with_name(f"{path.name}.hea")
    if not header.is_file():
        raise RecordError(f"record header {header} not found")
    try:
        hdr = wfdb.rdheader(str(path))
    except (ValueError, IndexError, OSError) as exc:
        raise RecordError(f"record header {header} is unreadable: {exc}") from exc
    if not hdr.fs or hdr.fs <= 0:
        raise RecordError(f"record {path.name}: header gives no sampling rate")
    names = [n.strip().rstrip(",").strip() for n in (hdr.sig_name or [])]
    if channels is not None:
        missing = [c for c in channels if c not in names]
        if missing:
            raise RecordError(f"record {path.name}: channels {missing} not in {names}")
    signals: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    if names:
        wanted = [i for i, n in enumerate(names) if channels is None or n in channels]
        try:
            rec = wfdb.rdrecord(str(path), channels=wanted)
        except (ValueError, IndexError, EOFError, OSError) as exc:
            raise RecordError(f"record {path.name}: signal file unreadable or truncated: {exc}") from exc
        if rec.p_signal is None or rec.p_signal.shape[0] != hdr.sig_len:
            got = None if rec.p_signal is None else rec.p_signal.shape[0]
            raise RecordError(f"record {path.name}: signal truncated, {got} of {hdr.sig_len} samples")
        for col, i in enumerate(wanted):
            signals[names[i]] = np.ascontiguousarray(rec.p_signal[:, col], dtype=np.float64)
            units[names[i]] = (rec.units[col] or "").strip()
    annotations = (
        read_annotations_file(path, annotator, fs=float(hdr.fs)) if annotator is not None else None
    )
    return Record(path.name, database, float(hdr.fs), signals, units, annotations)


def read_record(
    database: str,
    name: str,
    *,
    root: str | os.PathLike[str] | None = None,
    channels: list[str] | None = None,
    annotator: str | None = "default",
    signals: bool = True,
) -> Record:
    """Read record ``name`` of ``database`` from the data root, with its reference annotations.

    ``annotator="default"`` reads the database's reference annotator (``atr`` for mitdb); pass None
    for none. ``signals=False`` (automatic for databases published without signals, like nsr2db) reads
    the header and annotations only, which is all the annotation-only copies hold.
    """
    db = get_database(database)
    ann = db.annotator if annotator == "default" else annotator
    path = _record_path(database, name, root)
    if signals and db.has_signals:
        return read_record_file(path, annotator=ann, channels=channels, database=database)
    if ann is None:
        raise RecordError(f"record {name} of {database}: without signals an annotator is needed")
    annotations = read_annotations_file(path, ann)
    return Record(name, database, annotations.fs, {}, {}, annotations)


def has_signal_files(database: str, name: str, *, root: str | os.PathLike[str] | None = None) -> bool:
    """Whether the local copy of a record holds the signal files its header names (annotation-only copies,
    such as ltafdb or nsrdb without their ``.dat`` files, do not)."""
    path = _record_path(database, name, root)
    try:
        hdr = wfdb.rdheader(str(path))
    except (ValueError, IndexError, OSError) as exc:
        raise RecordError(f"record header {path}.hea is unreadable: {exc}") from exc
    files = set(hdr.file_name or [])
    return bool(files) and all((path.parent / f).is_file() for f in files)


def read_annotations(
    database: str, name: str, *, annotator: str | None = None, root: str | os.PathLike[str] | None = None
) -> Annotations:
    """Reference (or ``annotator``) annotations of record ``name`` of ``database``."""
    db = get_database(database)
    return read_annotations_file(_record_path(database, name, root), annotator or db.annotator)


def write_annotations(
    directory: str | os.PathLike[str],
    record_name: str,
    extension: str,
    *,
    fs: float,
    sample: np.ndarray,
    symbol: list[str],
    aux_note: list[str] | None = None,
) -> Path:
    """Write a standard WFDB annotation file ``<directory>/<record_name>.<extension>``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sample = np.asarray(sample, dtype=np.int64)
    if len(sample) == 0:
        raise RecordError(f"{record_name}.{extension}: no annotations to write")
    wfdb.wrann(
        record_name,
        extension,
        sample=sample,
        symbol=list(symbol),
        aux_note=list(aux_note) if aux_note is not None else None,
        fs=fs,
        write_dir=str(directory),
    )
    return directory / f"{record_name}.{extension}"
