"""Another revision's ``src/`` in a temporary folder, to run old code beside new in one benchmark run."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def extract_src(rev: str, into: Path) -> Path:
    """``src/`` of git revision ``rev`` under folder ``into`` (``git archive``); returns the folder to
    put on PYTHONPATH to import that revision's `cardiowatch`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"
