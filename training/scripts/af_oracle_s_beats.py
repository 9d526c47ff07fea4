"""How much of the missed AF specificity premature atrial (S) beats explain: an oracle, out of fold.

With ECG beat classes the tracker leaves the intervals around ventricular beats out of its AF windows
(`cardiowatch.rhythm.intervals.ECTOPIC_CLASSES`). This script leaves the intervals around the *reference*
S beats out as well, which no live classifier can yet do reliably, and scores the whole tracker out of fold
on the training records exactly as ``python -m training.rhythm_cv --v5`` does (same folds, forests and
seed; ECG beats only). The gap to v5's ECG row is the most that perfect S-beat labels, e.g. from a P-wave
stage, could buy the interval detector. No test record is read::

    python -m training.scripts.af_oracle_s_beats   # training/results/rhythm_af.cv_oracle_s.json (about 10 min)
"""

from __future__ import annotations

import json
import logging

from cardiowatch.rhythm import intervals, tracker
from training import rhythm_cv

OUT = rhythm_cv.RESULTS_DIR / "rhythm_af.cv_oracle_s.json"
GRID = {"threshold_af": (0.9, 0.95), "threshold_af_exit": (0.3,), "min_af_beats": (16, 20, 32),
        "min_exit_beats": (64,)}


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    # the oracle: S beats are left out of the AF windows as V beats are. Both modules read the tuple; this
    # process only runs the study, so rebinding the constant changes nothing shipped.
    intervals.ECTOPIC_CLASSES = tracker.ECTOPIC_CLASSES = ("V", "S")
    results = rhythm_cv.tracker_cv(rhythm_cv.grid_settings(GRID), step=8,
                                   inputs={"ecg_beats": {"use_labels": True}})
    OUT.write_text(json.dumps({"ectopic_classes": ["V", "S"], "inputs": "ECG reference beats and classes",
                               "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
