"""The PhysioNet databases cardiowatch reads, and where they live on disk."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from cardiowatch.errors import DataUnavailable

#: Environment variable naming the data root (a folder holding one sub-folder per database).
DATA_ENV = "CARDIOWATCH_DATA"


@dataclass(frozen=True)
class Database:
    """A PhysioNet database as cardiowatch uses it."""

    name: str
    version: str
    title: str
    annotator: str  #: extension of the reference beat annotation file
    has_signals: bool  #: False for annotation-only copies (ltafdb, nsrdb, nsr2db here)
    checksums: str | None  #: name of the published checksum list, if any
    #: annotation file of the reference rhythm when it is not the beat file (afdb: beats in qrs, rhythm in atr)
    rhythm_annotator: str | None = None

    @property
    def url(self) -> str:
        return f"https://physionet.org/files/{self.name}/{self.version}/"


DATABASES: dict[str, Database] = {
    db.name: db
    for db in (
        Database("mitdb", "1.0.0", "MIT-BIH Arrhythmia Database", "atr", True, "SHA256SUMS.txt"),
        Database("bidmc", "1.0.0", "BIDMC PPG and Respiration Dataset", "breath", True, "SHA256SUMS.txt"),
        Database("ltafdb", "1.0.0", "Long-Term AF Database", "atr", True, "SHA256SUMS.txt"),
        Database("nsrdb", "1.0.0", "MIT-BIH Normal Sinus Rhythm Database", "atr", True, "SHA256SUMS.txt"),
        Database("nsr2db", "1.0.0", "MIT-BIH Normal Sinus Rhythm RR Interval Database", "ecg", False,
                 "SHA256SUMS.txt"),
        Database("nstdb", "1.0.0", "MIT-BIH Noise Stress Test Database", "atr", True, "SHA256SUMS.txt"),
        Database("cudb", "1.0.0", "CU Ventricular Tachyarrhythmia Database", "atr", True, "SHA256SUMS.txt"),
        # Not kept here, but fetched and read the same way (`cardiowatch data fetch afdb`): other recorders,
        # sampling rates and leads for trying the models on new patients.
        Database("afdb", "1.0.0", "MIT-BIH Atrial Fibrillation Database", "qrs", True, "SHA256SUMS.txt",
                 rhythm_annotator="atr"),
        Database("svdb", "1.0.0", "MIT-BIH Supraventricular Arrhythmia Database", "atr", True, "SHA256SUMS.txt"),
        Database("incartdb", "1.0.0", "St Petersburg INCART 12-lead Arrhythmia Database", "atr", True,
                 "SHA256SUMS.txt"),
        Database("edb", "1.0.0", "European ST-T Database", "atr", True, "SHA256SUMS.txt"),
        Database("ltdb", "1.0.0", "MIT-BIH Long-Term ECG Database", "atr", True, "SHA256SUMS.txt"),
    )
}


def get_database(name: str) -> Database:
    """Return the `Database` called ``name``; raise `ValueError` naming the known ones otherwise."""
    try:
        return DATABASES[name]
    except KeyError:
        known = ", ".join(sorted(DATABASES))
        raise ValueError(f"unknown database {name!r}; known: {known}") from None


def _repo_root() -> Path:
    # src/cardiowatch/data/databases.py -> the repository (or site-packages) three levels up
    return Path(__file__).resolve().parents[3]


def default_cache_dir() -> Path:
    """Where `cardiowatch data fetch` puts databases when nothing else is configured."""
    return Path(platformdirs.user_cache_dir("cardiowatch")) / "physionet"


def data_root(override: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the data root: ``override``, else ``$CARDIOWATCH_DATA``, else ``../shared/physionet``
    (beside the working directory or the repository), else the user cache directory."""
    if override is not None:
        return Path(override).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    for base in (Path.cwd(), _repo_root()):
        shared = base.parent / "shared" / "physionet"
        if shared.is_dir():
            return shared
    return default_cache_dir()


def database_dir(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    """Folder of database ``name`` under the data root; `DataUnavailable` if it is not there."""
    db = get_database(name)
    folder = data_root(root) / db.name
    if not (folder / "RECORDS").is_file():
        raise DataUnavailable(
            f"database {db.name} not found in {folder}; run `cardiowatch data fetch {db.name}` "
            f"or point --data / ${DATA_ENV} at a folder holding it"
        )
    return folder


def list_records(name: str, root: str | os.PathLike[str] | None = None) -> list[str]:
    """Record names of database ``name``, in the order of its RECORDS file."""
    folder = database_dir(name, root)
    return [line.strip() for line in (folder / "RECORDS").read_text().splitlines() if line.strip()]
