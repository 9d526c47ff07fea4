"""Noise stress: clean ECG records plus MIT-BIH Noise Stress Test noise at an SNR defined as nstdb does.

SNR (Moody, Muldrow & Mark 1984, the ``nst`` tool): the signal power is taken from the peak-to-peak
amplitude ``A`` of the clean record's QRS complexes, ``S = A**2 / 8`` (the power of a sine of that
peak-to-peak amplitude), and the noise power ``N`` is the variance of the noise over the part used;
the noise is scaled so that ``10 log10(S / N)`` is the SNR asked for. This is harsher than scaling by the
whole signal's standard deviation, which counts the T waves and baseline as signal.

Noise records (nstdb ``bw`` baseline wander, ``em`` electrode motion, ``ma`` muscle artefact, 30 min
at 360 Hz, two channels): the first half of each channel trains and tunes (`NoisePart.TRAIN`), the
second half evaluates (`NoisePart.EVAL`); the same split as `cardiowatch.evaluate.vf`. The first
channel (``noise1``) is the one used unless asked otherwise. A part shorter than the record is tiled.

Schedule (`noise_schedule`): as in the nstdb records, no noise for the first `NOISE_START_S` (5 min,
for a detector to learn), then noise on and off in alternate `NOISE_PERIOD_S` (2 min) segments, so one
noisy copy holds both noisy and clean stretches of the same patient.

References
----------
Moody GB, Muldrow WE, Mark RG. A noise stress test for arrhythmia detectors. Computers in Cardiology
11:381-384 (1984).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from cardiowatch._checks import check_fs, check_signal
from cardiowatch.evaluate.match import DetectionScore

#: The nstdb noise records: baseline wander, electrode motion, muscle artefact.
NOISE_RECORDS: tuple[str, ...] = ("bw", "em", "ma")
#: Half-width (s) around each reference beat searched for its QRS peak-to-peak amplitude.
QRS_HALF_WIDTH_S = 0.05
#: nstdb's schedule: clean for the first 5 minutes, then noise on and off in 2-minute segments.
NOISE_START_S = 300.0
NOISE_PERIOD_S = 120.0
#: Feeding chunk of the pipeline runs (s): bounds memory; the output does not depend on it.
CHUNK_S = 60.0


class NoisePart(str, enum.Enum):
    """Which half of each noise record: the first trains and tunes, the second evaluates."""

    TRAIN = "train"
    EVAL = "eval"


def qrs_amplitude(x: np.ndarray, beats: np.ndarray, *, fs: float) -> float:
    """Median peak-to-peak amplitude of the QRS complexes at ``beats`` (nstdb's signal measure).

    Parameters
    ----------
    x : ndarray
        The clean ECG lead.
    beats : ndarray of int
        Sample of each reference beat; beats closer than `QRS_HALF_WIDTH_S` to an end are skipped.
    fs : float
        Sampling rate in Hz.

    Examples
    --------
    >>> x = np.zeros(1000); x[[200, 500, 800]] = 2.0; x[[205, 505, 805]] = -0.5
    >>> qrs_amplitude(x, np.array([200, 500, 800]), fs=250.0)
    2.5
    """
    fs = check_fs(fs)
    x = check_signal(x, name="x")
    half = max(1, int(round(QRS_HALF_WIDTH_S * fs)))
    beats = np.asarray(beats, dtype=np.int64)
    beats = beats[(beats >= half) & (beats < x.size - half)]
    if beats.size == 0:
        raise ValueError("no reference beats to measure the QRS amplitude from")
    seg = x[beats[:, None] + np.arange(-half, half + 1)[None, :]]
    return float(np.nanmedian(np.nanmax(seg, axis=1) - np.nanmin(seg, axis=1)))


def noise_add_at_snr(
    x: np.ndarray, noise: np.ndarray, snr_db: float, *, qrs_ptp: float, mask: np.ndarray | None = None
) -> np.ndarray:
    """``x`` plus ``noise`` scaled so that ``S / N = 10**(snr_db / 10)``, as nstdb's ``nst`` does.

    Parameters
    ----------
    x : ndarray
        The clean ECG.
    noise : ndarray
        The noise part used; tiled or cut to ``x``'s length, its mean removed.
    snr_db : float
        Signal-to-noise ratio in dB, with ``S = qrs_ptp**2 / 8`` and ``N`` the variance of the noise
        over the part used.
    qrs_ptp : float
        Peak-to-peak QRS amplitude of the clean record (`qrs_amplitude`).
    mask : ndarray of bool, optional
        Where the noise is added (`noise_schedule`); everywhere when None.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> noisy = noise_add_at_snr(np.zeros(10_000), rng.normal(size=10_000), 6.0, qrs_ptp=2.0)
    >>> round(float(10 * np.log10(2.0**2 / 8 / noisy.var())), 6)
    6.0
    """
    x = check_signal(x, name="x")
    noise = check_signal(noise, name="noise")
    if not np.all(np.isfinite(noise)) or noise.size == 0:
        raise ValueError("noise must be non-empty and finite")
    if not qrs_ptp > 0:
        raise ValueError(f"qrs_ptp must be > 0, got {qrs_ptp}")
    reps = -(-x.size // noise.size)
    n = np.tile(noise, reps)[: x.size]
    n = n - n.mean()
    power = float(np.mean(n**2))
    if power == 0:
        raise ValueError("the noise part is constant: no power to scale")
    gain = np.sqrt(qrs_ptp**2 / 8.0 / (power * 10 ** (snr_db / 10.0)))
    if mask is not None:
        if mask.shape != x.shape:
            raise ValueError(f"mask shape {mask.shape} differs from the signal's {x.shape}")
        n = np.where(mask, n, 0.0)
    return x + gain * n


def noise_schedule(
    n_samples: int, *, fs: float, start_s: float = NOISE_START_S, period_s: float = NOISE_PERIOD_S
) -> np.ndarray:
    """Where noise is on: off for ``start_s``, then on and off in alternate ``period_s`` segments.

    Examples
    --------
    >>> on = noise_schedule(1000, fs=100.0, start_s=2.0, period_s=3.0)
    >>> on[::100].astype(int).tolist()
    [0, 0, 1, 1, 1, 0, 0, 0, 1, 1]
    """
    fs = check_fs(fs)
    t_s = np.arange(n_samples) / fs - start_s
    return (t_s >= 0) & (np.floor(np.maximum(t_s, 0) / period_s) % 2 == 0)


def noise_part(
    name: str, part: str | NoisePart, *, channel: int = 0, fs: float | None = None, root: str | None = None
) -> tuple[np.ndarray, float]:
    """One half of channel ``channel`` of nstdb noise record ``name``, and its sampling rate.

    ``part`` is ``"train"`` (the first half) or ``"eval"`` (the second half). With ``fs`` the noise is
    resampled to that rate (`scipy.signal.resample_poly`) and ``fs`` is returned with it.
    """
    from cardiowatch.data import read_record

    if name not in NOISE_RECORDS:
        raise ValueError(f"unknown nstdb noise record {name!r}; valid: {', '.join(NOISE_RECORDS)}")
    try:
        part = NoisePart(part)
    except ValueError as exc:
        raise ValueError(f"noise part must be one of {[p.value for p in NoisePart]}, got {part!r}") from exc
    rec = read_record("nstdb", name, annotator=None, root=root)
    channels = list(rec.signals)
    if not 0 <= channel < len(channels):
        raise ValueError(f"nstdb {name} has channels 0..{len(channels) - 1}, got {channel}")
    x = rec.signals[channels[channel]]
    half = x.size // 2
    x = x[:half] if part is NoisePart.TRAIN else x[half:]
    if fs is None or check_fs(fs) == rec.fs:
        return x, rec.fs
    from scipy.signal import resample_poly

    ratio = Fraction(fs / rec.fs).limit_denominator(1000)
    return resample_poly(x, ratio.numerator, ratio.denominator), float(fs)


def noise_stress_copy(
    x: np.ndarray, beats: np.ndarray, *, fs: float, noise: str, snr_db: float, part: str | NoisePart,
    throughout: bool = False, root: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A noisy copy of ``x`` and where its noise is on (nstdb's schedule, or ``throughout``).

    The SNR is set from the QRS amplitude at the reference ``beats`` of the clean ``x``
    (`qrs_amplitude`) and the variance of the ``part`` of noise record ``noise`` (resampled to ``fs``).
    """
    n, _ = noise_part(noise, part, fs=fs, root=root)
    on = np.ones(x.size, dtype=bool) if throughout else noise_schedule(x.size, fs=fs)
    noisy = noise_add_at_snr(x, n, snr_db, qrs_ptp=qrs_amplitude(x, beats, fs=fs), mask=on)
    return noisy, on


# ---------------------------------------------------------------------- scoring through the pipeline
@dataclass(frozen=True)
class NoiseStressScore:
    """One record's (noisy or clean) run through `cardiowatch.pipeline.Pipeline`, matched beat by beat.

    ``confusion`` has rows reference class, columns output class (`MATRIX_LABELS`: AAMI classes and
    ``-``, no beat), as `cardiowatch.evaluate.beats.classification_confusion`. A reference beat reported
    as ``Q`` counts as missed for its class; ``Q`` calls are not ectopic calls.
    """

    record: str
    noise: str | None  #: None: the clean record
    snr_db: float | None
    hours: float
    confusion: np.ndarray = field(repr=False)
    noise_hours: float = 0.0  #: time with noise on

    def __add__(self, other: "NoiseStressScore") -> "NoiseStressScore":
        return NoiseStressScore("+".join(filter(None, (self.record, other.record))), self.noise, self.snr_db,
                                self.hours + other.hours, self.confusion + other.confusion,
                                self.noise_hours + other.noise_hours)

    def class_score(self, cls: str) -> DetectionScore:
        from cardiowatch.evaluate.beats import class_score

        return class_score(self.confusion, cls)

    @property
    def false_ectopic_per_hour(self) -> float:
        """Beats called S or V whose reference is another class or no beat, per hour."""
        return (self.class_score("S").fp + self.class_score("V").fp) / self.hours

    @property
    def q_share(self) -> float:
        """Share of reference beats reported as Q (unclassifiable)."""
        from cardiowatch.evaluate.beats import MATRIX_LABELS, NONE_LABEL

        ref = self.confusion[: MATRIX_LABELS.index(NONE_LABEL)]
        return float(ref[:, MATRIX_LABELS.index("Q")].sum() / max(1, ref.sum()))

    @property
    def detection(self) -> DetectionScore:
        """Every beat the pipeline reported (Q included) against the reference beats."""
        from cardiowatch.evaluate.beats import MATRIX_LABELS, NONE_LABEL

        none = MATRIX_LABELS.index(NONE_LABEL)
        m = self.confusion
        return DetectionScore(tp=int(m[:none, :none].sum()), fn=int(m[:none, none].sum()),
                              fp=int(m[none, :none].sum()))


def noise_stress_record(
    name: str, *, noise: str | None, snr_db: float | None = None, part: str | NoisePart = NoisePart.EVAL,
    beat_classifier: object | None = None, root: str | None = None,
) -> NoiseStressScore:
    """Run the one streaming `Pipeline` over mitdb record ``name``, clean or with ``noise`` at ``snr_db``
    (nstdb's schedule, the ``part`` half of the noise), and match its beats to the reference."""
    from cardiowatch.data import AAMI_CLASSES, read_record
    from cardiowatch.evaluate.beats import classification_confusion
    from cardiowatch.pipeline import analyze_signal

    rec = read_record("mitdb", name, root=root)
    x = rec.signals[rec.ecg_lead()]
    ref = rec.annotations.beats()  # type: ignore[union-attr]
    on = np.zeros(x.size, dtype=bool)
    if noise is not None:
        if snr_db is None:
            raise ValueError("noise needs snr_db")
        x, on = noise_stress_copy(x, ref.sample, fs=rec.fs, noise=noise, snr_db=snr_db, part=part, root=root)
    result = analyze_signal(x, fs=rec.fs, sensor="ecg", chunk_s=CHUNK_S, beat_classifier=beat_classifier)
    ref_class = [AAMI_CLASSES[c] for c in ref.aami]
    confusion = classification_confusion(ref.sample, ref_class, result.beat_samples, result.beat_labels.tolist(),
                                         fs=rec.fs)
    return NoiseStressScore(name, noise, snr_db, x.size / rec.fs / 3600.0, confusion, on.sum() / rec.fs / 3600.0)


def clean_noisy_share(records: tuple[str, ...], *, root: str | None = None) -> tuple[float, dict[str, float]]:
    """Share of samples `EcgQuality` flags ``noisy`` on clean mitdb records: pooled, and per record."""
    from cardiowatch.data import read_record
    from cardiowatch.signal.quality import EcgQuality
    from cardiowatch.signal.quality_segment import QualityFlag

    flagged, total, per_record = 0, 0, {}
    for name in records:
        rec = read_record("mitdb", name, root=root)
        x = rec.signals[rec.ecg_lead()]
        quality = EcgQuality(fs=rec.fs)
        segments = quality.process(x) + quality.flush()
        n = sum(s.n_samples for s in segments if s.flag is QualityFlag.NOISY)
        per_record[name] = n / x.size
        flagged += n
        total += x.size
    return flagged / total, per_record
