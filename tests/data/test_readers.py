"""Readers of the real databases, and their errors on missing or truncated files."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from cardiowatch.data import (
    MITDB_DS1,
    MITDB_DS2,
    MITDB_PACED,
    aami_class,
    database_dir,
    read_bidmc,
    read_bidmc_csv,
    read_record,
    read_record_file,
)
from cardiowatch.data.databases import data_root
from cardiowatch.errors import DataUnavailable, RecordError


def test_aami_mapping_follows_ec57() -> None:
    assert [aami_class(s) for s in "NLRejAaJSVEF/fQ"] == list("NNNNNSSSSVVFQQQ")
    assert aami_class("+") is None and aami_class("!") is None and aami_class("~") is None


def test_ds1_ds2_and_paced_records_are_disjoint_and_complete() -> None:
    assert len(MITDB_DS1) == len(MITDB_DS2) == 22
    assert not set(MITDB_DS1) & set(MITDB_DS2)
    assert not set(MITDB_PACED) & (set(MITDB_DS1) | set(MITDB_DS2))


def test_data_root_prefers_explicit_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("CARDIOWATCH_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root() == tmp_path / "env"


def test_missing_database_says_how_to_fetch_it(tmp_path) -> None:
    with pytest.raises(DataUnavailable, match="cardiowatch data fetch mitdb"):
        database_dir("mitdb", tmp_path)


@pytest.mark.data
def test_mitdb_record_114_has_mlii_in_second_channel(mitdb: str) -> None:
    rec = read_record(mitdb, "114")
    assert rec.fs == 360.0 and rec.n_samples == 650000
    assert list(rec.signals) == ["V5", "MLII"] and rec.ecg_lead() == "MLII"
    assert rec.annotations is not None and rec.annotations.beats().aami.min() >= 0


@pytest.mark.data
def test_mitdb_beat_total_matches_published_count(mitdb: str) -> None:
    from cardiowatch.data import MITDB_ALL, read_annotations

    total = sum(len(read_annotations(mitdb, r).beats()) for r in MITDB_ALL)
    assert total == 109494  # ../shared/physionet/README.md


@pytest.mark.data
def test_truncated_signal_file_raises_record_error(mitdb: str, tmp_path) -> None:
    src = database_dir(mitdb)
    for ext in ("hea", "atr"):
        shutil.copy(src / f"100.{ext}", tmp_path / f"100.{ext}")
    (tmp_path / "100.dat").write_bytes((src / "100.dat").read_bytes()[:10000])
    with pytest.raises(RecordError, match="100"):
        read_record_file(tmp_path / "100", annotator="atr")


def test_missing_header_raises_record_error(tmp_path) -> None:
    with pytest.raises(RecordError, match="not found"):
        read_record_file(tmp_path / "nothing")


@pytest.mark.data
def test_bidmc_csv_form_equals_wfdb_form(bidmc: str) -> None:
    wfdb_form = read_bidmc("bidmc01")
    csv_path = database_dir(bidmc).parent / "bidmc_csv" / "bidmc_01_Signals.csv"
    csv_form = read_bidmc_csv(csv_path)
    assert csv_form.fs == wfdb_form.fs == 125.0
    for name in ("II", "PLETH", "RESP"):
        np.testing.assert_allclose(csv_form.signals[name], wfdb_form.signals[name], atol=1e-4)


def test_bidmc_csv_with_time_going_back_is_refused(tmp_path) -> None:
    path = tmp_path / "bidmc_99_Signals.csv"
    path.write_text("Time [s], PLETH\n0,1\n0.008,2\n0.004,3\n")
    with pytest.raises(RecordError, match="not increasing"):
        read_bidmc_csv(path)
