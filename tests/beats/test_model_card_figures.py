"""The shipped beat model, re-evaluated on DS2, reproduces the figures in its model card (CI, real data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardiowatch.beats.classifier import DEFAULT_MODEL_PATH, BeatClassifier
from cardiowatch.data import MITDB_DS2
from cardiowatch.evaluate.beats import SCORED_CLASSES, evaluate_beats, read_card_figures

CARD = Path(__file__).resolve().parents[2] / "models" / "beat_classifier.md"


@pytest.mark.data
@pytest.mark.parametrize("beats_from", ["reference", "detector"])
def test_shipped_model_reproduces_the_model_card_on_ds2(mitdb, beats_from):
    card = read_card_figures(CARD)[f"ds2_{beats_from}"]
    report = evaluate_beats(MITDB_DS2, database=mitdb, beats_from=beats_from,
                            classifier=BeatClassifier(DEFAULT_MODEL_PATH))
    got = report.to_dict()["gross"]
    # The evaluation is deterministic: every count and rounded figure of the card comes back exactly.
    for cls in SCORED_CLASSES:
        assert {k: got[cls][k] for k in card[cls]} == card[cls], cls
