"""Full-data check: PPG pulse detection against the ECG of all 53 BIDMC records (issues 4 and 10).

Figures and how they were produced: docs/benchmarks.md, section "PPG pulse detection (BIDMC)"
(`.venv/bin/python benchmarks/ppg_bidmc.py`). Where a target of the issue is met the test asserts
the target; where it is missed it asserts the measured floor with a margin (noted per assert), so a
regression fails. About 30 s on one core.
"""

from __future__ import annotations

import os

import pytest

from cardiowatch.evaluate.ppg import BIDMC_RECORDS, simulate_adc_scenarios, validate_bidmc

if os.environ.get("CI"):
    from cardiowatch.signal.qrs import ecg_find_beats  # noqa: F401  (the reference must exist in CI)
else:
    pytest.importorskip("cardiowatch.signal.qrs")

pytestmark = [pytest.mark.data, pytest.mark.slow, pytest.mark.xdist_group("bidmc_ppg")]


@pytest.fixture(scope="module")
def validation(bidmc: str):
    return validate_bidmc(BIDMC_RECORDS)


def test_ppg_pulses_match_ecg_beats_on_good_quality_bidmc(validation) -> None:
    s = validation.summary()
    assert s["records"] == 53
    assert s["ecg_unusable_pct"] <= 30.0  # the reference must cover most of the time (measured 7-23 %)
    assert s["ppv_good_pct"] >= 99.0  # target met (measured 99.3 %; 99.8 % with an earlier QRS detector)
    assert s["se_good_pct"] >= 99.0  # target met (measured 99.4 %)
    assert s["se_premature_pct"] >= 85.0  # weak pulses of premature beats, by search-back: 91 %
    assert s["good_share_pct"] >= 95.0  # measured 97.8 %


def test_ppg_heart_rate_and_interval_error_against_ecg(validation) -> None:
    s = validation.summary()
    assert s["hr_windows"] >= 2000  # of 3180; measured 2297-2755
    assert s["hr_mae_ppg_vs_ecg_bpm"] <= 1.0  # target met (measured 0.69 bpm)
    assert s["hr_mae_no_premature_bpm"] <= 0.6  # windows without a premature beat: 0.31 bpm
    assert s["hr_ae_median_bpm"] <= 0.3
    # Our PPG HR is closer to the ECG than the monitor's own PULSE numerics (measured 0.69 vs 1.88).
    assert s["hr_mae_ppg_vs_ecg_bpm"] < s["hr_mae_monitor_pulse_vs_ecg_bpm"]
    # PPI - RRI: measured SD 17-19 ms, 95th percentile of |error| 24 ms (125 Hz grid: 8 ms).
    assert s["ppi_rri_sd_ms"] <= 25.0
    assert s["ppi_rri_abs_p95_ms"] <= 32.0
    assert abs(s["ppi_rri_mean_ms"]) <= 2.0


def test_ppg_detection_holds_under_pressure_and_gain_changes_where_a_fixed_threshold_fails(bidmc: str) -> None:
    # Every fourth record keeps the run short; the benchmark runs all 53.
    res = simulate_adc_scenarios(BIDMC_RECORDS[::4])
    base = res["baseline"]["detector"].sensitivity
    assert base >= 0.975  # measured 0.988
    for scenario, by_method in res.items():
        det, fixed = by_method["detector"], by_method["fixed threshold 550"]
        assert det.sensitivity >= base - 0.005, scenario
        assert det.ppv >= 0.98, scenario  # all usable time, no quality gate: 0.984 on this subset
        if scenario != "baseline":
            assert fixed.sensitivity < 0.6, scenario


@pytest.mark.data
@pytest.mark.parametrize("fs", [50, 100, 400])
def test_ppg_pulses_hold_at_other_sampling_rates(bidmc: str, fs: int) -> None:
    """A MAX30102 or analog pulse sensor may sample at 50-400 Hz: bidmc05's PPG resampled there gives the
    pulses found at BIDMC's 125 Hz (each within 100 ms); under 50 Hz is refused with a clear error."""
    from fractions import Fraction

    import numpy as np
    from scipy.signal import resample_poly

    from cardiowatch.data import read_record
    from cardiowatch.errors import SignalError
    from cardiowatch.pipeline import analyze_signal

    pleth = read_record(bidmc, "bidmc05", annotator=None).signals["PLETH"]
    base = analyze_signal(pleth, fs=125.0, sensor="ppg").beat_samples / 125.0
    ratio = Fraction(fs, 125)
    got = analyze_signal(resample_poly(pleth, ratio.numerator, ratio.denominator), fs=float(fs),
                         sensor="ppg").beat_samples / fs
    nearest = np.abs(got[np.clip(np.searchsorted(got, base), 1, len(got) - 1)[:, None] + [-1, 0]] - base[:, None])
    assert len(base) > 700 and abs(len(got) - len(base)) <= 0.01 * len(base)
    assert np.mean(nearest.min(axis=1) < 0.1) >= 0.995
    with pytest.raises(SignalError, match="outside the supported"):
        analyze_signal(resample_poly(pleth, 1, 5), fs=25.0, sensor="ppg")
