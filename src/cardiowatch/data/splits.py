"""Record splits, in one place.

MIT-BIH inter-patient split of de Chazal et al. (2004): paced records are excluded, DS1 trains and
tunes (patient-wise cross-validation inside it), DS2 is read once, for the report.

References
----------
de Chazal P, O'Dwyer M, Reilly RB. Automatic classification of heartbeats using ECG morphology and
heartbeat interval features. IEEE Trans Biomed Eng 51(7):1196-1206 (2004).
"""

from __future__ import annotations

MITDB_PACED: tuple[str, ...] = ("102", "104", "107", "217")

MITDB_DS1: tuple[str, ...] = (
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122",
    "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230",
)

MITDB_DS2: tuple[str, ...] = (
    "100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210",
    "212", "213", "214", "219", "221", "222", "228", "231", "232", "233", "234",
)

MITDB_ALL: tuple[str, ...] = tuple(sorted(MITDB_DS1 + MITDB_DS2 + MITDB_PACED))
