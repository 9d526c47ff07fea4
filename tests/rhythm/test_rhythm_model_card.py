"""The shipped AF model reproduces the figures of its model card (models/rhythm_af.metrics.json).

Reads the held-out ltafdb records and all of nsr2db once (about 2-3 minutes on one core).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cardiowatch.evaluate.rhythm import PERTURB_SEED, load_beat_record, score_records
from cardiowatch.rhythm.model import load_af_model
from cardiowatch.rhythm.splits import LTAFDB_TEST, LTAFDB_TRAIN

SIDECAR = Path(__file__).resolve().parents[2] / "models" / "rhythm_af.metrics.json"


@pytest.fixture(scope="module")
def card() -> dict:
    return json.loads(SIDECAR.read_text())


@pytest.fixture(scope="module")
def records(ltafdb, nsr2db) -> tuple[list, list]:
    from cardiowatch.data import list_records

    return ([load_beat_record("ltafdb", r) for r in LTAFDB_TEST],
            [load_beat_record("nsr2db", r) for r in list_records("nsr2db")])


def test_split_is_disjoint_and_covers_ltafdb() -> None:
    assert not set(LTAFDB_TRAIN) & set(LTAFDB_TEST)
    assert len(LTAFDB_TRAIN) + len(LTAFDB_TEST) == 84


def test_model_card_sidecar_matches_the_split(card) -> None:
    assert card["ltafdb_test_records"] == list(LTAFDB_TEST)
    assert card["nsr2db_records"] == 54


@pytest.mark.data
@pytest.mark.xdist_group("rhythm_model_card")  # one worker reads the records once
@pytest.mark.parametrize("variant", ["ecg_beats", "perturbed"])
def test_shipped_model_reproduces_its_model_card(card, records, variant) -> None:
    af_recs, nsr_recs = records
    model = load_af_model()
    kwargs = {"ecg_beats": dict(use_labels=True),
              "perturbed": dict(use_labels=False, jitter_s=card["jitter_s"], miss_rate=card["miss_rate"])}[variant]
    rng = np.random.default_rng(PERTURB_SEED)
    ltaf = score_records(af_recs, model=model, rng=rng, **kwargs).summary()
    nsr = score_records(nsr_recs, model=model, rng=rng, **kwargs).summary()
    want = card[variant]
    # The scoring is deterministic (seeded perturbation): every rounded figure comes back exactly.
    assert _same(ltaf, want["ltafdb"]) and _same(nsr, want["nsr2db"]), (ltaf, nsr)


def _same(got: dict, want: dict) -> bool:
    """Every figure of ``want`` equal in ``got``; NaN (no AF beats in nsr2db) equals NaN."""
    return all(got[k] == v or (_is_nan(got[k]) and _is_nan(v)) for k, v in want.items())


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)
