"""EC57-style report of beat classification: gross and per-record Se / +P per AAMI class.

Each record's classified beats are matched to its reference beats within `MATCH_WINDOW_S` (as bxb
does). The confusion matrix has one row per reference class plus a row for detections that match no
reference beat, and one column per output class plus a column for reference beats nobody detected.
Per class c: TP = matched beats labelled c by both; FN = reference c beats labelled otherwise or missed;
FP = beats labelled c whose reference is another class or that match no reference beat. This is the
strict form: unlike EC57's VEB statistics, a fusion (F) beat called V counts as a V false positive.

References
----------
ANSI/AAMI EC57:2012, Testing and reporting performance results of cardiac rhythm and ST segment
measurement algorithms. de Chazal P, O'Dwyer M, Reilly RB. IEEE Trans Biomed Eng 51(7):1196-1206 (2004).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from cardiowatch.data.aami import AAMI_CLASSES
from cardiowatch.evaluate.match import MATCH_WINDOW_S, DetectionScore, match_beats

logger = logging.getLogger(__name__)

#: Row/column label of "no beat there" (an extra detection's reference; a missed beat's output).
NONE_LABEL = "-"
MATRIX_LABELS: tuple[str, ...] = AAMI_CLASSES + (NONE_LABEL,)
#: Classes with Se / +P in the report (Q is too rare in MIT-BIH to score meaningfully).
SCORED_CLASSES: tuple[str, ...] = ("N", "S", "V", "F")
BEATS_FROM = ("reference", "detector")


def classification_confusion(
    ref_sample: np.ndarray, ref_class: Sequence[str], det_sample: np.ndarray, det_class: Sequence[str],
    *, fs: float, window_s: float = MATCH_WINDOW_S,
) -> np.ndarray:
    """Confusion matrix (rows reference, columns output; labels `MATRIX_LABELS`) of one record."""
    idx = {c: i for i, c in enumerate(MATRIX_LABELS)}
    none = idx[NONE_LABEL]
    m = np.zeros((len(MATRIX_LABELS), len(MATRIX_LABELS)), dtype=np.int64)
    ri, di = match_beats(np.asarray(ref_sample), np.asarray(det_sample), fs=fs, window_s=window_s)
    for r, d in zip(ri, di):
        m[idx[ref_class[r]], idx[det_class[d]]] += 1
    for r in np.setdiff1d(np.arange(len(ref_sample)), ri):
        m[idx[ref_class[r]], none] += 1
    for d in np.setdiff1d(np.arange(len(det_sample)), di):
        m[none, idx[det_class[d]]] += 1
    return m


def class_score(confusion: np.ndarray, cls: str) -> DetectionScore:
    """TP / FN / FP of class ``cls`` from a confusion matrix (see module notes)."""
    c = MATRIX_LABELS.index(cls)
    tp = int(confusion[c, c])
    return DetectionScore(tp=tp, fn=int(confusion[c, :].sum()) - tp, fp=int(confusion[:, c].sum()) - tp)


@dataclass
class BeatReport:
    """Confusion matrices per record; gross figures are their sum."""

    beats_from: str
    records: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def confusion(self) -> np.ndarray:
        return sum(self.records.values(), np.zeros((len(MATRIX_LABELS),) * 2, dtype=np.int64))

    def gross(self, cls: str) -> DetectionScore:
        return class_score(self.confusion, cls)

    def to_dict(self) -> dict:
        def scores(m: np.ndarray) -> dict:
            out = {}
            for c in SCORED_CLASSES:
                s = class_score(m, c)
                out[c] = {"se": _pct(s.sensitivity), "ppv": _pct(s.ppv), "f1": _pct(s.f1),
                          "tp": s.tp, "fn": s.fn, "fp": s.fp}
            return out

        return {
            "beats_from": self.beats_from,
            "match_window_s": MATCH_WINDOW_S,
            "labels": list(MATRIX_LABELS),
            "gross": scores(self.confusion),
            "confusion": self.confusion.tolist(),
            "per_record": {r: {"scores": scores(m), "confusion": m.tolist()} for r, m in self.records.items()},
            **self.extra,
        }


def _pct(v: float) -> float | None:
    return None if np.isnan(v) else round(100.0 * v, 2)


def resample_record(x: np.ndarray, sample: np.ndarray, *, fs: float, fs_out: float) -> tuple[np.ndarray, np.ndarray]:
    """A lead and its beat positions at another sampling rate (`scipy.signal.resample_poly`, positions
    rounded to the nearest new sample): a copy of a record as a recorder at ``fs_out`` would give it."""
    from scipy.signal import resample_poly

    ratio = Fraction(float(fs_out) / float(fs)).limit_denominator(1000)
    y = resample_poly(np.asarray(x, dtype=np.float64), ratio.numerator, ratio.denominator)
    pos = np.clip(np.round(np.asarray(sample) * (float(fs_out) / float(fs))).astype(np.int64), 0, len(y) - 1)
    return y, pos


def evaluate_record(
    database: str, name: str, *, beats_from: str = "reference", classifier=None,
    root: str | Path | None = None, fs: float | None = None,
) -> np.ndarray:
    """Confusion matrix of one record, classified by the streaming `BeatClassifierStage`; with ``fs``,
    of a copy of the record resampled to that rate (`resample_record`)."""
    from cardiowatch.beats.classifier import ecg_classify_beats
    from cardiowatch.data import read_record

    if beats_from not in BEATS_FROM:
        raise ValueError(f"beats_from must be one of {BEATS_FROM}, got {beats_from!r}")
    rec = read_record(database, name, root=root)
    x = rec.signals[rec.ecg_lead()]
    ref = rec.annotations.beats()
    ref_sample, rate = ref.sample, rec.fs
    if fs is not None and float(fs) != rec.fs:
        x, ref_sample = resample_record(x, ref.sample, fs=rec.fs, fs_out=fs)
        rate = float(fs)
    if beats_from == "reference":
        positions = np.unique(ref_sample)
    else:
        from cardiowatch.signal.qrs import ecg_find_beats

        positions = ecg_find_beats(x, fs=rate)
    out = ecg_classify_beats(x, positions, fs=rate, classifier=classifier)
    det_sample = np.array([b.sample for b in out], dtype=np.int64)
    det_class = [b.aami for b in out]
    ref_class = [AAMI_CLASSES[c] for c in ref.aami]
    return classification_confusion(ref_sample, ref_class, det_sample, det_class, fs=rate)


def evaluate_beats(
    records: Sequence[str], *, database: str = "mitdb", beats_from: str = "reference", classifier=None,
    root: str | Path | None = None, progress: Callable[[str], None] | None = None, fs: float | None = None,
) -> BeatReport:
    """Classify every record's beats with the shipped (or given) model and collect the confusion; with
    ``fs``, on copies of the records resampled to that rate."""
    from cardiowatch.beats.classifier import BeatClassifier

    clf = classifier if classifier is not None else BeatClassifier()
    report = BeatReport(beats_from=beats_from)
    for name in records:
        if progress is not None:
            progress(name)
        report.records[name] = evaluate_record(database, name, beats_from=beats_from, classifier=clf, root=root,
                                              fs=fs)
    return report


def format_report(report: BeatReport, *, title: str = "") -> str:
    """Plain-text EC57-style table: per record and gross Se / +P per class, then the confusion matrix."""
    head = f"{'record':>8s} " + " ".join(f"{c + ' Se':>7s} {c + ' +P':>7s}" for c in SCORED_CLASSES)
    lines = [title] if title else []
    lines += [f"beats from: {report.beats_from}", head]

    def row(name: str, m: np.ndarray) -> str:
        cells = []
        for c in SCORED_CLASSES:
            s = class_score(m, c)
            cells += [_fmt(s.sensitivity), _fmt(s.ppv)]
        return f"{name:>8s} " + " ".join(f"{v:>7s}" for v in cells)

    lines += [row(r, m) for r, m in report.records.items()]
    lines.append(row("gross", report.confusion))
    lines.append("")
    lines.append("confusion (rows reference, columns output; '-' = no beat):")
    lines.append("      " + " ".join(f"{c:>7s}" for c in MATRIX_LABELS))
    for lab, r in zip(MATRIX_LABELS, report.confusion):
        lines.append(f"{lab:>5s} " + " ".join(f"{v:>7d}" for v in r))
    return "\n".join(lines)


def _fmt(v: float) -> str:
    return "-" if np.isnan(v) else f"{100 * v:.1f}"


def write_report(report: BeatReport, out_dir: Path, *, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.json`` and the confusion-matrix ``<stem>.png`` into ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out_dir / f"{stem}.json", out_dir / f"{stem}.png"
    json_path.write_text(json.dumps(report.to_dict(), indent=1) + "\n")
    m = report.confusion
    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    row_sum = np.maximum(m.sum(axis=1, keepdims=True), 1)
    ax.imshow(m / row_sum, cmap="Blues", vmin=0, vmax=1)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if m[i, j] / row_sum[i, 0] > 0.5 else "black")
    ax.set_xticks(range(len(MATRIX_LABELS)), MATRIX_LABELS)
    ax.set_yticks(range(len(MATRIX_LABELS)), MATRIX_LABELS)
    ax.set_xlabel("classified as")
    ax.set_ylabel("reference")
    ax.set_title(f"beat classes, beats from {report.beats_from}")
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    plt.close(fig)
    return json_path, png_path


#: Markers of the machine-readable figures block in the model card.
CARD_BEGIN = "<!-- figures:begin -->"
CARD_END = "<!-- figures:end -->"


def render_card_figures(figures: dict[str, dict], *, command: str) -> str:
    """Markdown table plus a json block of gross Se / +P per class for each protocol in ``figures``.

    ``figures`` maps a protocol description to ``{"N": {"se": .., "ppv": ..}, ...}`` (percent).
    """
    head = "| protocol | " + " | ".join(f"{c} Se | {c} +P" for c in SCORED_CLASSES) + " |"
    lines = [CARD_BEGIN, f"Written by `{command}`; `tests/beats/test_model_card_figures.py` checks the DS2 rows.",
             "", head, "|---|" + "---:|" * (2 * len(SCORED_CLASSES))]
    for name, scores in figures.items():
        cells = []
        for c in SCORED_CLASSES:
            v = scores.get(c, {})
            cells += [_fmt_pct(v.get("se")), _fmt_pct(v.get("ppv"))]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    block = {name: {c: {k: scores[c][k] for k in ("se", "ppv", "f1")} for c in SCORED_CLASSES if c in scores}
             for name, scores in figures.items()}
    lines += ["", "```json", json.dumps(block, indent=1), "```", CARD_END]
    return "\n".join(lines)


def _fmt_pct(v: float | None) -> str:
    return "-" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.1f}"


def update_model_card(path: Path, figures: dict[str, dict], *, command: str) -> None:
    """Replace the figures block of the model card at ``path`` (between `CARD_BEGIN` and `CARD_END`)."""
    text = Path(path).read_text()
    start, end = text.find(CARD_BEGIN), text.find(CARD_END)
    if start < 0 or end < start:
        raise ValueError(f"{path}: no {CARD_BEGIN} ... {CARD_END} block to update")
    text = text[:start] + render_card_figures(figures, command=command) + text[end + len(CARD_END):]
    Path(path).write_text(text)


def read_card_figures(path: Path) -> dict[str, dict]:
    """The json figures block of a model card (see `render_card_figures`)."""
    text = Path(path).read_text()
    block = text[text.index(CARD_BEGIN):text.index(CARD_END)]
    body = block[block.index("```json") + len("```json"):]
    return json.loads(body[:body.index("```")])
