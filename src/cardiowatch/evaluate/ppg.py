"""Validation of PPG pulse detection against the ECG of the same BIDMC record.

For each record: the project's QRS detector (`cardiowatch.signal.qrs.ecg_find_beats`) on lead II
gives the reference beats; `PpgPulseDetector` on PLETH gives the pulses; `PpgSignalQuality` rates the
PLETH. The record's pulse-arrival delay (ECG R peak to PPG fiducial; in BIDMC it also holds the
monitor's own signal delay) is the shift of the reference beats that matches the most pulses
within 150 ms, searched over 0-1.2 s. Pulses are then scored against the shifted beats as EC57
scores beats (`cardiowatch.evaluate.match`).

Where the ECG itself is unusable the reference is not trusted: an 8-s window of ECG counts as usable
when its beats pass the rules of Orphanidou et al. (2015): heart rate 40-180 bpm, no R-R interval
over 3 s, longest/shortest R-R below 2.2, and mean correlation of each beat with the window's
average beat at least 0.66; we add one rule, no R-R interval over 1.7 times the window's median
(a QRS the reference detector most likely missed; it also drops a few real pauses). The figures
are given over **all** time (ECG usable), and over the time the PPG is also rated **good**.

Heart rate per 8-s window is ``60 / mean interval`` of the beats inside the window, and of the
pulses inside the same window shifted by the pulse-arrival delay (so that both count the same
heartbeats); compared where the ECG window is usable and the shifted PPG window wholly good.
BIDMC's 1 Hz monitor numerics (HR, PULSE) are averaged over the ECG windows. The pulse-interval timing error is ``PPI - RRI`` for
consecutive pulses matched to consecutive beats.

The robustness check of issue 10 (`simulate_adc_scenarios`) maps PLETH onto a 12-bit ADC scale,
applies finger-pressure and gain changes, and compares the detector with the user's sketch: a
fixed threshold at 550 counts.

References
----------
.. [1] Pimentel MAF et al. Towards a robust estimation of respiratory rate from pulse oximeters.
   IEEE Trans Biomed Eng 64(8):1914-1923 (2016). (BIDMC)
.. [2] Orphanidou C, Bonnici T, Charlton P, Clifton D, Vallance D, Tarassenko L. Signal-quality
   indices for the electrocardiogram and photoplethysmogram: derivation and applications to
   wireless monitoring. IEEE J Biomed Health Inform 19(3):832-838 (2015).
.. [3] ANSI/AAMI EC57:2012, Testing and reporting performance results of cardiac rhythm and ST
   segment measurement algorithms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from cardiowatch.data.record import Record
from cardiowatch.evaluate.match import MATCH_WINDOW_S, DetectionScore, match_beats
from cardiowatch.signal.ppg import PpgPulseDetector
from cardiowatch.signal.ppg_quality import PpgSignalQuality
from cardiowatch.signal.quality_segment import QualitySegment

logger = logging.getLogger(__name__)

__all__ = [
    "ADC_SCENARIOS", "BIDMC_RECORDS", "HR_WINDOW_S", "PpgRecordResult", "PpgValidation",
    "ecg_usable_mask", "estimate_pulse_delay", "evaluate_ppg_record", "fixed_threshold_pulses",
    "simulate_adc_scenarios", "validate_bidmc",
]

BIDMC_RECORDS: tuple[str, ...] = tuple(f"bidmc{i:02d}" for i in range(1, 54))
#: Heart rate is compared over windows of this length (issue 4).
HR_WINDOW_S = 8.0
#: Largest ECG-to-pulse delay searched.
MAX_PULSE_DELAY_S = 1.2
#: Time at each end of a record left out of scoring (detector start-up and look-ahead).
EDGE_S = 1.0
#: A reference beat is premature when its R-R is below this fraction of the median of the last 8.
PREMATURE_RATIO = 0.8
#: An R-R interval this many times the window's median marks a QRS missed by the reference.
MISSED_BEAT_RATIO = 1.7
#: The user's sketch: ``analogRead(34) > 550`` on the ESP32's 0-4095 scale.
USER_THRESHOLD = 550.0
ADC_MAX = 4095.0


def estimate_pulse_delay(
    beats: np.ndarray, pulses: np.ndarray, *, fs: float, max_delay_s: float = MAX_PULSE_DELAY_S
) -> int:
    """Shift (samples, >= 0) of ``beats`` that puts the most ``pulses`` within 150 ms of a beat."""
    beats = np.asarray(beats, dtype=np.int64)
    pulses = np.asarray(pulses, dtype=np.int64)
    if len(beats) == 0 or len(pulses) == 0:
        return 0
    tol = int(round(MATCH_WINDOW_S * fs))
    best_count, best_lag = -1, 0
    for lag in range(int(round(max_delay_s * fs)) + 1):
        ref = beats + lag
        k = np.minimum(np.searchsorted(pulses, ref - tol), len(pulses) - 1)
        count = int(np.count_nonzero(np.abs(pulses[k] - ref) <= tol))
        if count > best_count:
            best_count, best_lag = count, lag
    return best_lag


def ecg_usable_mask(ecg: np.ndarray, beats: np.ndarray, *, fs: float, window_s: float = HR_WINDOW_S) -> np.ndarray:
    """Per-sample mask: True where the 8-s ECG window passes the Orphanidou (2015) rules."""
    n = len(ecg)
    w = int(round(window_s * fs))
    mask = np.zeros(n, dtype=bool)
    half_before, half_after = int(round(0.2 * fs)), int(round(0.4 * fs))
    for start in range(0, n, w):
        b = beats[(beats >= start) & (beats < start + w)]
        b = b[(b >= half_before) & (b + half_after < n)]
        if len(b) < 3:
            continue
        rr = np.diff(b) / fs
        hr = 60.0 / rr.mean()
        if not 40.0 <= hr <= 180.0 or rr.max() > 3.0 or rr.max() / rr.min() >= 2.2:
            continue
        if rr.max() > MISSED_BEAT_RATIO * np.median(rr):
            continue  # most likely a QRS the reference detector missed
        segs = np.stack([ecg[k - half_before : k + half_after] for k in b])
        if not np.all(np.isfinite(segs)):
            continue
        template = segs.mean(axis=0)
        corr = [np.corrcoef(s, template)[0, 1] if np.std(s) > 0 else 0.0 for s in segs]
        if np.nanmean(corr) >= 0.66:
            mask[start : start + w] = True
    return mask


def _good_mask(segments: Sequence[QualitySegment], n: int) -> np.ndarray:
    """True on every sample outside the bad stretches the quality stage reported."""
    good = np.ones(n, dtype=bool)
    for s in segments:
        good[s.start : s.end] = False
    return good


def _window_hr(events: np.ndarray, start: int, stop: int, fs: float) -> float:
    e = events[(events >= start) & (events < stop)]
    return 60.0 * fs / float(np.mean(np.diff(e))) if len(e) >= 3 else float("nan")


@dataclass(frozen=True)
class PpgRecordResult:
    """Pulse detection of one record against its ECG beats (see the module docstring)."""

    name: str
    fs: float
    delay_s: float  #: estimated pulse-arrival delay
    score_all: DetectionScore  #: where the ECG is usable
    score_good: DetectionScore  #: where the ECG is usable and the PPG rated good
    score_premature: DetectionScore  #: premature reference beats only (good PPG, usable ECG)
    seconds_scored: float  #: ECG usable, edges left out
    seconds_good: float  #: of those, PPG rated good
    seconds_ecg_unusable: float
    quality_seconds: dict[str, float]  #: time per PPG quality label, whole record
    hr_ppg: np.ndarray  #: per 8-s window, NaN where not compared
    hr_ecg: np.ndarray
    hr_monitor: np.ndarray  #: BIDMC numerics HR (NaN when not given)
    pulse_monitor: np.ndarray  #: BIDMC numerics PULSE
    hr_window_premature: np.ndarray  #: the window holds a premature reference beat
    ppi_minus_rri_ms: np.ndarray = field(repr=False)


def evaluate_ppg_record(
    record: Record,
    *,
    numerics: Record | None = None,
    find_beats: Callable[..., np.ndarray] | None = None,
    ppg_channel: str = "PLETH",
    ecg_channel: str = "II",
    ppg: np.ndarray | None = None,
    detect: Callable[[np.ndarray, float], np.ndarray] | None = None,
    ecg_usable: np.ndarray | None = None,
    rate_quality: bool = True,
) -> PpgRecordResult:
    """Score PPG pulses of ``record`` against the ECG beats of the same record.

    Parameters
    ----------
    record : Record
        A BIDMC record (channels by name).
    numerics : Record, optional
        Its 1 Hz monitor numerics (HR, PULSE), for the comparison.
    find_beats : callable, optional
        ``find_beats(ecg, fs=)`` giving reference R peaks; default the project's QRS detector.
    ppg : array, optional
        A PPG to use instead of the record's own channel (e.g. with a simulated sensor change).
    detect : callable, optional
        ``detect(ppg, fs)`` giving pulse samples; default `PpgPulseDetector`.
    ecg_usable : array of bool, optional
        A precomputed `ecg_usable_mask` of the same beats (saves time when a record is rescored).
    rate_quality : bool
        When False the PPG quality is not rated and every sample counts as good.
    """
    if find_beats is None:
        from cardiowatch.signal.qrs import ecg_find_beats as find_beats
    fs = record.fs
    x = record.signals[ppg_channel] if ppg is None else np.asarray(ppg, dtype=np.float64)
    ecg = record.signals[ecg_channel]
    n = len(x)
    beats = np.asarray(find_beats(ecg, fs=fs), dtype=np.int64)
    if detect is None:
        det = PpgPulseDetector(fs=fs).reset()
        pulses = np.concatenate([det.process(x), det.flush()]).astype(np.int64)
    else:
        pulses = np.asarray(detect(x, fs), dtype=np.int64)
    if rate_quality:
        quality = PpgSignalQuality(fs=fs).reset()
        segments = quality.process(x) + quality.flush()
        good = _good_mask(segments, n)
    else:
        segments, good = [], np.ones(n, dtype=bool)
    usable = ecg_usable_mask(ecg, beats, fs=fs) if ecg_usable is None else ecg_usable
    edge = int(round(EDGE_S * fs))
    inner = np.zeros(n, dtype=bool)
    inner[edge : n - edge] = True

    lag = estimate_pulse_delay(beats, pulses, fs=fs)
    ref = beats + lag
    keep = ref < n
    ref, r_beats = ref[keep], beats[keep]
    ri, di = match_beats(ref, pulses, fs=fs)
    matched_ref = np.zeros(len(ref), dtype=bool)
    matched_ref[ri] = True
    matched_det = np.zeros(len(pulses), dtype=bool)
    matched_det[di] = True
    # A pulse belongs to the ECG time of its beat: R = pulse - lag.
    ref_ok = usable[r_beats] & inner[ref]
    det_ecg_t = np.clip(pulses - lag, 0, n - 1)
    det_ok = usable[det_ecg_t] & inner[pulses]

    def score(ref_sel: np.ndarray, det_sel: np.ndarray) -> DetectionScore:
        return DetectionScore(
            tp=int(np.count_nonzero(matched_ref & ref_sel)),
            fn=int(np.count_nonzero(~matched_ref & ref_sel)),
            fp=int(np.count_nonzero(~matched_det & det_sel)),
        )

    ref_good = ref_ok & good[ref]
    det_good = det_ok & good[pulses]
    rr = np.diff(r_beats, prepend=r_beats[0] if len(r_beats) else 0).astype(float)
    rr[:1] = np.nan
    # Median of the 8 R-R intervals before each one (NaN until 8 are known).
    padded = np.concatenate([np.full(8, np.nan), rr])
    local = np.median(np.lib.stride_tricks.sliding_window_view(padded, 8)[: len(rr)], axis=1)
    premature = rr < PREMATURE_RATIO * local
    score_premature = score(ref_good & premature, np.zeros(len(pulses), dtype=bool))

    # Pulse-interval error: consecutive matched pairs inside good, usable time.
    consecutive = (np.diff(ri) == 1) & (np.diff(di) == 1)
    a = np.flatnonzero(consecutive)
    in_good = ref_good[ri[a]] & ref_good[ri[a + 1]]
    a = a[in_good]
    ppi = pulses[di[a + 1]] - pulses[di[a]]
    rri = ref[ri[a + 1]] - ref[ri[a]]
    err_ms = (ppi - rri) / fs * 1000.0

    w = int(round(HR_WINDOW_S * fs))
    n_win = n // w
    hr_ppg = np.full(n_win, np.nan)
    hr_ecg = np.full(n_win, np.nan)
    hr_mon = np.full(n_win, np.nan)
    pulse_mon = np.full(n_win, np.nan)
    window_premature = np.zeros(n_win, dtype=bool)
    premature_at = r_beats[premature]
    for k in range(n_win):
        s, e = k * w, (k + 1) * w
        if e + lag > n or not (usable[s:e].all() and good[s + lag : e + lag].all()):
            continue
        hr_ppg[k] = _window_hr(pulses, s + lag, e + lag, fs)  # the same heartbeats, arrived later
        hr_ecg[k] = _window_hr(beats, s, e, fs)
        window_premature[k] = bool(np.any((premature_at >= s) & (premature_at < e)))
        if numerics is not None:
            t0, t1 = int(s / fs * numerics.fs), int(e / fs * numerics.fs)
            for key, out in (("HR", hr_mon), ("PULSE", pulse_mon)):
                vals = numerics.signals.get(key, np.zeros(0))[t0:t1]
                vals = vals[np.isfinite(vals) & (vals > 0)]
                if len(vals):
                    out[k] = float(vals.mean())

    quality_seconds: dict[str, float] = {"good": float(good.sum()) / fs} if rate_quality else {}
    for seg in segments:
        quality_seconds[seg.flag.value] = quality_seconds.get(seg.flag.value, 0.0) + seg.n_samples / fs
    return PpgRecordResult(
        name=record.name,
        fs=fs,
        delay_s=lag / fs,
        score_all=score(ref_ok, det_ok),
        score_good=score(ref_good, det_good),
        score_premature=score_premature,
        seconds_scored=float(np.count_nonzero(usable & inner)) / fs,
        seconds_good=float(np.count_nonzero(usable & inner & good)) / fs,
        seconds_ecg_unusable=float(np.count_nonzero(~usable & inner)) / fs,
        quality_seconds=quality_seconds,
        hr_ppg=hr_ppg,
        hr_ecg=hr_ecg,
        hr_monitor=hr_mon,
        pulse_monitor=pulse_mon,
        hr_window_premature=window_premature,
        ppi_minus_rri_ms=err_ms,
    )


def _se_without(total: DetectionScore, part: DetectionScore) -> float:
    tp, fn = total.tp - part.tp, total.fn - part.fn
    return tp / (tp + fn) if tp + fn else float("nan")


def _mae(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.mean(np.abs(a[ok] - b[ok]))) if ok.any() else float("nan")


@dataclass(frozen=True)
class PpgValidation:
    """Pooled figures over the records of a validation run."""

    records: tuple[PpgRecordResult, ...]

    def _sum(self, attr: str) -> DetectionScore:
        total = DetectionScore(0, 0, 0)
        for r in self.records:
            total = total + getattr(r, attr)
        return total

    @property
    def score_all(self) -> DetectionScore:
        return self._sum("score_all")

    @property
    def score_good(self) -> DetectionScore:
        return self._sum("score_good")

    @property
    def score_premature(self) -> DetectionScore:
        return self._sum("score_premature")

    @property
    def good_share(self) -> float:
        """Share of scored (ECG-usable) time that the PPG quality rates good."""
        scored = sum(r.seconds_scored for r in self.records)
        return sum(r.seconds_good for r in self.records) / scored if scored else float("nan")

    @property
    def ecg_unusable_share(self) -> float:
        total = sum(r.seconds_scored + r.seconds_ecg_unusable for r in self.records)
        return sum(r.seconds_ecg_unusable for r in self.records) / total if total else float("nan")

    def _cat(self, attr: str) -> np.ndarray:
        return np.concatenate([getattr(r, attr) for r in self.records]) if self.records else np.zeros(0)

    def hr_mae(self, which: str = "ppg", against: str = "ecg") -> float:
        """Mean absolute HR difference (bpm) over compared 8-s windows, e.g. ``("pulse_monitor", "ecg")``."""
        return _mae(self._cat(f"hr_{which}" if which in ("ppg", "ecg") else which),
                    self._cat(f"hr_{against}" if against in ("ppg", "ecg") else against))

    def hr_errors(self) -> tuple[np.ndarray, np.ndarray]:
        """|HR_ppg - HR_ecg| (bpm) of every compared window, and whether it holds a premature beat."""
        a, b, prem = self._cat("hr_ppg"), self._cat("hr_ecg"), self._cat("hr_window_premature")
        ok = np.isfinite(a) & np.isfinite(b)
        return np.abs(a - b)[ok], prem[ok].astype(bool)

    @property
    def n_hr_windows(self) -> int:
        a, b = self._cat("hr_ppg"), self._cat("hr_ecg")
        return int(np.count_nonzero(np.isfinite(a) & np.isfinite(b)))

    @property
    def ppi_error_ms(self) -> np.ndarray:
        return self._cat("ppi_minus_rri_ms")

    def summary(self) -> dict[str, float]:
        """The headline figures, as plain numbers (percent, bpm, ms)."""
        err = self.ppi_error_ms
        hr_err, hr_prem = self.hr_errors()
        return {
            "records": len(self.records),
            "se_good_pct": 100 * self.score_good.sensitivity,
            "ppv_good_pct": 100 * self.score_good.ppv,
            "se_all_pct": 100 * self.score_all.sensitivity,
            "ppv_all_pct": 100 * self.score_all.ppv,
            "se_premature_pct": 100 * self.score_premature.sensitivity,
            "se_regular_pct": 100 * _se_without(self.score_good, self.score_premature),
            "n_premature": self.score_premature.tp + self.score_premature.fn,
            "good_share_pct": 100 * self.good_share,
            "ecg_unusable_pct": 100 * self.ecg_unusable_share,
            "hr_windows": self.n_hr_windows,
            "hr_mae_ppg_vs_ecg_bpm": self.hr_mae("ppg", "ecg"),
            "hr_ae_median_bpm": float(np.median(hr_err)) if len(hr_err) else float("nan"),
            "hr_windows_over_5bpm_pct": 100 * float(np.mean(hr_err > 5)) if len(hr_err) else float("nan"),
            "hr_windows_premature_pct": 100 * float(np.mean(hr_prem)) if len(hr_err) else float("nan"),
            "hr_mae_no_premature_bpm": float(np.mean(hr_err[~hr_prem])) if (~hr_prem).any() else float("nan"),
            "hr_mae_monitor_pulse_vs_ecg_bpm": self.hr_mae("pulse_monitor", "ecg"),
            "hr_mae_monitor_hr_vs_ecg_bpm": self.hr_mae("hr_monitor", "ecg"),
            "hr_mae_ppg_vs_monitor_pulse_bpm": self.hr_mae("ppg", "pulse_monitor"),
            "ppi_rri_mean_ms": float(np.mean(err)) if len(err) else float("nan"),
            "ppi_rri_sd_ms": float(np.std(err)) if len(err) else float("nan"),
            "ppi_rri_abs_p95_ms": float(np.percentile(np.abs(err), 95)) if len(err) else float("nan"),
            "n_intervals": len(err),
        }


def validate_bidmc(
    names: Sequence[str] = BIDMC_RECORDS,
    *,
    root: str | None = None,
    find_beats: Callable[..., np.ndarray] | None = None,
    detect: Callable[[np.ndarray, float], np.ndarray] | None = None,
) -> PpgValidation:
    """Run `evaluate_ppg_record` over BIDMC records (all 53 by default) with their numerics;
    ``detect(ppg, fs)`` replaces the default detector (e.g. to measure a variant)."""
    from cardiowatch.data.bidmc import read_bidmc, read_bidmc_numerics

    results = []
    for name in names:
        rec = read_bidmc(name, root=root)
        num = read_bidmc_numerics(name, root=root)
        results.append(evaluate_ppg_record(rec, numerics=num, find_beats=find_beats, detect=detect))
        logger.debug("%s: %s", name, results[-1].score_good)
    return PpgValidation(tuple(results))


# -- issue 10: finger pressure and gain changes, against the user's fixed threshold -----------------

def fixed_threshold_pulses(x: np.ndarray, fs: float, *, threshold: float = USER_THRESHOLD) -> np.ndarray:
    """The user's sketch: a beat at every sample where the reading rises above ``threshold``."""
    above = np.asarray(x) > threshold
    return np.flatnonzero(above[1:] & ~above[:-1]).astype(np.int64) + 1


