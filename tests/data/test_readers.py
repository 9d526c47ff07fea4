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


def test_ecg_lead_falls_back_to_channels_named_like_ecg_leads() -> None:
    """afdb and svdb call their leads ECG1/ECG2, edb MLIII; a PPG or respiration channel is never taken."""
    from cardiowatch.data import Record

    def record(*names: str) -> Record:
        return Record("r", "", 250.0, {n: np.zeros(10) for n in names}, {n: "mV" for n in names}, None)

    assert record("ECG1", "ECG2").ecg_lead() == "ECG1"
    assert record("RESP", "MLIII", "V4").ecg_lead() == "V4"  # a preferred lead wins wherever it is
    assert record("RESP", "MLIII").ecg_lead() == "MLIII"
    assert record("PLETH", "CM5").ecg_lead() == "CM5"
    with pytest.raises(KeyError, match="none of the ECG leads"):
        record("PLETH", "RESP", "ABP").ecg_lead()


def test_split_beat_and_rhythm_annotators_are_merged(ltafdb: str, tmp_path) -> None:
    """A database whose beats and rhythm sit in different files (afdb: qrs and atr) reads as one whose
    annotation file holds both: an ltafdb record split that way gives the same beats and rhythm."""
    from cardiowatch.data import read_annotations, write_annotations
    from cardiowatch.data.databases import database_dir
    from cardiowatch.evaluate.rhythm import load_beat_record

    ann = read_annotations("ltafdb", "00")
    folder = tmp_path / "afdb"
    folder.mkdir()
    (folder / "RECORDS").write_text("00\n")
    shutil.copy(database_dir("ltafdb") / "00.hea", folder)
    beat = np.array([s not in ("+", "~", "|", '"') for s in ann.symbol])
    write_annotations(folder, "00", "qrs", fs=ann.fs, sample=ann.sample[beat], symbol=list(ann.symbol[beat]))
    write_annotations(folder, "00", "atr", fs=ann.fs, sample=ann.sample[~beat], symbol=list(ann.symbol[~beat]),
                      aux_note=list(ann.aux_note[~beat]))

    split, whole = load_beat_record("afdb", "00", root=tmp_path), load_beat_record("ltafdb", "00")
    np.testing.assert_array_equal(split.sample, whole.sample)
    np.testing.assert_array_equal(split.label, whole.label)
    np.testing.assert_array_equal(split.rhythm, whole.rhythm)
    assert "AFIB" in set(split.rhythm)
