"""The HTML rhythm report."""

from __future__ import annotations

import numpy as np
import pytest
from rhythm_synthetic import FS
from typer.testing import CliRunner

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.cli import app
from cardiowatch.evaluate.report import write_report


def test_report_holds_summary_plots_strips_and_the_disclaimer(sinus_af_sinus, tmp_path) -> None:
    beats, _, _ = sinus_af_sinus
    signal = np.zeros(int(beats[-1]) + 100)
    signal[beats] = 1.0
    path = write_report(tmp_path / "r.html", title="synthetic", fs=FS, sample=beats, signal=signal,
                        signal_name="ECG")
    text = path.read_text()
    assert NOT_A_MEDICAL_DEVICE in text
    assert text.count("data:image/png;base64,") >= 3  # tachogram, timeline, at least one strip
    assert "AFIB: atrial fibrillation" in text
    assert "AF burden" in text and "SDNN" in text
    assert "http" not in text  # self-contained


@pytest.mark.data
def test_cli_report_of_an_mitdb_record(mitdb, tmp_path) -> None:
    out = tmp_path / "201.html"
    result = CliRunner().invoke(app, ["report", "mitdb/201", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "mitdb/201" in text and "AFIB" in text


def test_cli_report_rejects_a_record_without_database(tmp_path) -> None:
    result = CliRunner().invoke(app, ["report", "201"])
    assert result.exit_code == 2


@pytest.mark.data
def test_cli_report_of_a_bidmc_record_uses_ppg_pulses(bidmc, tmp_path) -> None:
    out = tmp_path / "b01.html"
    result = CliRunner().invoke(app, ["report", "bidmc/bidmc01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "PPG pulses" in text and "Mean heart rate" in text


@pytest.mark.data
def test_cli_report_reads_the_record_from_the_data_root_given(ltafdb, tmp_path) -> None:
    """``--data`` picks the root: an ltafdb record copied alone into it is reported; a root without it fails."""
    import shutil

    from cardiowatch.data import database_dir

    root = tmp_path / "data"
    (root / "ltafdb").mkdir(parents=True)
    for file in ("RECORDS", "00.hea", "00.atr"):
        shutil.copy(database_dir("ltafdb") / file, root / "ltafdb")
    out = tmp_path / "00.html"
    result = CliRunner().invoke(app, ["report", "ltafdb/00", "--data", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ltafdb/00" in out.read_text()
    result = CliRunner().invoke(app, ["report", "ltafdb/01", "--data", str(root), "--out", str(out)])
    assert result.exit_code == 1 and "error" in result.output
