"""BIDMC PPG and Respiration Dataset, in its WFDB form or its CSV form.

References
----------
Pimentel MAF et al. Towards a robust estimation of respiratory rate from pulse oximeters.
IEEE Trans Biomed Eng 64(8):1914-1923 (2016).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from cardiowatch.data.record import Record
from cardiowatch.data.wfdb_io import read_record
from cardiowatch.errors import RecordError


def _clean(name: str) -> str:
    return name.strip().rstrip(",").strip()


def read_bidmc(name: str, *, root: str | os.PathLike[str] | None = None) -> Record:
    """Read a BIDMC record (``bidmc01`` ... ``bidmc53``) from the data root; channels by name
    (RESP, PLETH, II and others; order differs between records)."""
    return read_record("bidmc", name, root=root, annotator=None)


def read_bidmc_numerics(name: str, *, root: str | os.PathLike[str] | None = None) -> Record:
    """The 1 Hz monitor numerics of a BIDMC record (HR, PULSE, RESP, SpO2) from ``<name>n``."""
    return read_record("bidmc", f"{name}n", root=root, annotator=None)


def read_bidmc_csv(signals_csv: str | os.PathLike[str]) -> Record:
    """Read ``bidmc_NN_Signals.csv`` (PhysioNet's CSV form); the rate comes from its time column."""
    path = Path(signals_csv)
    if not path.is_file():
        raise RecordError(f"BIDMC CSV {path} not found")
    with path.open(newline="") as f:
        reader = csv.reader(f)
        try:
            header = [_clean(h) for h in next(reader)]
        except StopIteration:
            raise RecordError(f"{path}: empty file") from None
        rows = [row for row in reader if row]
    if not header or not header[0].lower().startswith("time"):
        raise RecordError(f"{path}: first column must be time, got {header[:1]}")
    try:
        data = np.array([[float(v) if v.strip() else np.nan for v in row] for row in rows], dtype=np.float64)
    except ValueError as exc:
        raise RecordError(f"{path}: non-numeric value: {exc}") from exc
    if data.ndim != 2 or data.shape[1] != len(header) or len(data) < 2:
        raise RecordError(f"{path}: expected {len(header)} columns and at least 2 rows")
    time_s = data[:, 0]
    # The release prints time with 2 decimals past 100 s, so neighbours can tie: take the rate from the
    # whole span, and require only that time never goes back.
    if np.any(np.diff(time_s) < 0) or time_s[-1] <= time_s[0]:
        raise RecordError(f"{path}: time column is not increasing")
    fs = float(np.round((len(time_s) - 1) / (time_s[-1] - time_s[0]), 3))
    name = path.name.replace("_Signals.csv", "").replace("bidmc_", "bidmc")
    signals = {h: np.ascontiguousarray(data[:, i]) for i, h in enumerate(header) if i > 0}
    return Record(name, "bidmc", fs, signals, {}, None)
