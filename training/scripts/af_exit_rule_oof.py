"""The AF exit fix as first tried (v5): leave AF after 64 non-AF beats whatever their rate. Not shipped then;
v7 ships it (``training/scripts/af_v7_oof.py``), so the tracker now does this itself and the policy below
changes nothing any more: the stored results are v5's record of the attempt.

The tracker leaves AF after `min_exit_beats` (64) beats of *one* non-AF candidate. Sinus rhythm whose rate
hovers around the tachycardia (100 bpm) or bradycardia (50 bpm) threshold alternates N and SVTA (or SBR)
candidates, so AF can hold on for as long as the rate hovers there (measuring the device against the
tracker, `firmware/tools/agreement.py rhythm-state`, showed it on the training records 07, 22 and 121).
This script scores the change (`leave_af_at_any_rate`, given to the tracker as its ``candidate_policy``)
out of fold on the training records exactly as ``python -m training.rhythm_cv --v5`` scored v5 (same
folds, forests, seed and settings). The rule, fixed before the run: ship it only if it is no worse than v5
on every compared figure (`training.rhythm_cv.no_worse_than`). It was not (Se -0.14 points, more
false AF episodes from perturbed intervals), so v5 kept its rule and no test record was read::

    python -m training.scripts.af_exit_rule_oof   # training/results/rhythm_af.cv_exit_rule.json (about 10 min)
"""

from __future__ import annotations

import json
import logging

import numpy as np

from training import rhythm_cv

OUT = rhythm_cv.RESULTS_DIR / "rhythm_af.cv_exit_rule.json"


def leave_af_at_any_rate(enter: np.ndarray, stay: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shipped candidates, with SBR and SVTA read as N in those used while in AF."""
    return enter, np.where(np.isin(stay, ("SBR", "SVTA")), "N", stay).astype(object)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    inputs = {name: {**kwargs, "candidate_policy": leave_af_at_any_rate}
              for name, kwargs in rhythm_cv.TRACKER_INPUTS.items()}
    (result,) = rhythm_cv.tracker_cv([dict(rhythm_cv.V5_SETTINGS)], step=8, inputs=inputs)
    v5 = rhythm_cv.v5_out_of_fold()
    OUT.write_text(json.dumps({"change": "every non-AF supraventricular candidate counts towards leaving AF",
                               "settings": rhythm_cv.V5_SETTINGS, "v5_out_of_fold": v5, "changed": result,
                               "ships": rhythm_cv.no_worse_than(result, v5)}, indent=1) + "\n")


if __name__ == "__main__":
    main()
