"""The Arduino glue (firmware/src/) compiles against the stub headers, for every sensor kind."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, require_tools

SRC = ROOT / "firmware" / "src"
STUBS = ROOT / "firmware" / "stubs"
CORE = ROOT / "firmware" / "core"
SENSORS = ["CW_SENSOR_KIND_AD8232", "CW_SENSOR_KIND_MAX30102", "CW_SENSOR_KIND_PULSE"]


def _config_for(sensor: str, into: Path) -> Path:
    text = (SRC / "config.h.example").read_text()
    text, n = re.subn(r"#define CW_SENSOR CW_SENSOR_KIND_\w+", f"#define CW_SENSOR {sensor}", text)
    assert n == 1  # the example names exactly one sensor
    into.mkdir(parents=True, exist_ok=True)
    (into / "config.h").write_text(text)
    return into


@pytest.mark.parametrize("display", [0, 1])
@pytest.mark.parametrize("sensor", SENSORS)
def test_arduino_glue_compiles_against_the_stubs(sensor: str, display: int, tmp_path: Path) -> None:
    require_tools(("g++",))
    config_dir = _config_for(sensor, tmp_path / sensor)
    sources = sorted(SRC.glob("*.cpp"))
    proc = subprocess.run(["g++", "-std=gnu++17", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                           f"-DCW_USE_DISPLAY={display}", f"-I{STUBS}", f"-I{CORE}", f"-I{config_dir}",
                           *map(str, sources)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert len(sources) >= 6


def test_exactly_one_sensor_implementation_is_built_per_kind() -> None:
    # each sensor file guards itself with its own kind, so one cw_sensor_create() exists per build
    for sensor in SENSORS:
        guarded = [p.name for p in SRC.glob("sensor_*.cpp") if f"#if CW_SENSOR == {sensor}" in p.read_text()]
        assert len(guarded) == 1, (sensor, guarded)


def test_no_credentials_in_the_committed_sources() -> None:
    proc = subprocess.run(["git", "ls-files", "firmware"], cwd=ROOT, capture_output=True, text=True, check=True)
    tracked = proc.stdout.split()
    assert "firmware/src/config.h" not in tracked
    check = subprocess.run(["git", "check-ignore", "-q", "firmware/src/config.h"], cwd=ROOT)
    assert check.returncode == 0  # config.h (credentials) is git-ignored
