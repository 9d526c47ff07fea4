"""v7's decisions, out of fold: the AF exit fixed, S beats' intervals left out (ECG), settings re-chosen.

Two tracker changes against v5, scored with the whole tracker out of fold on the training records exactly as
``python -m training.rhythm_cv --v5`` scored v5 (same folds, forests and seed; v5's own figures are the
stored ``rhythm_af.cv_v5.json``, made with the old exit):

1. **Exit (always on).** In AF, a run of ``min_exit_beats`` supraventricular non-AF beats of any mix of N,
   SBR and SVTA ends it (v5 needed that many of *one* code, so sinus rhythm hovering at 100 or 50 bpm never
   ended AF). The figures are the fix's before/after.
2. **S intervals (ECG input only).** ``ecg_beats_s`` leaves the intervals before and after each S beat out of
   the AF windows as those around V beats are (`RhythmTracker.ectopic_classes`), ``ecg_beats`` keeps them.

The rule, fixed and committed before any of it was scored (`choose_v7`): a candidate is one setting of
`GRID` with one ECG input. It qualifies when, out of fold, ECG and intervals-only Se are >= `MIN_SE`, false
AF episodes on nsrdb are <= 1 per 24 h from ECG beats and no more than v5's from perturbed intervals, and
intervals-only Sp is no lower than v5's (within 0.05 points). Among those qualifying, the highest ECG Sp
among the ones with an ECG median fresh-onset delay <= 30 s, else the highest ECG Sp. If none qualifies,
the exit fix alone ships at v5's settings (it corrects wrong output; the card reports what it costs)::

    python -m training.scripts.af_v7_oof   # training/results/rhythm_af.cv_v7.json (about 25 min, two cores)
"""

from __future__ import annotations

import json
import logging

from training import rhythm_cv

OUT = rhythm_cv.RESULTS_DIR / "rhythm_af.cv_v7.json"
GRID = {"threshold_af": (0.95,), "threshold_af_exit": (0.3,), "min_af_beats": (16, 20, 24),
        "min_exit_beats": (64, 96)}
#: The ECG inputs compared: the ectopic classes whose intervals the AF windows leave out.
ECG_INPUTS = {"ecg_beats": ("V",), "ecg_beats_s": ("V", "S")}
INPUTS = {**{name: {"use_labels": True, "ectopic_classes": classes} for name, classes in ECG_INPUTS.items()},
          "intervals_only": {"use_labels": False}, "perturbed": {"use_labels": False, **rhythm_cv.PERTURBED}}
#: Minimum out-of-fold Se: the 97 % target plus a quarter point for new records (v5's own out-of-fold Se,
#: 97.46 %, is under the 97.5 % v2-v6 asked for).
MIN_SE = 0.9725


def qualifies(r: dict, ecg: str, v5: dict[str, dict]) -> bool:
    """`choose_v7`'s conditions for setting ``r`` read with ECG input ``ecg``."""
    return (r[ecg]["se"] >= MIN_SE and r["intervals_only"]["se"] >= MIN_SE
            and r[ecg]["nsr_af_per_24h"] <= rhythm_cv.MAX_FALSE_AF_PER_24H
            and r["perturbed"]["nsr_af_per_24h"] <= v5["perturbed"]["nsr_af_per_24h"]
            and r["intervals_only"]["sp"] >= v5["intervals_only"]["sp"] - rhythm_cv.V3_TOLERANCE)


def choose_v7(results: list[dict], v5: dict[str, dict]) -> dict:
    """The chosen setting and ECG input (see the module docstring); ``fallback`` True when none qualified."""
    ok = [(r, ecg) for r in results for ecg in ECG_INPUTS if qualifies(r, ecg, v5)]
    timely = [(r, ecg) for r, ecg in ok if r[ecg]["median_fresh_delay_s"] <= rhythm_cv.MAX_DELAY_S]
    pool = timely or ok
    if pool:
        r, ecg = max(pool, key=lambda c: c[0][c[1]]["sp"])
        return {"setting": {k: r[k] for k in GRID}, "ecg_input": ecg, "fallback": False}
    return {"setting": dict(rhythm_cv.V5_SETTINGS), "ecg_input": "ecg_beats", "fallback": True}


def _score_exit(min_exit_beats: int) -> list[dict]:
    return rhythm_cv.tracker_cv(rhythm_cv.grid_settings({**GRID, "min_exit_beats": (min_exit_beats,)}), step=8,
                                inputs=INPUTS)


def main() -> None:
    from concurrent.futures import ProcessPoolExecutor

    logging.basicConfig(level=logging.INFO)
    with ProcessPoolExecutor(max_workers=2) as pool:  # one process per exit length
        results = [r for rows in pool.map(_score_exit, GRID["min_exit_beats"]) for r in rows]
    v5 = rhythm_cv.v5_out_of_fold()
    OUT.write_text(json.dumps({"changes": "exit on any supraventricular non-AF run; ecg_beats_s: S intervals "
                               "left out", "inputs": {k: {kk: list(vv) if isinstance(vv, tuple) else vv
                                                          for kk, vv in v.items()} for k, v in INPUTS.items()},
                               "v5_out_of_fold": v5, "chosen": choose_v7(results, v5), "results": results},
                              indent=1) + "\n")


if __name__ == "__main__":
    main()
