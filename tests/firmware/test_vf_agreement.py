"""The C VF detector (firmware/core/cw_vf.c) against the Python reference (signal/vf.py).

Every window's decision (shockable, VF state, quality) is compared on every record the detector was
developed on: all of cudb and mitdb DS1 + paced. The C side reads float32 samples, so Python is fed the
same float32 values. About 2 min on one core.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cardiowatch.data import MITDB_DS1, MITDB_PACED, list_records, read_record
from cardiowatch.signal.vf import VfDetector, VfWindow

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
    assert (CORE / "cw_vf_model.h").read_text() == module.header_text()
