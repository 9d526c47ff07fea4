"""Issue 17's out-of-fold targets, on the figures of the shipped VF model.

The figures come from ``PYTHONPATH=src python training/vf_train.py``: record-wise 5-fold cross-validation
on cudb and the development mitdb records, written to ``training/results/vf_cv.json`` (key
``out_of_fold``) together with the rule it chose. The first test ties the file to the shipped model, so
a retrained model with stale figures fails here. Missed targets are strict xfails with the measured
figure. Reads one JSON file: no data needed, well under a second.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardiowatch.evaluate.vf import AHA_GOALS, TARGETS
from cardiowatch.signal.vf import FEATURE_NAMES, VfModel

CV_FILE = Path(__file__).resolve().parents[2] / "training" / "results" / "vf_cv.json"


@pytest.fixture(scope="module")
def cv() -> dict:
    return json.loads(CV_FILE.read_text())


@pytest.fixture(scope="module")
def clean(cv: dict) -> dict:
    return cv["out_of_fold"]["clean"]


def test_cv_figures_are_those_of_the_shipped_rule(cv: dict) -> None:
    model = VfModel.load_shipped(features=FEATURE_NAMES)
    chosen = cv["chosen"]
    assert (tuple(chosen["lags"]), chosen["threshold"], chosen["n_enter"], chosen["n_exit"]) == (
        model.lags, model.threshold, model.n_enter, model.n_exit)
    assert cv["out_of_fold"]["clean"]["by_rhythm"]["VF"]["percent"] == chosen["vf_se"]


@pytest.mark.xfail(strict=True, reason="target VF Se >= 95 %, measured 69.54 % out of fold (3,943 s)")
def test_out_of_fold_vf_sensitivity_meets_the_target(clean: dict) -> None:
    assert clean["by_rhythm"]["VF"]["percent"] >= TARGETS["vf_se"]


def test_out_of_fold_normal_sinus_specificity_meets_the_target(clean: dict) -> None:
    assert clean["by_rhythm"]["NSR"]["percent"] >= TARGETS["nsr_sp"]


def test_out_of_fold_other_rhythm_specificity_meets_the_target(clean: dict) -> None:
    assert clean["by_rhythm"]["OTHER"]["percent"] >= TARGETS["other_sp"]


def test_out_of_fold_median_alarm_delay_meets_the_target(clean: dict) -> None:
    assert clean["delay_median_s"] is not None and clean["delay_median_s"] <= TARGETS["median_delay_s"]


@pytest.mark.xfail(strict=True, reason="AHA goal rapid VT Se > 75 %, measured 29.55 % out of fold (44 s)")
def test_out_of_fold_rapid_vt_sensitivity_meets_the_aha_goal(clean: dict) -> None:
    assert clean["by_rhythm"]["RAPID_VT"]["percent"] > AHA_GOALS["rapid_vt_se"]


def test_out_of_fold_no_false_alarm_on_clean_development_mitdb_records(cv: dict) -> None:
    assert cv["out_of_fold"]["clean_mitdb_without_vf"]["false_vf_alarms"] == 0


def test_out_of_fold_false_alarms_at_6_db_stay_under_one_per_hour(cv: dict) -> None:
    assert cv["out_of_fold"]["noisy@6"]["false_vf_alarms_per_hour"] <= 1.0
