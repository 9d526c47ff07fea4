"""How much of the missed AF specificity premature atrial (S) beats explain: an oracle, out of fold.

With ECG beat classes the tracker leaves the intervals around ventricular beats out of its AF windows
(`cardiowatch.rhythm.intervals.ECTOPIC_CLASSES`). This script leaves the intervals around the *reference*
S beats out as well, which no live classifier can yet do reliably, and scores the whole tracker out of fold
on the training records exactly as ``python -m cardiowatch.rhythm.cv --v5`` does (same folds, forests and
seed; ECG beats only). The gap to v5's ECG row is the most that perfect S-beat labels, e.g. from a P-wave
stage, could buy the interval detector. No test record is read::

    python scripts/af_oracle_s_beats.py   # models/rhythm_af.cv_oracle_s.json (about 10 min)
"""

import json
import logging
from pathlib import Path

from cardiowatch.rhythm import cv, intervals, tracker

OUT = Path(__file__).resolve().parents[1] / "models" / "rhythm_af.cv_oracle_s.json"
GRID = {"threshold_af": (0.9, 0.95), "threshold_af_exit": (0.3,), "min_af_beats": (16, 20, 32),
        "min_exit_beats": (64,)}

logging.basicConfig(level=logging.INFO)
# the oracle: S beats are left out of the AF windows as V beats are (both modules read the tuple)
intervals.ECTOPIC_CLASSES = tracker.ECTOPIC_CLASSES = ("V", "S")
cv.TRACKER_INPUTS = {"ecg_beats": {"use_labels": True}}
results = cv.tracker_cv(cv.grid_settings(GRID), step=8)
OUT.write_text(json.dumps({"ectopic_classes": ["V", "S"], "inputs": "ECG reference beats and classes",
                           "results": results}, indent=1) + "\n")
