"""PhysioNet readers, downloads, AAMI classes and record splits. Only this package imports wfdb."""

from cardiowatch.data.aami import AAMI_CLASSES, BEAT_SYMBOLS, aami_class, aami_codes, is_beat
from cardiowatch.data.bidmc import read_bidmc, read_bidmc_csv, read_bidmc_numerics
from cardiowatch.data.databases import DATABASES, data_root, database_dir, get_database, list_records
from cardiowatch.data.fetch import fetch_database
from cardiowatch.data.record import Annotations, Record
from cardiowatch.data.splits import MITDB_ALL, MITDB_DS1, MITDB_DS2, MITDB_PACED
from cardiowatch.data.wfdb_io import (
    has_signal_files,
    read_annotations,
    read_annotations_file,
    read_record,
    read_record_file,
    write_annotations,
)

__all__ = [
    "AAMI_CLASSES", "BEAT_SYMBOLS", "DATABASES", "MITDB_ALL", "MITDB_DS1", "MITDB_DS2", "MITDB_PACED",
    "Annotations", "Record", "aami_class", "aami_codes", "data_root", "database_dir", "fetch_database",
    "get_database", "has_signal_files", "is_beat", "list_records", "read_annotations", "read_annotations_file",
    "read_bidmc", "read_bidmc_csv", "read_bidmc_numerics", "read_record", "read_record_file", "write_annotations",
]
