"""Record splits for the rhythm (AF) model. Train and tune on the training lists only.

ltafdb is split by record, 50 train / 34 test (about 60/40), drawn once with::

    rng = numpy.random.default_rng(20261125); p = rng.permutation(84)   # over ltafdb/RECORDS order
    test = records[p[:34]], train = records[p[34:]]

and written out here so the split never drifts. nsrdb (18 long normal records) is used for training;
nsr2db (54 records) is never trained or tuned on: it is held out whole for the false-alarm rate.
"""

from __future__ import annotations

LTAFDB_TRAIN: tuple[str, ...] = (
    "00", "01", "05", "07", "10", "11", "12", "15", "17", "19", "22", "25", "26", "30", "34", "37", "38",
    "43", "44", "45", "47", "48", "49", "55", "56", "58", "62", "65", "68", "69", "70", "71", "75", "101",
    "102", "103", "105", "110", "111", "112", "113", "114", "115", "117", "118", "121", "200", "201", "205",
    "206",
)
LTAFDB_TEST: tuple[str, ...] = (
    "03", "06", "08", "13", "16", "18", "20", "21", "23", "24", "28", "32", "33", "35", "39", "42", "51",
    "53", "54", "60", "64", "72", "74", "100", "104", "116", "119", "120", "122", "202", "203", "204",
    "207", "208",
)
