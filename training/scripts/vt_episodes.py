"""Per-episode VT sensitivity and delay, failure classes and false VT alerts on the development records.

Usage::

    nice -n 19 python -m training.scripts.vt_episodes --jobs 2 [--save out.json]
    python -m training.scripts.vt_episodes --from out.json            # format saved results again

Development records only (mitdb DS2 is never read): mitdb DS1 and the paced records (217 holds VT), cudb
(its ``(VT`` notes; its beats are all annotated N, so no beat-level diagnosis there) and noisy copies of
mitdb 118 and 119 with nstdb electrode-motion noise at 24 down to -6 dB (nstdb's schedule, the noise
record's training half: `cardiowatch.evaluate.noise_stress`), which hold no VT: every VT alert there is
false.

Alerts are the server's rules run offline, as in ``benchmarks/alarm_budget.py``: the record's ECG lead in
1-s frames through the device's pipeline, the server's observation mapping and its `AlertEngine`. An
episode (``(VT``, or ``(VFL``/``(VF``) is alerted in time when a VT or VF alert is open between 5 s
before its onset and 10 s after it (the alarm budget's rule). A VT or VF alert is false when it is raised
further than 5 s before / 10 s after any reference VT or VF stretch (cudb: also its ``[ ]`` VF marks).

Failure class of a missed mitdb episode, read from the reference beats of its first 10 s and what the
pipeline reported at each (matched within 150 ms): the most frequent thing that broke a run of V beats:
``missed`` (the QRS detector found no beat), ``Q`` (the beat was reported unclassifiable: the
signal-quality stage flagged noise), ``F`` / ``N`` / ``S`` (classified as such), or ``slow`` (three V beats
in a row were reported but the run was not faster than 90 bpm).

Class of a false VT alert, read from the reported V beats of the run whose ``VT_ONSET`` raised it (its
first beat up to the beat that told it), each matched to a reference beat within 150 ms: ``extra
detections`` (a beat of the run matches no reference beat: the QRS detector read noise as beats), ``real
V run`` (every beat is a reference V beat: a run the annotators did not call VT), else ``N called V`` /
``S called V`` / ... (the most frequent reference class among the run's beats that are not V). ``near
noise`` is added when the run starts within `NOISE_NEAR_S` of a noise-flagged (unclassifiable) stretch.
cudb has no beat classes: its false alerts get only the noise part.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger("vt_episodes")

BEFORE_S = 5.0
AFTER_S = 10.0
MATCH_S = 0.150
VT_KINDS = ("ventricular_tachycardia", "ventricular_fibrillation")
VT_NOTES = ("(VT", "(VFL", "(VF")
NOISE = "em"
NOISE_SNRS_DB = (24, 18, 12, 6, 0, -6)
NOISE_RECORDS = ("118", "119")
#: A false VT run is "near noise" (the report's class) when it starts within this of a noise-flagged
#: stretch; the tracker's own rule (`VT_NOISE_NEAR_S`, 5 s after a Q beat) is wider on purpose.
NOISE_NEAR_S = 2.0


@dataclass
class EpisodeResult:
    record: str
    onset_s: float
    end_s: float
    delay_s: float | None  #: None: missed
    n_ref_v: int = 0
    outcome: dict[str, int] = field(default_factory=dict)  #: what the pipeline reported at its V beats
    failure: str | None = None


@dataclass
class RecordResult:
    group: str
    record: str
    hours: float
    alerts: list[tuple]  #: (kind, raised s, resolved s or None)
    false_alerts: list[tuple]  #: (kind, raised s)
    episodes: list[EpisodeResult]
    false_classes: list[str] = field(default_factory=list)  #: class of each false VT alert (see the docstring)


@dataclass
class Trace:
    """What the pipeline reported, for the diagnosis: beats, VT_ONSET runs and noise-flagged stretches."""

    beats: list[tuple[int, str]] = field(default_factory=list)  #: (sample, label)
    onsets: list[tuple[int, int]] = field(default_factory=list)  #: (run's first beat, beat that told it)
    noise: list[tuple[int, int]] = field(default_factory=list)  #: unclassifiable stretches [start, end)


class _RecordingPipeline:
    """Wraps a `Pipeline` and keeps what it reported in a `Trace`."""

    def __init__(self, pipeline, trace: Trace) -> None:
        self.pipeline = pipeline
        self.trace = trace

    def __getattr__(self, name):
        return getattr(self.pipeline, name)

    def _keep(self, out):
        self.trace.beats.extend((b.sample, b.label) for b in out.beats)
        self.trace.onsets.extend((e.sample, e.detected_sample) for e in out.events if e.kind == "VT_ONSET")
        self.trace.noise.extend((q.start, q.end) for q in out.quality if q.flag.unclassifiable)
        return out

    def process(self, samples):
        return self._keep(self.pipeline.process(samples))

    def flush(self):
        return self._keep(self.pipeline.flush())


_CLASSIFIER = None


def _replay(record) -> tuple[list, Trace, float]:
    """The server's alerts for ``record`` (its ECG lead in 1-s frames) and what its pipeline reported."""
    global _CLASSIFIER
    from cardiowatch.beats.classifier import BeatClassifier
    from cardiowatch.pipeline import Pipeline, PipelineConfig
    from cardiowatch.protocol import frame_decode
    from cardiowatch.server.alert_replay import AlertReplay
    from cardiowatch.simulate.device import VirtualDevice
    from cardiowatch.simulate.source import source_from_record

    if _CLASSIFIER is None:
        _CLASSIFIER = BeatClassifier()
    trace = Trace()

    def factory(fs: float, modality: str):
        return _RecordingPipeline(Pipeline(PipelineConfig(fs=fs, sensor=modality), beat_classifier=_CLASSIFIER),
                                  trace)

    source = source_from_record(record)
    replay = AlertReplay(factory)
    device = VirtualDevice(1, "vt", source, frame_samples=int(round(record.fs)))
    for out in device.frames_until(float("inf")):
        frame = frame_decode(out.data)
        replay.frame(frame, t0_s=out.t_end_s - len(frame.samples) / record.fs)
    duration_s = len(source.counts) / record.fs
    alerts = [(a.kind, a.raised_s, a.resolved_s) for a in replay.finish(now=duration_s)]
    return alerts, trace, duration_s


