"""v3 (eleven features, commit fcccd0b) scored out of fold as v5's settings are, perturbed input included.

`training.rhythm_cv.v3_out_of_fold` (the reference of `choose_against_v3`) reads its output. It runs
fcccd0b's own cross-validation module (``cardiowatch.rhythm.cv`` there), so run it from the repository root
of this checkout with fcccd0b's package first on the path::

    git worktree add /tmp/v3 fcccd0b
    PYTHONPATH=/tmp/v3/src python -m training.scripts.v3_perturbed_oof   # training/results/rhythm_af.cv_v3_perturbed.json

It scores v3's setting (0.9 / 40) and 0.9 / 32 from ECG beats and from perturbed intervals (13.7 ms
jitter, 2 % missed beats, as `training.rhythm_cv.PERTURBED`); v3's intervals-only figures are in
training/results/rhythm_af.cv_tracker.json.
"""

import json
import logging
from pathlib import Path

from cardiowatch.rhythm import cv

OUT = Path(__file__).resolve().parents[1] / "results" / "rhythm_af.cv_v3_perturbed.json"
PERTURBED = {"jitter_s": 0.0137, "miss_rate": 0.02}

logging.basicConfig(level=logging.INFO)
# fcccd0b's tracker_cv passes each input's value as score_record's use_labels: give it keyword arguments
cv.TRACKER_INPUTS = {"ecg_beats": {"use_labels": True}, "perturbed": {"use_labels": False, **PERTURBED}}
score_record = cv.score_record
cv.score_record = lambda rec, *, model, use_labels: score_record(rec, model=model, **use_labels)
results = cv.tracker_cv([{"threshold_af": 0.9, "threshold_af_exit": 0.3, "min_af_beats": m, "min_exit_beats": 64}
                         for m in (40, 32)], forest_params=cv.FORESTS["8x6_leaf200_balanced"], step=8)
OUT.write_text(json.dumps({"code": "fcccd0b", "perturbed": PERTURBED, "results": results}, indent=1) + "\n")
