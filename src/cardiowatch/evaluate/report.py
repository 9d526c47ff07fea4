"""An HTML rhythm report a person would rather look at than read: ``cardiowatch report RECORD``.

One self-contained file (PNG plots embedded as base64, no external resources): the summary table,
a tachogram coloured by rhythm, a rhythm timeline, ECG/PPG strips around each episode, the events,
and the "not a medical device" line.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.rhythm.summary import RhythmResult, RhythmSummary, analyze_rhythm, rhythm_summary
from cardiowatch.rhythm.tracker import RHYTHMS, Episode, RhythmChange

logger = logging.getLogger(__name__)

#: Colour of each rhythm in the plots.
RHYTHM_COLOURS: dict[str, str] = {
    "N": "#4c9a2a", "AFIB": "#d62728", "AFL": "#d62728", "SBR": "#1f77b4", "SVTA": "#ff7f0e",
    "VT": "#9467bd", "IVR": "#8c564b", "B": "#e377c2", "T": "#bcbd22", "": "#999999",
}
#: Seconds of signal shown around the start of each episode.
STRIP_S = 10.0
#: At most this many episode strips.
MAX_STRIPS = 8


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _tachogram(result: RhythmResult) -> str:
    import matplotlib.pyplot as plt

    s = result.sample
    t_min = s[1:] / result.fs / 60.0
    rr = np.diff(s) / result.fs
    rhythm = result.beat_rhythm()[1:]
    fig, ax = plt.subplots(figsize=(11, 3))
    for code in dict.fromkeys(rhythm):
        sel = rhythm == code
        ax.plot(t_min[sel], rr[sel], ".", ms=2, color=RHYTHM_COLOURS.get(code, "#333"), label=code or "undecided")
    ax.set_xlabel("time (min)")
    ax.set_ylabel("beat interval (s)")
    ax.set_ylim(0, min(3.0, float(np.nanmax(rr)) * 1.1) if len(rr) else 3.0)
    ax.legend(loc="upper right", markerscale=5, fontsize=8)
    ax.set_title("Tachogram")
    return _png(fig)


def _timeline(result: RhythmResult) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 1.2))
    for e in result.episodes:
        ax.barh(0, (e.end_sample - e.start_sample) / result.fs / 60.0, left=e.start_sample / result.fs / 60.0,
                color=RHYTHM_COLOURS.get(e.rhythm, "#333"), height=0.8)
    for code in dict.fromkeys(e.rhythm for e in result.episodes):
        ax.barh(0, 0, color=RHYTHM_COLOURS.get(code, "#333"), label=code)
    ax.set_yticks([])
    ax.set_xlabel("time (min)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.9), ncol=9, fontsize=8)
    ax.set_title("Rhythm timeline")
    return _png(fig)


def _strip(signal: np.ndarray, fs: float, centre: int, title: str, beats: np.ndarray) -> str:
    import matplotlib.pyplot as plt

    half = int(STRIP_S * fs / 2)
    lo, hi = max(centre - half, 0), min(centre + half, len(signal))
    t = np.arange(lo, hi) / fs
    fig, ax = plt.subplots(figsize=(11, 1.8))
    ax.plot(t, signal[lo:hi], lw=0.7, color="#222")
    inside = beats[(beats >= lo) & (beats < hi)]
    ax.plot(inside / fs, signal[inside], "v", color="#d62728", ms=4)
    ax.axvline(centre / fs, color="#1f77b4", lw=1, ls="--")
    ax.set_xlabel("time (s)")
    ax.set_title(title, fontsize=10)
    return _png(fig)


def _rhythm_of(episodes: Sequence[tuple[str, int, int]], *, fs: float, sample: np.ndarray,
               label: np.ndarray | None) -> RhythmResult:
    """Episodes found before, as the `RhythmResult` the report draws (no events: they were not kept)."""
    found = [Episode(rhythm=rhythm, start_sample=start, end_sample=end, fs=fs) for rhythm, start, end in episodes]
    changes = [RhythmChange(sample=e.start_sample, rhythm=e.rhythm, detected_sample=e.start_sample) for e in found]
    return RhythmResult(fs=fs, sample=np.asarray(sample), label=None if label is None else np.asarray(label, dtype=object),
                        changes=changes, events=[], episodes=found, n_invalid_rr=0, n_dropped=0)


def _fmt(value: float, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}{unit}"


def _summary_rows(summary: RhythmSummary) -> list[tuple[str, str]]:
    h = summary.hrv
    return [
        ("Duration", f"{summary.duration_s / 3600:.2f} h ({summary.n_beats} beats)"),
        ("Mean heart rate", _fmt(summary.mean_hr_bpm, " bpm")),
        ("SDNN / RMSSD / pNN50", f"{_fmt(h.sdnn_ms, ' ms')} / {_fmt(h.rmssd_ms, ' ms')} / {_fmt(h.pnn50_pct, ' %')}"),
        ("AF burden", _fmt(summary.af_burden_pct, " % of the time")),
        ("Ectopic beats (S + V)", _fmt(summary.ectopic_per_hour, " per hour")),
        ("Longest pause", _fmt(summary.longest_pause_s, " s", 2)),
        ("Rhythm episodes other than normal", str(len(summary.episodes))),
        ("Intervals excluded as implausible", _fmt(summary.invalid_interval_pct, " %", 2)),
    ]


def write_report(
    path: str | os.PathLike[str],
    *,
    title: str,
    fs: float,
    sample: np.ndarray,
    label: np.ndarray | None = None,
    signal: np.ndarray | None = None,
    signal_name: str = "",
    episodes: Sequence[tuple[str, int, int]] | None = None,
) -> Path:
    """Analyse the beats (unless ``episodes`` gives their rhythm already) and write the HTML report to ``path``.

    Parameters
    ----------
    path : path
        Output HTML file.
    title : str
        Heading, e.g. ``"mitdb/201"``.
    fs : float
        Sampling rate of ``sample`` and ``signal`` (Hz).
    sample, label : arrays
        Beat times (and AAMI classes if known) from a detector or from reference annotations.
    signal : array, optional
        ECG or PPG samples for the strips around each episode.
    episodes : sequence of ``(rhythm, start_sample, end_sample)``, optional
        The rhythm episodes of these beats as found before (the server's stored episodes, so the report
        says what the alerts said); None runs `analyze_rhythm` on the beats.
    """
    import matplotlib

    matplotlib.use("Agg")
    if episodes is None:
        result = analyze_rhythm(sample, fs=fs, label=label)
    else:
        result = _rhythm_of(episodes, fs=fs, sample=sample, label=label)
    summary = rhythm_summary(result)
    parts = [f"<h1>Rhythm report: {html.escape(title)}</h1>",
             f"<p class='warn'>{html.escape(NOT_A_MEDICAL_DEVICE)}</p>", "<table>"]
    parts += [f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in _summary_rows(summary)]
    parts.append("</table>")
    if len(sample) > 2:
        parts.append(f"<img alt='tachogram' src='data:image/png;base64,{_tachogram(result)}'>")
        parts.append(f"<img alt='rhythm timeline' src='data:image/png;base64,{_timeline(result)}'>")
    parts.append("<h2>Episodes</h2><table><tr><th>rhythm</th><th>start (s)</th><th>duration (s)</th></tr>")
    for e in summary.episodes:
        parts.append(f"<tr><td>{html.escape(e.rhythm)}: {html.escape(RHYTHMS.get(e.rhythm, ''))}</td>"
                     f"<td>{e.start_sample / fs:.1f}</td><td>{e.duration_s:.1f}</td></tr>")
    parts.append("</table>")
    if summary.events:
        parts.append("<h2>Events</h2><table><tr><th>event</th><th>start (s)</th><th>beats</th></tr>")
        for ev in summary.events:
            parts.append(f"<tr><td>{ev.kind}</td><td>{ev.sample / fs:.1f}</td><td>{ev.n_beats or ''}</td></tr>")
        parts.append("</table>")
    if signal is not None and summary.episodes:
        parts.append(f"<h2>{html.escape(signal_name or 'Signal')} around each episode start</h2>")
        for e in summary.episodes[:MAX_STRIPS]:
            png = _strip(signal, fs, e.start_sample, f"{e.rhythm} from {e.start_sample / fs:.1f} s", sample)
            parts.append(f"<img alt='strip' src='data:image/png;base64,{png}'>")
    style = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto}img{max-width:100%}"
             "td,th{padding:2px 10px;text-align:left}.warn{background:#fff3cd;padding:6px}")
    text = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
    path = Path(path)
    path.write_text(text)
    logger.info("wrote %s", path)
    return path


def report_record(database: str, name: str, path: str | os.PathLike[str], *,
                  root: str | os.PathLike[str] | None = None) -> Path:
    """Report of a PhysioNet record (read from ``root``, else the default data root).

    Records with reference beat annotations (mitdb, ltafdb, nsr2db ...) use those beats and classes;
    mitdb (and any record whose signal files are present) also gets strips of its ECG lead. Records without beat annotations but with a PPG (bidmc) get
    their pulses from the streaming pipeline (`cardiowatch.pipeline.analyze_signal`, sensor "ppg"), and
    strips of the PPG.
    """
    from cardiowatch.data import AAMI_CLASSES, has_signal_files, read_record

    if database == "bidmc":
        from cardiowatch.pipeline import analyze_signal

        rec = read_record(database, name, root=root, annotator=None)
        if "PLETH" not in rec.signals:
            raise ValueError(f"{database}/{name} has no PLETH channel: {list(rec.signals)}")
        pleth = rec.signals["PLETH"]
        analysis = analyze_signal(pleth, fs=rec.fs, sensor="ppg")
        return write_report(path, title=f"{database}/{name} (PPG pulses)", fs=rec.fs,
                            sample=analysis.beat_samples, label=None, signal=pleth, signal_name="PLETH")
    # annotation-only copies (ltafdb, nsrdb as kept in ../shared) are reported from their beats, without strips
    rec = read_record(database, name, root=root, signals=has_signal_files(database, name, root=root))
    beats = rec.annotations.beats() if rec.annotations is not None else None
    if beats is None or not len(beats):
        raise ValueError(f"{database}/{name} has no beat annotations")
    label = np.asarray(AAMI_CLASSES, dtype=object)[beats.aami]
    signal, signal_name = None, ""
    if rec.signals:
        signal_name = rec.ecg_lead()
        signal = rec.signals[signal_name]
    return write_report(path, title=f"{database}/{name}", fs=rec.fs, sample=beats.sample, label=label,
                        signal=signal, signal_name=signal_name)