def vt_stretches(annotations, *, fs: float, end_sample: int) -> tuple[list, list]:
    """(VT episodes, every VT/VF stretch) in seconds from the rhythm notes (and cudb's ``[ ]`` VF marks)."""
    changes = annotations.rhythm_changes() + [(end_sample, "(END")]
    episodes = [(s / fs, e / fs) for (s, note), (e, _) in zip(changes, changes[1:]) if note.strip() in VT_NOTES]
    vf_marks, start = [], None
    for s, sym in zip(annotations.sample, annotations.symbol):
        if sym == "[":
            start = s
        elif sym == "]" and start is not None:
            vf_marks.append((start / fs, s / fs))
            start = None
    if start is not None:
        vf_marks.append((start / fs, end_sample / fs))
    return episodes, episodes + vf_marks


def _open_until(alert: tuple) -> float:
    return float("inf") if alert[2] is None else alert[2]


def episode_delay(alerts: list[tuple], onset_s: float) -> float | None:
    """Delay to the first VT/VF alert open from 5 s before onset to 10 s after it (None: missed)."""
    times = [a[1] for a in alerts if a[0] in VT_KINDS and a[1] <= onset_s + AFTER_S
             and _open_until(a) >= onset_s - BEFORE_S]
    return max(0.0, min(times) - onset_s) if times else None


def diagnose(ref_sample: np.ndarray, ref_label: np.ndarray, beats: list[tuple[int, str]], *, fs: float,
             onset_s: float, end_s: float) -> tuple[int, dict[str, int], str]:
    """What the pipeline reported at the reference V beats of an episode's first 10 s, and its failure class."""
    t = ref_sample / fs
    inside = (t >= onset_s - 0.5) & (t <= min(end_s, onset_s + AFTER_S)) & (ref_label == "V")
    out_sample = np.array([b[0] for b in beats], dtype=np.int64)
    out_label = np.array([b[1] for b in beats], dtype=object)
    got = []
    for s in ref_sample[inside]:
        i = int(np.searchsorted(out_sample, s))
        near = [j for j in (i - 1, i) if 0 <= j < len(out_sample) and abs(out_sample[j] - s) <= MATCH_S * fs]
        got.append(out_label[min(near, key=lambda j: abs(out_sample[j] - s))] if near else "missed")
    outcome = dict(collections.Counter(got))
    breakers = collections.Counter(g for g in got if g != "V")
    if breakers:
        failure = breakers.most_common(1)[0][0]
    else:
        failure = "slow" if len(got) >= 3 else "too short"
    return int(inside.sum()), outcome, failure


