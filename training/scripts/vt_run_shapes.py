"""How alike the beats of fast V runs are, and how soon after noise they start: the near-noise VT rule's data.

Usage::

    nice -n 10 python -m training.scripts.vt_run_shapes --jobs 2

Development records only, as `training.scripts.vt_episodes` (mitdb DS1 + paced, cudb, mitdb 118/119 with
nstdb em noise at 24 to -6 dB). Each record runs through the one `Pipeline`; every run of V beats it
reports that reaches three beats faster than `VT_ONSET_MIN_BPM` (the tracker's rate: median of the
intervals ending at its last three V beats) is listed at that beat, with the least `shape_similarity` of
the pairs of its last three V beats, the seconds from the newest Q (noise-flagged) beat before it to its
first beat, and whether it lies in a reference VT/VF stretch (``true``; the vt_episodes rule) or not
(``false``: its alert would be false). The rule (`VT_NOISE_NEAR_S`, `VT_ALIKE_MIN_CORR`) is read off the
rows near noise.
"""

from __future__ import annotations

import argparse
import itertools
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from training.scripts import vt_episodes as ve


def runs_of(job: tuple) -> list[tuple]:
    """(record, s, true/false, seconds after noise or None, least similarity) of each fast V run."""
    from dataclasses import replace

    from cardiowatch.data import read_record
    from cardiowatch.evaluate.noise_stress import NoisePart, noise_stress_copy
    from cardiowatch.pipeline import Pipeline, PipelineConfig
    from cardiowatch.rhythm.tracker import VT_ONSET_MIN_BPM, shape_similarity

    kind, name, *rest = job
    record = read_record("cudb" if kind == "cudb" else "mitdb", name)
    if kind == "noisy":
        lead = record.ecg_lead()
        noisy, _ = noise_stress_copy(record.signals[lead], record.annotations.beats().sample, fs=record.fs,
                                     noise=ve.NOISE, snr_db=rest[0], part=NoisePart.TRAIN)
        record = replace(record, name=f"{name}{ve.NOISE}{rest[0]}", signals={lead: noisy})
    x = record.signals[record.ecg_lead()]
    pipe = Pipeline(PipelineConfig(fs=record.fs, sensor="ecg"))
    step = int(round(record.fs))
    beats = [b for i in range(0, len(x), step) for b in pipe.process(x[i:i + step]).beats] + list(pipe.flush().beats)
    _, vt_any = ve.vt_stretches(record.annotations, fs=record.fs, end_sample=record.n_samples)
    out, run, last_q, told = [], [], None, False
    for prev, b in zip([None] + beats[:-1], beats):
        if b.label == "Q":
            last_q = b.sample
        if b.label != "V":
            run, told = [], False
            continue
        run.append((b.sample, (b.sample - prev.sample) / record.fs if prev is not None else np.nan, b.shape))
        if len(run) < 3 or told:
            continue  # one row per run: at the beat it first turned fast
        rate = 60.0 / np.nanmedian([r for _, r, _ in run[-3:]])
        if not rate > VT_ONSET_MIN_BPM:
            continue
        told = True
        t = b.sample / record.fs
        true = any(s - ve.BEFORE_S <= t <= e + ve.AFTER_S for s, e in vt_any)
        after = None if last_q is None else (run[0][0] - last_q) / record.fs
        last3 = [shape for _, _, shape in run[-3:]]
        sim = min(-1.0 if a is None or c is None else shape_similarity(a, c)
                  for a, c in itertools.combinations(last3, 2))
        out.append((record.name, round(t, 1), true, after, round(sim, 2)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--near-s", type=float, default=10.0, help="list runs starting this soon after noise")
    args = parser.parse_args()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = [r for rs in pool.map(runs_of, ve.jobs_for(["ds1", "paced", "cudb", "noisy"])) for r in rs]
    print("| record | s | in reference VT/VF | s after noise | least similarity of its last 3 V beats |")
    print("|---|---:|---|---:|---:|")
    near = [r for r in rows if r[3] is not None and r[3] <= args.near_s]
    for name, t, true, after, sim in near:
        print(f"| {name} | {t} | {'true' if true else 'false'} | {after:.1f} | {sim:.2f} |")
    print(f"\nFast V runs: {len(rows)} ({sum(not r[2] for r in rows)} false); listed: those starting <= "
          f"{args.near_s:g} s after a Q beat.")


if __name__ == "__main__":
    main()
