"""The C header of the AF model: up to date with the shipped model, and equal to Python when compiled."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cardiowatch.rhythm.export import c_source
from cardiowatch.rhythm.intervals import rr_window_features
from cardiowatch.rhythm.model import load_af_model

from rhythm_synthetic import af_rr, sinus_rr

HEADER = Path(__file__).resolve().parents[2] / "firmware" / "core" / "cw_rhythm_model.h"

HARNESS = r"""
#include <stdio.h>
#include "cw_rhythm_model.h"
int main(void) {
    float f[CW_RHYTHM_N_FEATURES];
    float out[2];
    for (;;) {
        for (int i = 0; i < CW_RHYTHM_N_FEATURES; i++) {
            if (scanf("%a", &f[i]) != 1) return 0;
        }
        cw_rhythm_model_predict_proba(f, CW_RHYTHM_N_FEATURES, out, 2);
        printf("%a\n", (double)out[1]);
    }
}
"""


@pytest.mark.skipif(importlib.util.find_spec("emlearn") is None, reason="needs the train extra (emlearn)")
def test_shipped_header_is_generated_from_the_shipped_model() -> None:
    assert HEADER.read_text() == c_source(load_af_model()), "regenerate: python -m cardiowatch.rhythm.train"


@pytest.mark.skipif(importlib.util.find_spec("emlearn") is None, reason="needs the train extra (emlearn)")
def test_generating_the_header_leaves_numpy_error_handling_alone() -> None:
    before = np.geterr()
    c_source(load_af_model())
    assert np.geterr() == before


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_compiled_c_model_gives_the_same_probabilities_as_python(rng, tmp_path) -> None:
    model = load_af_model()
    rr = np.r_[sinus_rr(rng, 500), af_rr(rng, 500), sinus_rr(rng, 300, mean_s=1.3)]
    features = rr_window_features(rr, window=model.window)
    jitter = features * (1 + 0.2 * rng.standard_normal(features.shape)).astype(np.float32)
    x = np.r_[features, jitter].astype(np.float32)
    (tmp_path / "main.c").write_text(HARNESS)
    exe = tmp_path / "model"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Werror", f"-I{HEADER.parent}", "-o", str(exe),
                    str(tmp_path / "main.c")], check=True, capture_output=True)
    stdin = "\n".join(" ".join(float(v).hex() for v in row) for row in x)
    run = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, check=True)
    c_prob = np.array([float.fromhex(v) for v in run.stdout.split()], dtype=np.float32)
    py_prob = model.predict_proba(x)
    assert len(c_prob) == len(x)
    mismatch = np.flatnonzero(c_prob != py_prob)
    assert len(mismatch) == 0, f"{len(mismatch)} of {len(x)} rows differ, e.g. {c_prob[mismatch[:3]]} vs {py_prob[mismatch[:3]]}"