def false_vt_class(raised_s: float, trace: Trace, *, fs: float, ref_sample: np.ndarray | None = None,
                   ref_label: np.ndarray | None = None) -> str:
    """Class of the false VT alert raised at ``raised_s`` (see the module docstring)."""
    before = [o for o in trace.onsets if o[1] / fs <= raised_s + 1.0]  # told with its beat, raised later
    if not before:
        return "no VT_ONSET found"
    start, told = max(before, key=lambda o: o[1])
    near = NOISE_NEAR_S * fs
    noisy = any(a - near <= told and start <= b + near for a, b in trace.noise)
    where = ", near noise" if noisy else ""
    if ref_sample is None or ref_label is None:
        return "no beat reference" + where
    got = []
    for s, label in trace.beats:
        if not start <= s <= told or label != "V":
            continue
        i = int(np.searchsorted(ref_sample, s))
        match = [j for j in (i - 1, i) if 0 <= j < len(ref_sample) and abs(ref_sample[j] - s) <= MATCH_S * fs]
        got.append(ref_label[min(match, key=lambda j: abs(ref_sample[j] - s))] if match else "extra")
    if "extra" in got:
        kind = "extra detections"
    elif got and all(g == "V" for g in got):
        kind = "real V run"
    else:
        kind = collections.Counter(g for g in got if g != "V").most_common(1)[0][0] + " called V" if got else "?"
    return kind + where


def mitdb_result(name: str, group: str, record=None) -> RecordResult:
    from cardiowatch.data import AAMI_CLASSES, read_record

    record = record if record is not None else read_record("mitdb", name)
    alerts, trace, duration_s = _replay(record)
    ann = record.annotations
    n = record.n_samples
    episodes, vt_any = vt_stretches(ann, fs=record.fs, end_sample=n)
    ref = ann.beats()
    ref_label = np.array([AAMI_CLASSES[c] for c in ref.aami], dtype=object)
    results = []
    for onset, end in episodes:
        delay = episode_delay(alerts, onset)
        ep = EpisodeResult(record.name, round(onset, 1), round(end, 1), delay)
        ep.n_ref_v, ep.outcome, failure = diagnose(ref.sample, ref_label, trace.beats, fs=record.fs,
                                                    onset_s=onset, end_s=end)
        ep.failure = failure if delay is None else None
        results.append(ep)
    false = _false(alerts, vt_any)
    classes = [false_vt_class(t, trace, fs=record.fs, ref_sample=ref.sample, ref_label=ref_label)
               for kind, t in false if kind == VT_KINDS[0]]
    return RecordResult(group, record.name, duration_s / 3600, alerts, false, results, classes)


def cudb_result(name: str) -> RecordResult:
    from cardiowatch.data import read_record

    record = read_record("cudb", name)
    alerts, trace, duration_s = _replay(record)
    episodes, vt_any = vt_stretches(record.annotations, fs=record.fs, end_sample=record.n_samples)
    results = [EpisodeResult(name, round(s, 1), round(e, 1), episode_delay(alerts, s)) for s, e in episodes]
    false = _false(alerts, vt_any)
    classes = [false_vt_class(t, trace, fs=record.fs) for kind, t in false if kind == VT_KINDS[0]]
    return RecordResult("cudb", name, duration_s / 3600, alerts, false, results, classes)


def noisy_result(name: str, snr_db: int) -> RecordResult:
    from dataclasses import replace

    from cardiowatch.data import read_record
    from cardiowatch.evaluate.noise_stress import NoisePart, noise_stress_copy

    record = read_record("mitdb", name)
    lead = record.ecg_lead()
    noisy, _ = noise_stress_copy(record.signals[lead], record.annotations.beats().sample, fs=record.fs,
                                 noise=NOISE, snr_db=snr_db, part=NoisePart.TRAIN)
    copy = replace(record, name=f"{name}{NOISE}{snr_db}", signals={lead: noisy})
    return mitdb_result(copy.name, f"mitdb {NOISE}-noised", record=copy)


