"""The C PPG pulse detector (``cw_ppg``) on all 53 BIDMC records, next to the Python one.

Three figures, for docs/benchmarks.md ("Firmware" section, part ``ppg``):

1. agreement: C and Python pulses within one sample, on every record's PLETH;
2. pulse Se / +P of the C detector against the ECG beats of the same records, scored exactly as the
   Python detector is in ``benchmarks/ppg_bidmc.py`` (``cardiowatch.evaluate.ppg``, all usable-ECG time);
3. issue 10: the same under simulated finger-pressure and gain changes on the ESP32's 12-bit scale
   (``cardiowatch.evaluate.ppg.ADC_SCENARIOS``), next to the user's fixed threshold of 550.

Usage (from the repository root, after the host build)::

    .venv/bin/python firmware/tools/ppg_validation.py [--records bidmc01 ...] [--write]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import agreement  # noqa: E402

log = logging.getLogger("ppg_validation")


def c_detect(x: np.ndarray, fs: float) -> np.ndarray:
    """C pulses of a signal already on an integer scale (ADC counts, or PLETH x PLETH_COUNTS)."""
    return agreement.run_c("ppg", agreement._to_int16(x, "PPG"), fs=fs)


def validate(records: list[str]) -> str:
    from cardiowatch.data.bidmc import read_bidmc
    from cardiowatch.evaluate.match import DetectionScore
    from cardiowatch.evaluate.ppg import (
        ADC_SCENARIOS,
        _adc,
        _to_adc,
        ecg_usable_mask,
        evaluate_ppg_record,
        fixed_threshold_pulses,
    )
    from cardiowatch.signal.qrs import ecg_find_beats

    t0 = time.perf_counter()
    rows = [agreement.ppg_agreement(r) for r in records]
    c_score = DetectionScore(0, 0, 0)
    py_score = DetectionScore(0, 0, 0)
    sims = {s: [DetectionScore(0, 0, 0), DetectionScore(0, 0, 0)] for s in ADC_SCENARIOS}
    for name in records:
        rec = read_bidmc(name)
        beats = np.asarray(ecg_find_beats(rec.signals["II"], fs=rec.fs), dtype=np.int64)
        usable = ecg_usable_mask(rec.signals["II"], beats, fs=rec.fs)
        pleth = agreement.bidmc_counts(name)[0].astype(np.float64)  # the same integers for both detectors
        res = evaluate_ppg_record(rec, ppg=pleth, detect=c_detect, find_beats=lambda e, fs, b=beats: b,
                                  ecg_usable=usable, rate_quality=False)
        c_score = c_score + res.score_all
        res = evaluate_ppg_record(rec, ppg=pleth, detect=None, find_beats=lambda e, fs, b=beats: b,
                                  ecg_usable=usable, rate_quality=False)
        py_score = py_score + res.score_all
        base = _to_adc(rec.signals["PLETH"])
        for scenario, change in ADC_SCENARIOS.items():
            x = _adc(change(base, rec.fs))
            for k, detect in enumerate((c_detect, fixed_threshold_pulses)):
                r = evaluate_ppg_record(rec, ppg=x, detect=detect, find_beats=lambda e, fs, b=beats: b,
                                        ecg_usable=usable, rate_quality=False)
                sims[scenario][k] = sims[scenario][k] + r.score_all
        log.info("%s done", name)
    elapsed = time.perf_counter() - t0
    lines = [
        agreement.report(rows, "PPG pulse detector (`cw_ppg` vs `signal/ppg.py`)", "BIDMC PLETH", noun="pulses"),
        "",
        f"Against the ECG beats of the same {len(records)} records (lead II beats of today's "
        "`signal/qrs.py`, all usable-ECG time, PPG quality not applied, `cardiowatch.evaluate.ppg`): "
        f"C detector pulse Se **{100 * c_score.sensitivity:.2f} %**, +P **{100 * c_score.ppv:.2f} %** "
        f"(TP {c_score.tp}, FN {c_score.fn}, FP {c_score.fp}); the Python detector on the same input and scoring: "
        f"Se {100 * py_score.sensitivity:.2f} %, +P {100 * py_score.ppv:.2f} % (TP {py_score.tp}, FN {py_score.fn}, "
        f"FP {py_score.fp}).",
        "",
        "Finger pressure and gain changes (issue 10), same scenarios as the PPG section, C detector:",
        "",
        "| scenario | C detector Se | C detector +P | fixed 550 Se | fixed 550 +P |",
        "|---|---|---|---|---|",
    ]
    for scenario, (det, fixed) in sims.items():
        lines.append(f"| {scenario} | {100 * det.sensitivity:.2f} % | {100 * det.ppv:.2f} % | "
                     f"{100 * fixed.sensitivity:.2f} % | {100 * fixed.ppv:.2f} % |")
    lines += ["", f"Made by `.venv/bin/python firmware/tools/ppg_validation.py --write` ({elapsed:.0f} s, one core)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="C PPG detector on BIDMC")
    parser.add_argument("--records", nargs="*", help="default: all 53")
    parser.add_argument("--write", action="store_true", help="write into docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from cardiowatch.evaluate.ppg import BIDMC_RECORDS

    text = validate(args.records or list(BIDMC_RECORDS))
    sys.stdout.write(text)
    if args.write:
        from fwbuild import write_benchmarks_part

        write_benchmarks_part("ppg", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
