"""A tried and not shipped tracker change: leave AF after 64 non-AF beats whatever their rate.

The tracker leaves AF after `min_exit_beats` (64) beats of *one* non-AF candidate. Sinus rhythm whose rate
hovers around the tachycardia (100 bpm) or bradycardia (50 bpm) threshold alternates N and SVTA (or SBR)
candidates, so AF can hold on for as long as the rate hovers there (measuring the device against the
tracker, `firmware/tools/agreement.py rhythm-state`, showed it on the training records 07, 22 and 121).
This script scores the change, with every non-AF supraventricular candidate counted as N towards leaving
AF, out of fold on the training records exactly as ``python -m cardiowatch.rhythm.cv --v5`` scored v5 (same
folds, forests, seed and settings). The rule, fixed before the run: ship it only if it is no worse than v5
on every compared figure (`cardiowatch.rhythm.cv.no_worse_than`). It was not (Se -0.14 points, more
false AF episodes from perturbed intervals), so the tracker keeps v5's rule and no test record was read::

    python scripts/af_exit_rule_oof.py   # models/rhythm_af.cv_exit_rule.json (about 10 min)
"""

import json
import logging
from pathlib import Path

import numpy as np

from cardiowatch.rhythm import cv
from cardiowatch.rhythm.tracker import RhythmTracker
from cardiowatch.rhythm.train import SETTINGS

OUT = Path(__file__).resolve().parents[1] / "models" / "rhythm_af.cv_exit_rule.json"

logging.basicConfig(level=logging.INFO)
v5_candidates = RhythmTracker._candidates


def candidates_leaving_af_at_any_rate(self, *args, **kwargs):
    """v5's candidates, with SBR and SVTA read as N in the array used while in AF."""
    enter, stay = v5_candidates(self, *args, **kwargs)
    return enter, np.where(np.isin(stay, ("SBR", "SVTA")), "N", stay).astype(object)


RhythmTracker._candidates = candidates_leaving_af_at_any_rate
(result,) = cv.tracker_cv([dict(SETTINGS)], step=8)
v5 = cv.v5_out_of_fold()
OUT.write_text(json.dumps({"change": "every non-AF supraventricular candidate counts towards leaving AF",
                           "settings": SETTINGS, "v5_out_of_fold": v5, "changed": result,
                           "ships": cv.no_worse_than(result, v5)}, indent=1) + "\n")
