"""The C header of the AF model: up to date with the shipped model, and equal to Python when compiled."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cardiowatch.errors import ModelError
from cardiowatch.rhythm.export import c_source
from cardiowatch.rhythm.intervals import rr_window_features
from cardiowatch.rhythm.model import AfModel, load_af_model

from rhythm_synthetic import af_rr, sinus_rr

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "firmware" / "core" / "cw_rhythm_model.h"
REGENERATE = ("python -c \"from cardiowatch.rhythm.model import load_af_model; from cardiowatch.rhythm.export "
              "import export_c_header; export_c_header(load_af_model(), 'firmware/core/cw_rhythm_model.h')\"")

HARNESS = r"""
#include <stdio.h>
#include "cw_rhythm_model.h"
int main(void) {
    float f[CW_RHYTHM_N_FEATURES];
    for (;;) {
        for (int i = 0; i < CW_RHYTHM_N_FEATURES; i++) {
            if (scanf("%a", &f[i]) != 1) return 0;
        }
        printf("%a\n", (double)cw_rhythm_model_af_score(f));
    }
}
"""

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("nm") is None, reason="needs gcc")


def _load_size_benchmark():
    spec = importlib.util.spec_from_file_location("rhythm_model_size_benchmark",
                                                  ROOT / "benchmarks" / "rhythm_model_size.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _rows_at_every_threshold(model: AfModel, base: np.ndarray) -> np.ndarray:
    """For each decision node, ``base`` with the node's feature exactly at its threshold, and just below."""
    at = np.repeat(base[None, :], len(model.feature), axis=0)
    below = at.copy()
    nodes = np.arange(len(model.feature))
    at[nodes, model.feature] = model.threshold
    below[nodes, model.feature] = np.nextafter(model.threshold, np.float32(-np.inf))
    return np.r_[at, below]


def test_shipped_header_is_generated_from_the_shipped_model() -> None:
    assert HEADER.read_text() == c_source(load_af_model()), f"regenerate: {REGENERATE}"


def test_export_refuses_a_child_index_past_int16() -> None:
    model = load_af_model()
    too_far = dataclasses.replace(model, left=np.r_[model.left[:-1], 40000].astype(np.int32))
    with pytest.raises(ModelError, match="children"):
        c_source(too_far)


@needs_gcc
def test_compiled_c_model_gives_the_same_scores_as_python(rng, tmp_path) -> None:
    model = load_af_model()
    rr = np.r_[sinus_rr(rng, 500), af_rr(rng, 500), sinus_rr(rng, 300, mean_s=1.3)]
    features = rr_window_features(rr, window=model.window).astype(np.float32)
    jitter = features * (1 + 0.2 * rng.standard_normal(features.shape)).astype(np.float32)
    edges = np.r_[_rows_at_every_threshold(model, features[0]), _rows_at_every_threshold(model, features[600])]
    odd = np.full((3, features.shape[1]), [np.nan], dtype=np.float32)
    odd[1], odd[2] = np.inf, -np.inf
    x = np.r_[features, jitter, edges, odd].astype(np.float32)
    (tmp_path / "main.c").write_text(HARNESS)
    (tmp_path / HEADER.name).write_text(c_source(model))
    exe = tmp_path / "model"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Wpedantic", "-Wconversion", "-Werror",
                    f"-I{tmp_path}", "-o", str(exe), str(tmp_path / "main.c")], check=True, capture_output=True)
    stdin = "\n".join(" ".join(float(v).hex() for v in row) for row in x)
    run = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, check=True)
    c_score = np.array([float.fromhex(v) for v in run.stdout.split()], dtype=np.float32)
    py_score = model.af_score(x)
    assert len(c_score) == len(x)
    mismatch = np.flatnonzero(c_score.view(np.uint32) != py_score.view(np.uint32))
    assert len(mismatch) == 0, (f"{len(mismatch)} of {len(x)} rows differ, e.g. {c_score[mismatch[:3]]} vs "
                                f"{py_score[mismatch[:3]]}")


@needs_gcc
def test_size_benchmark_counts_the_tables_as_the_model_sizes_them() -> None:
    sizes = _load_size_benchmark().measure(HEADER.parent)["host gcc -Os"]
    assert sizes["table_bytes"] == load_af_model().n_bytes
    assert 0 < sizes["code_bytes"] < 1024
