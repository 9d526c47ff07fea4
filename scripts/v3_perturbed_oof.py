"""v3 (eleven features, commit fcccd0b) scored out of fold like v5, with the perturbed input (13.7 ms, 2 %).

Run from this branch against a checkout of fcccd0b::

    git worktree add /tmp/v3 fcccd0b
    PYTHONPATH=/tmp/v3/src python scripts/v3_perturbed_oof.py

v3's setting (0.9 / 40) out of fold: ECG Se 97.47 %, Sp 94.09 %, 0.81 false AF / 24 h (nsrdb); perturbed
intervals 1.37 false AF / 24 h, Sp 86.06 %. fcccd0b's `tracker_cv` takes ``use_labels`` per input; the
wrapper below passes the perturbation through it.
"""
import json, logging, numpy as np
from cardiowatch.rhythm import cv
logging.basicConfig(level=logging.INFO)
cv.TRACKER_INPUTS = {"ecg_beats": {"use_labels": True}, "perturbed": {"use_labels": False, "jitter_s": 0.0137, "miss_rate": 0.02}}
# HEAD's tracker_cv takes (name -> use_labels); patch score loop by wrapping score_record
orig = cv.score_record
def score_record(rec, *, model, use_labels):
    return orig(rec, model=model, **use_labels)
cv.score_record = score_record
res = cv.tracker_cv([{"threshold_af": 0.9, "threshold_af_exit": 0.3, "min_af_beats": 40, "min_exit_beats": 64},
                     {"threshold_af": 0.9, "threshold_af_exit": 0.3, "min_af_beats": 32, "min_exit_beats": 64}],
                    forest_params=cv.FORESTS["8x6_leaf200_balanced"], step=8)
print(json.dumps(res, indent=1))