def _false(alerts: list[tuple], vt_any: list[tuple[float, float]]) -> list[tuple]:
    return [(a[0], round(a[1], 1)) for a in alerts if a[0] in VT_KINDS
            and not any(s - BEFORE_S <= a[1] <= e + AFTER_S for s, e in vt_any)]


def run_job(job: tuple) -> RecordResult:
    kind, name, *rest = job
    if kind == "cudb":
        return cudb_result(name)
    if kind == "noisy":
        return noisy_result(name, rest[0])
    return mitdb_result(name, kind)


def jobs_for(groups: list[str]) -> list[tuple]:
    from cardiowatch.data import MITDB_DS1, MITDB_PACED, list_records

    jobs: list[tuple] = []
    if "ds1" in groups:
        jobs += [("mitdb DS1", r) for r in MITDB_DS1]
    if "paced" in groups:
        jobs += [("mitdb paced", r) for r in MITDB_PACED]
    if "cudb" in groups:
        jobs += [("cudb", r) for r in list_records("cudb")]
    if "noisy" in groups:
        jobs += [("noisy", r, snr) for r in NOISE_RECORDS for snr in NOISE_SNRS_DB]
    return jobs


def report(results: list[RecordResult]) -> str:
    lines = ["| group | records | hours | VT episodes alerted <= 10 s | median delay s | false VT | false VF |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    groups: dict[str, list[RecordResult]] = {}
    for r in results:
        groups.setdefault(r.group, []).append(r)
    for group, rs in groups.items():
        eps = [e for r in rs for e in r.episodes]
        found = [e.delay_s for e in eps if e.delay_s is not None]
        med = f"{statistics.median(found):.1f}" if found else "-"
        false_vt = sum(1 for r in rs for f in r.false_alerts if f[0] == VT_KINDS[0])
        false_vf = sum(1 for r in rs for f in r.false_alerts if f[0] == VT_KINDS[1])
        lines.append(f"| {group} | {len(rs)} | {sum(r.hours for r in rs):.1f} | {len(found)}/{len(eps)} | {med} "
                     f"| {false_vt} | {false_vf} |")
    missed = [e for r in results for e in r.episodes if e.delay_s is None]
    classes = collections.Counter(e.failure or "n/a (no beat classes)" for e in missed)
    lines += ["", "Failure classes of missed episodes: "
              + (", ".join(f"{k} {v}" for k, v in classes.most_common()) or "none"), "",
              "Missed episodes (record, onset s, end s, reference V beats in the first 10 s, reported there):"]
    lines += [f"- {e.record} {e.onset_s}-{e.end_s} s: {e.n_ref_v} V, {e.outcome} -> {e.failure}" for e in missed]
    false = [(r.record, f) for r in results for f in r.false_alerts]
    lines += ["", "False VT/VF alerts (record, kind, raised s): "
              + ("; ".join(f"{rec} {k.split('_')[-1]} {t}" for rec, (k, t) in false) or "none")]
    lines += ["", "Classes of false VT alerts (group: class count):"]
    for group, rs in groups.items():
        counts = collections.Counter(c for r in rs for c in r.false_classes)
        if counts:
            lines.append(f"- {group}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    lines += ["", "False VT alerts by class (record, raised s, class): " + ("; ".join(
        f"{r.record} {t} {c}" for r in results
        for (_, t), c in zip([f for f in r.false_alerts if f[0] == VT_KINDS[0]], r.false_classes)) or "none")]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="ds1,paced,cudb,noisy")
    parser.add_argument("--records", help="comma-separated record names (a subset)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--from", dest="load", type=Path, nargs="+")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("cardiowatch").setLevel(logging.ERROR)
    if args.load:
        results = [RecordResult(**{**r, "episodes": [EpisodeResult(**e) for e in r["episodes"]]})
                   for path in args.load for r in json.loads(path.read_text())]
    else:
        jobs = jobs_for(args.groups.split(","))
        if args.records:
            jobs = [j for j in jobs if j[1] in args.records.split(",")]
        results = []
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for r in pool.map(run_job, jobs):
                log.info("%s %s: episodes %s, false %s", r.group, r.record,
                         [(e.onset_s, e.delay_s) for e in r.episodes], r.false_alerts)
                results.append(r)
        if args.save:
            args.save.write_text(json.dumps([asdict(r) for r in results]))
    print(report(results))


if __name__ == "__main__":
    main()
