"""The AF targets of the alarms issue, on the held-out figures of the shipped model (its metrics sidecars).

The sidecars are written by ``python -m cardiowatch.evaluate.rhythm --write models/rhythm_af.metrics.json``
(and ``--variant perturbed --jitter-s 0.0137 --write models/rhythm_af.metrics_jitter14ms.json``);
`test_rhythm_model_card.py` recomputes the main one from the records. A missed target is a strict xfail
naming the measured figure, so meeting it later turns the test red until the mark is removed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "models"


def _sidecar(name: str) -> dict:
    return json.loads((MODELS / name).read_text())


def test_ltafdb_sensitivity_target() -> None:
    assert _sidecar("rhythm_af.metrics.json")["ecg_beats"]["ltafdb"]["se_pct"] >= 97.0


@pytest.mark.xfail(strict=True, reason="target ltafdb Sp >= 95 %; measured 93.27 %")
def test_ltafdb_specificity_target() -> None:
    assert _sidecar("rhythm_af.metrics.json")["ecg_beats"]["ltafdb"]["sp_pct"] >= 95.0


@pytest.mark.xfail(strict=True, reason="target median fresh-onset delay <= 30 s; measured 34.9 s")
def test_ltafdb_onset_delay_target() -> None:
    assert _sidecar("rhythm_af.metrics.json")["ecg_beats"]["ltafdb"]["median_fresh_delay_s"] <= 30.0


def test_nsr2db_false_af_target() -> None:
    card = _sidecar("rhythm_af.metrics.json")
    assert card["ecg_beats"]["nsr2db"]["af_episodes_per_24h"] <= 1.0
    assert card["intervals_only"]["nsr2db"]["af_episodes_per_24h"] <= 1.0


@pytest.mark.xfail(strict=True, reason="target pulse-sensor timing ltafdb Sp >= 92 %; measured 88.91 %")
def test_pulse_sensor_specificity_target() -> None:
    card = _sidecar("rhythm_af.metrics_jitter14ms.json")
    assert card["jitter_s"] == pytest.approx(0.0137) and card["miss_rate"] == pytest.approx(0.02)
    assert card["perturbed"]["ltafdb"]["sp_pct"] >= 92.0