def _to_adc(ppg: np.ndarray) -> np.ndarray:
    """Baseline mapping: the pulsatile range (5th-95th percentile) onto 450-650 counts, so the
    user's threshold (550) sits mid-pulse, as it would after they tuned it on their own finger."""
    lo, hi = np.nanpercentile(ppg, [5, 95])
    return 450.0 + (ppg - lo) * (200.0 / (hi - lo if hi > lo else 1.0))


def _adc(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), 0.0, ADC_MAX)


def _step(n: int, fs: float) -> np.ndarray:
    s = np.zeros(n)
    s[int(240 * fs) :] = 1.0  # the change happens at 4 min, the middle of a BIDMC record
    return s


#: name -> function(adc baseline, fs) -> changed signal (before rounding and clipping).
ADC_SCENARIOS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "baseline": lambda x, fs: x,
    "pressure: offset +300 at 4 min": lambda x, fs: x + 300.0 * _step(len(x), fs),
    "pressure: amplitude x0.4 at 4 min": lambda x, fs: np.where(
        _step(len(x), fs) > 0, 550.0 + 0.4 * (x - 550.0) - 60.0, x),
    "gain x3 (another sensor)": lambda x, fs: 3.0 * x,
    "drift: +600 over 8 min": lambda x, fs: x + 600.0 * np.arange(len(x)) / len(x),
    "all: gain x2, offset -400 at 4 min, drift": lambda x, fs: 2.0 * x - 400.0 * _step(len(x), fs)
    + 300.0 * np.sin(2 * np.pi * np.arange(len(x)) / len(x)),
}


