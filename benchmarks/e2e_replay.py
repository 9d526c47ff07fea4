"""End-to-end replay of every DS2 record through the running server (issue 8): alert coverage and latency.

    .venv/bin/python benchmarks/e2e_replay.py            # runs tests/e2e/test_replay_ds2.py, writes the section

The test's report is also kept as ``benchmarks/results/e2e_ds2_replay.json`` for the alarm budget.

The figures come from the test's own report (``e2e_ds2_replay.json``), so the docs say exactly what the
CI check measured; see that test's docstring for the method (accelerated clock, latency in record time).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "benchmarks" / "results" / "e2e_ds2_replay.json"
log = logging.getLogger(__name__)


def run_test(report_dir: Path) -> dict:
    env = {**os.environ, "CW_REPORT_DIR": str(report_dir)}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
                    "tests/e2e/test_replay_ds2.py"], cwd=ROOT, env=env, check=False)
    return json.loads((report_dir / "e2e_ds2_replay.json").read_text())


def section(report: dict) -> str:
    lines = ["## End-to-end replay (DS2 through the running server)", "",
             "Produced by `.venv/bin/python benchmarks/e2e_replay.py` (runs `tests/e2e/test_replay_ds2.py`). "
             "All 22 DS2 records streamed at once over HTTP by virtual devices, 12x real time, into the real "
             "server (SQLite) with an accelerated clock; alert latency is counted in record time, from the "
             "annotated onset to how much of the record the server had stored when the alert was raised.",
             "Stored beats and classes equal the offline pipeline's on every record (last 10 s excepted: "
             "still in the look-ahead), and every frame is stored exactly once.", "",
             "| episodes (reference) | alerted in time | missed | median latency | max latency | target |",
             "|---|---|---|---|---|---|"]
    targets = {"VT": "every episode, <= 10 s", "AF": "every episode >= 60 s, <= 120 s"}
    for kind in ("VT", "AF"):
        hit = [e for e in report["alerted"] if e[1] == kind]
        miss = [e for e in report["missed"] if e[1] == kind]
        lat = report["latency_s"][kind]
        med = f"{statistics.median(lat):.1f} s" if lat else "-"
        top = f"{max(lat):.1f} s" if lat else "-"
        lines.append(f"| {kind} ({len(hit) + len(miss)}) | {len(hit)} | {len(miss)} | {med} | {top} | {targets[kind]} |")
    hours = len(report["false_alerts"]) / report["false_alerts_per_hour"] if report["false_alerts"] else 0.0
    system = report.get("system_missed", [])
    lines += ["", "VT and lasting AF that the offline pipeline detected but the server did not alert on within 5 s "
              "of record time: "
              f"{len(system)}" + (f" ({system})" if system else "") + "."]
    delays = [d for d in report.get("system_delay_s", []) if d != float("inf")]
    if delays:
        lines += ["", f"The server's own delay, detection to alert beyond the alert's hysteresis (record time at "
                  f"12x, so 1 s of wall time is 12 s; errs late by up to one 2-frame send): median "
                  f"{statistics.median(delays):.1f} s, max {max(delays):.1f} s over {len(delays)} detections."]
    lines += ["", f"False VT/AF alerts: {len(report['false_alerts'])} in {hours:.1f} h, "
              f"**{report['false_alerts_per_hour']:.2f} per hour**.", "",
              "Missed episodes (record, kind, onset s, duration s, latency s): " +
              "; ".join(f"{r} {k} at {o} s ({d} s)" for r, k, o, d, _ in report["missed"]) + "."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="format this e2e_ds2_replay.json instead of running the test")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = json.loads(args.report.read_text()) if args.report else run_test(Path(tempfile.mkdtemp()))
    if not args.report:  # kept for the alarm budget (benchmarks/alarm_budget.py), which reads, not reruns, it
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps(report, indent=1) + "\n")
    text = section(report)
    log.info("%s", text)
    if not args.no_write:
        from docs_section import write_section  # benchmarks/ is sys.path[0] when run
        write_section("e2e", text)


if __name__ == "__main__":
    main()
