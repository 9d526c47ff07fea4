"""The C VF detector (firmware/core/cw_vf.c) against the Python reference (signal/vf.py).

Every window's decision (shockable, VF state, quality) is compared on every record the detector was
developed on: all of cudb and mitdb DS1 + paced. The C side reads float32 samples, so Python is fed the
same float32 values. About 2 min on one core.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cardiowatch.data import MITDB_DS1, MITDB_PACED, list_records, read_record
from cardiowatch.signal.vf import VfDetector, VfWindow
from cardiowatch.signal.vf_model import VfModel

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware" / "core"
AGREEMENT_TARGET = 0.995
QUALITY_CODE = {None: 0, "missing": 1, "flat": 2, "clipped": 3}  # cw_vf_quality_t


@pytest.fixture(scope="module")
def vf_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gcc = shutil.which("gcc")
    if gcc is None:
        if os.environ.get("CI"):
            pytest.fail("gcc is needed for the C agreement test")
        pytest.skip("gcc not found")
    exe = tmp_path_factory.mktemp("vf") / "cw_vf_cli"
    sources = [CORE / "cw_vf.c", CORE / "cw_iir.c", CORE / "cw_err.c", CORE / "tools" / "cw_vf_cli.c"]
    subprocess.run([gcc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{CORE}", *map(str, sources),
                    "-o", str(exe)], check=True)
    return exe


def _agreement(cli: Path, database: str, name: str) -> tuple[int, int]:
    rec = read_record(database, name)
    x = rec.signals[rec.ecg_lead()].astype(np.float32)
    lines = subprocess.run([str(cli), str(int(rec.fs))], input=x.astype("<f4").tobytes(), capture_output=True,
                           check=True).stdout.decode().split()
    c = np.array(lines, dtype=np.float64).reshape(-1, 5)
    det = VfDetector(fs=rec.fs)
    det.reset()
    py = [e for e in det.process(x.astype(np.float64)) + det.flush() if isinstance(e, VfWindow)]
    p = np.array([[w.end, w.shockable, w.in_vf, QUALITY_CODE[None if w.quality is None else w.quality.value]]
                  for w in py], dtype=np.float64)
    assert c.shape[0] == p.shape[0] and (c[:, 0] == p[:, 0]).all()
    same = (c[:, 2] == p[:, 1]) & (c[:, 3] == p[:, 2]) & (c[:, 4] == p[:, 3])
    return int(same.sum()), int(same.size)


@pytest.mark.data
@pytest.mark.slow
def test_c_vf_decisions_match_python_on_every_development_record(vf_cli: Path) -> None:
    records = [("cudb", n) for n in list_records("cudb")] + [("mitdb", n) for n in sorted(MITDB_DS1 + MITDB_PACED)]
    rows = {f"{db}/{n}": _agreement(vf_cli, db, n) for db, n in records}
    same = sum(s for s, _ in rows.values())
    total = sum(t for _, t in rows.values())
    assert len(rows) == 61 and total > 60000
    worst = {k: s / t for k, (s, t) in rows.items() if s < t}
    assert same / total >= AGREEMENT_TARGET, worst
    assert all(s / t >= AGREEMENT_TARGET for s, t in rows.values()), worst


def test_c_vf_model_header_is_generated_from_the_shipped_model() -> None:
    path = ROOT / "firmware" / "tools" / "cw_vf_export.py"
    spec = importlib.util.spec_from_file_location("cw_vf_export", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    committed, generated = (CORE / "cw_vf_model.h").read_text(), module.header_text()
    # The filter's initial-state constants come from scipy's sosfilt_zi, whose last digits vary between
    # scipy builds (seen: 1 in 1e15 after a reinstall); every other character must be the same.
    number = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")
    assert number.sub("#", committed) == number.sub("#", generated)
    pairs = list(zip(map(float, number.findall(committed)), map(float, number.findall(generated))))
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in pairs), \
        [(a, b) for a, b in pairs if not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)][:5]


def _random_ensemble(rng: np.random.Generator, n_trees: int, max_depth: int) -> tuple[VfModel, dict]:
    """Unbalanced trees of mixed depths over the features the exporter leaves untransformed, splits drawn
    from a few values per input so that inputs equal to a split occur."""
    from cardiowatch.signal import vf

    n = len(vf.FEATURE_NAMES)
    lags = (1, 3)
    plain = [i for i in range(n * (1 + len(lags)))
             if vf.FEATURE_NAMES[i % n] not in ("log_kurtosis", "bandwidth_hz")]
    grid = {i: np.float32(rng.normal(size=6)).astype(float) for i in plain}
    feature: list[int] = []
    split: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []

    def grow(depth: int) -> int:
        node = len(feature)
        feature.append(-1), split.append(0.0), left.append(0), right.append(0), value.append(0.0)
        if depth == max_depth or (depth > 0 and rng.random() < 0.3):
            value[node] = float(rng.normal(scale=0.5))
            return node
        f = int(rng.choice(plain))
        feature[node], split[node] = f, float(rng.choice(grid[f]))
        left[node] = grow(depth + 1)
        right[node] = grow(depth + 1)
        return node

    roots = tuple(grow(0) for _ in range(n_trees))
    return VfModel(vf.FEATURE_NAMES, lags, tuple(feature), tuple(split), tuple(left), tuple(right), tuple(value),
                   roots, max_depth, 0.25, 0.5, 2, 3, 4.0, 1.0), grid


def _node_array_logits(m: VfModel, inputs: np.ndarray) -> np.ndarray:
    out = np.full(inputs.shape[0], m.baseline)
    for r, x in enumerate(inputs):
        for root in m.roots:
            node = root
            while m.feature[node] >= 0:
                node = m.left[node] if x[m.feature[node]] <= m.split[node] else m.right[node]
            out[r] += m.value[node]
    return out


def test_packed_trees_evaluate_any_ensemble_like_its_node_arrays(tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        if os.environ.get("CI"):
            pytest.fail("gcc is needed for the C agreement test")
        pytest.skip("gcc not found")
    spec = importlib.util.spec_from_file_location("cw_vf_export", ROOT / "firmware" / "tools" / "cw_vf_export.py")
    assert spec is not None and spec.loader is not None
    export = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = export
    spec.loader.exec_module(export)
    rng = np.random.default_rng(17)
    for n_trees, max_depth in ((40, 6), (1, 1)):
        m, grid = _random_ensemble(rng, n_trees, max_depth)
        header = tmp_path / f"trees_{n_trees}.h"
        header.write_text('#include "cw_vf.h"\n' + "\n".join(export.tree_block(m)) + "\n")
        exe = tmp_path / f"trees_{n_trees}"
        subprocess.run([gcc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{CORE}",
                        f'-DCW_VF_TREES_HEADER="{header}"', str(CORE / "cw_vf.c"), str(CORE / "cw_iir.c"),
                        str(CORE / "cw_err.c"), str(CORE / "tools" / "cw_vf_trees.c"), "-o", str(exe)], check=True)
        width = len(m.features) * (1 + len(m.lags))
        x = rng.normal(size=(3000, width)).astype(np.float32)
        for i, values in grid.items():  # a third of the inputs sit exactly on a split: `<=` must hold there
            on_split = rng.random(x.shape[0]) < 0.3
            x[on_split, i] = rng.choice(values, on_split.sum())
        x[rng.random(x.shape) < 0.01] = np.nan  # NaN goes right at every split, as in numpy
        c = np.array(subprocess.run([str(exe)], input=x.astype("<f4").tobytes(), capture_output=True,
                                    check=True).stdout.split(), dtype=np.float64)
        py = _node_array_logits(m, x.astype(np.float64))
        bound = export.pack_trees(m).max_logit_error + 1e-5  # leaf rounding + float32 sum
        assert c.shape == py.shape
        assert np.max(np.abs(c - py)) <= bound
