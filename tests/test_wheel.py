"""The wheel a user installs: built from this checkout, it carries the runtime and its models and no training
code, and, installed with the ``server`` extra into a fresh virtual environment (packages from PyPI),
`cardiowatch annotate` and `cardiowatch serve` work from it, far from the source tree."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
import zipfile
from pathlib import Path

import pytest

from cardiowatch import cli

#: One xdist worker builds the wheel and the venv once for the whole module (``make test``: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("wheel")

ROOT = Path(__file__).resolve().parents[1]
#: The shipped model files the runtime loads (`cardiowatch.models`).
SHIPPED_MODELS = {"beat_classifier.onnx", "beat_classifier.json", "beat_classifier_sveb.onnx", "rhythm_af.json",
                  "vf_detector.json"}
#: Seconds of mitdb 100 written as the record to annotate.
RECORD_S = 60


def _clean_env() -> dict[str, str]:
    """The environment without anything that would import this checkout instead of the installed wheel."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CARDIOWATCH_MODELS", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy of what the wheel is made of, so setuptools' build/ folder is this test's own
    # (the checkout's build/ holds the firmware builds and whatever an earlier build left there).
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)],
                   check=True, timeout=300, env=_clean_env())
    (path,) = out.glob("cardiowatch-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The ``bin`` folder of a fresh virtual environment holding ``cardiowatch[server]`` from the wheel."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[server]"],
                   check=True, timeout=600, env=_clean_env())
    return venv / "bin"


@pytest.mark.slow
def test_wheel_holds_the_runtime_and_its_models_and_no_training_code(wheel) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"cardiowatch", wheel.name.split("-py3")[0] + ".dist-info"}
    models = {n.removeprefix("cardiowatch/models/") for n in names if n.startswith("cardiowatch/models/")}
    assert models == SHIPPED_MODELS | {"__init__.py"}
    research = [n for n in names if ".cv" in n or "metrics" in n or n.endswith(".md") or "train" in Path(n).stem]
    assert research == []


@pytest.mark.slow
@pytest.mark.data
def test_installed_wheel_annotates_a_record(installed, mitdb, tmp_path) -> None:
    import wfdb

    from cardiowatch.data.databases import database_dir

    full = wfdb.rdrecord(str(database_dir(mitdb) / "100"), sampto=int(360 * RECORD_S))
    wfdb.wrsamp("100", fs=full.fs, units=full.units, sig_name=full.sig_name, p_signal=full.p_signal, fmt=full.fmt,
                write_dir=str(tmp_path))
    run = subprocess.run([str(installed / "cardiowatch"), "annotate", str(tmp_path / "100"), "--out",
                          str(tmp_path / "ann")], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "ann" / "100.cw").is_file()
    beats = wfdb.rdann(str(tmp_path / "ann" / "100"), "cw")
    assert 60 <= sum(s == "N" for s in beats.symbol) <= 90  # about 75 bpm in mitdb 100's first minute


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_installed_wheel_serves_health_on_loopback(installed, tmp_path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [str(installed / "cardiowatch"), "serve", "--port", str(port), "--database-url",
         f"sqlite:///{tmp_path / 'cardiowatch.db'}"],
        cwd=tmp_path, env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        log: list[str] = []
        listening = threading.Event()

        def read_log() -> None:  # uvicorn says when it listens: wait for that line, not for a fixed time
            for line in server.stdout:
                log.append(line)
                if "Uvicorn running on" in line:
                    listening.set()

        threading.Thread(target=read_log, daemon=True).start()
        assert listening.wait(timeout=60), "".join(log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=10) as reply:
            assert json.load(reply) == {"status": "ok"}
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_missing_extra_gives_one_line_naming_it(monkeypatch, capsys) -> None:
    def needs_fastapi() -> None:
        raise ModuleNotFoundError("No module named 'fastapi'", name="fastapi")

    monkeypatch.setattr(cli, "app", needs_fastapi)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    assert "pip install 'cardiowatch[server]'" in " ".join(capsys.readouterr().err.split())


def test_other_missing_modules_are_not_hidden(monkeypatch) -> None:
    def broken() -> None:
        raise ModuleNotFoundError("No module named 'nonexistent'", name="nonexistent")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(ModuleNotFoundError):
        cli.main()
