"""The per-second VF scorer (generated fixtures) and the shipped detector on the real records.

The out-of-fold figures are in ``training/results/vf_cv.json`` (``python training/vf_train.py``); the
data test re-counts the false VF alarms of the shipped model on every mitdb record without VF, against
the target of issue 17 (0). About 25 s on one core.
"""

from __future__ import annotations

import numpy as np
import pytest

from cardiowatch.data import Annotations, Record
from cardiowatch.data.databases import DataUnavailable, database_dir
from cardiowatch.evaluate.noise_stress import noise_add_at_snr, qrs_amplitude
from cardiowatch.evaluate.vf import (
    RhythmLabel,
    VfReport,
    mitdb_without_vf,
    vf_reference_seconds,
    vf_score,
    vf_score_record,
)
from cardiowatch.signal.vf import VfChange, VfWindow

FS = 250.0


def _record(database: str, n_seconds: int, anns: list[tuple[float, str, str]]) -> Record:
    sample = np.array([int(t * FS) for t, _, _ in anns], dtype=np.int64)
    ann = Annotations(sample, np.array([s for _, s, _ in anns], dtype=object),
                      np.array([a for _, _, a in anns], dtype=object), FS)
    return Record("r", database, FS, {"ECG": np.zeros(int(n_seconds * FS))}, {}, ann)


def test_cudb_labels_leave_out_the_seconds_before_the_first_annotation() -> None:
    rec = _record("cudb", 20, [(3.0, "N", ""), (10.0, "[", ""), (15.0, "]", "")])
    labels = vf_reference_seconds(rec)
    assert (labels[:3] == RhythmLabel.UNLABELLED).all()
    assert (labels[3:10] == RhythmLabel.OTHER).all()
    assert (labels[10:15] == RhythmLabel.VF).all()
    assert (labels[15:] == RhythmLabel.OTHER).all()


def test_an_open_vf_bracket_lasts_to_the_end_of_the_record() -> None:
    labels = vf_reference_seconds(_record("cudb", 10, [(0.0, "N", ""), (4.0, "[", "")]))
    assert (labels[4:] == RhythmLabel.VF).all()


def test_mitdb_labels_come_from_rhythm_notes_and_vt_faster_than_180_is_rapid() -> None:
    beats_fast = [(20.0 + i * 0.3, "V", "") for i in range(30)]  # 200 bpm
    beats_slow = [(40.0 + i * 0.5, "V", "") for i in range(18)]  # 120 bpm
    rec = _record("mitdb", 60, [(2.0, "+", "(N"), (10.0, "+", "(VFL"), (20.0, "+", "(VT"), *beats_fast,
                                (30.0, "+", "(AFIB"), (40.0, "+", "(VT"), *beats_slow, (50.0, "+", "(N")])
    labels = vf_reference_seconds(rec)
    assert labels[0] == RhythmLabel.UNLABELLED
    assert labels[5] == RhythmLabel.NSR
    assert labels[15] == RhythmLabel.VF
    assert labels[25] == RhythmLabel.RAPID_VT
    assert labels[35] == RhythmLabel.OTHER
    assert labels[45] == RhythmLabel.SLOW_VT


def _events(states: list[bool]) -> list[VfWindow | VfChange]:
    """One window per second ending at each second's end, with the given VF states."""
    out: list[VfWindow | VfChange] = []
    prev = False
    for k, s in enumerate(states):
        end = int((k + 1) * FS)
        out.append(VfWindow(end - int(4 * FS), end, float(s), s, s))
        if s != prev:
            out.append(VfChange(end, s, end))
        prev = s
    return out


def test_score_counts_seconds_delay_and_false_alarms() -> None:
    labels = np.array([RhythmLabel.NSR] * 10 + [RhythmLabel.VF] * 10 + [RhythmLabel.NSR] * 10, dtype=np.int8)
    states = [False] * 10 + [False] * 3 + [True] * 7 + [False] * 5 + [True] * 2 + [False] * 3
    score = vf_score_record("x", labels, _events(states), FS)
    assert score.seconds["VF"] == 10 and score.alarmed["VF"] == 7
    assert score.alarmed["NSR"] == 2
    assert score.delays_s == (4.0,)
    assert score.false_alarms == 1
    report = VfReport((score,)).to_dict()
    assert report["by_rhythm"]["VF"]["percent"] == pytest.approx(70.0)
    assert report["by_rhythm"]["NSR"]["percent"] == pytest.approx(90.0)


def test_a_vf_episode_never_alarmed_counts_as_missed() -> None:
    labels = np.array([RhythmLabel.VF] * 10, dtype=np.int8)
    score = vf_score_record("x", labels, _events([False] * 10), FS)
    assert score.missed_episodes == 1 and score.delays_s == ()


def test_noise_is_added_at_the_snr_of_the_qrs_amplitude() -> None:
    rng = np.random.default_rng(4)
    x = np.zeros(int(60 * FS))
    beats = np.arange(100, x.size - 100, int(FS))
    x[beats] = 2.0  # 2 mV peak-to-peak QRS
    noise = rng.normal(size=int(30 * FS)) + 5.0
    noisy = noise_add_at_snr(x, noise, 6.0, qrs_ptp=qrs_amplitude(x, beats, fs=FS))
    added = noisy - x
    snr = 10 * np.log10((2.0**2 / 8) / np.mean((added - added.mean()) ** 2))
    assert snr == pytest.approx(6.0, abs=1e-9)


@pytest.fixture(scope="module")
def mitdb_no_vf() -> list[str]:
    try:
        database_dir("mitdb")
    except DataUnavailable as exc:
        pytest.skip(str(exc))
    return mitdb_without_vf()


@pytest.mark.data
@pytest.mark.slow
def test_shipped_detector_raises_no_false_vf_alarm_on_mitdb_records_without_vf(mitdb_no_vf: list[str]) -> None:
    assert len(mitdb_no_vf) == 47
    report = VfReport(tuple(vf_score("mitdb", name) for name in mitdb_no_vf)).to_dict()
    assert report["false_vf_alarms"] == 0, report["records_with_false_alarms"]


@pytest.mark.data
def test_cudb_is_read_with_its_vf_brackets() -> None:
    try:
        database_dir("cudb")
    except DataUnavailable as exc:
        pytest.skip(str(exc))
    from cardiowatch.data import read_record

    rec = read_record("cudb", "cu01")  # VF from sample 53546 ('[') to 127231 (']'), 250 Hz, 127232 samples
    labels = vf_reference_seconds(rec)
    assert rec.fs == 250.0 and rec.ecg_lead() == "ECG"
    assert int((labels == RhythmLabel.VF).sum()) == 508 - 214
    assert int((labels == RhythmLabel.OTHER).sum()) == 214