def simulate_adc_scenarios(
    names: Sequence[str] = BIDMC_RECORDS,
    *,
    root: str | None = None,
    find_beats: Callable[..., np.ndarray] | None = None,
) -> dict[str, dict[str, DetectionScore]]:
    """Pulse Se/+P (ECG-usable time) for each `ADC_SCENARIOS` entry, detector vs fixed threshold.

    Returns ``{scenario: {"detector": score, "fixed threshold 550": score}}`` pooled over records.
    """
    from cardiowatch.data.bidmc import read_bidmc

    if find_beats is None:
        from cardiowatch.signal.qrs import ecg_find_beats as find_beats
    out: dict[str, dict[str, DetectionScore]] = {
        s: {"detector": DetectionScore(0, 0, 0), "fixed threshold 550": DetectionScore(0, 0, 0)}
        for s in ADC_SCENARIOS
    }
    for name in names:
        rec = read_bidmc(name, root=root)
        beats = np.asarray(find_beats(rec.signals["II"], fs=rec.fs), dtype=np.int64)
        usable = ecg_usable_mask(rec.signals["II"], beats, fs=rec.fs)
        base = _to_adc(rec.signals["PLETH"])
        for scenario, change in ADC_SCENARIOS.items():
            x = _adc(change(base, rec.fs))
            for method, detect in (("detector", None), ("fixed threshold 550", fixed_threshold_pulses)):
                res = evaluate_ppg_record(rec, ppg=x, detect=detect, find_beats=lambda e, fs, b=beats: b,
                                          ecg_usable=usable, rate_quality=False)
                out[scenario][method] = out[scenario][method] + res.score_all
    return out
