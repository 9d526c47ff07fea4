"""AAMI beat classification: the shipped ONNX model and the streaming stage that runs it.

Inference uses onnxruntime only. The shipped model file ``beat_classifier.onnx`` (in `cardiowatch.models`)
comes with a sidecar ``beat_classifier.json`` holding the feature names it was trained on, the classes of
its outputs and the per-class decision weights tuned by patient-wise cross-validation inside DS1.

Two stages decide a beat's class. The main model (LightGBM on the beat features named by the sidecar's
``main_features``) gives N, S, V, F probabilities; a beat it calls V or F keeps that label. A beat it
calls N or S goes to the SVEB stage (sidecar key ``sveb_stage``; its own small ONNX file): a model of
the beat's RR timing relative to the patient's own rhythm (log RR ratios) and of how irregular that
rhythm is, with no morphology, which decides S when its probability exceeds the tuned threshold, else N.
Timing normalised to the patient's rhythm carries over between patients, raw morphology learned from
DS1's few SVEB patients does not (de Chazal 2004; Llamedo & Martinez 2011).

References
----------
de Chazal P, O'Dwyer M, Reilly RB. Automatic classification of heartbeats using ECG morphology and
heartbeat interval features. IEEE Trans Biomed Eng 51(7):1196-1206 (2004).
Llamedo M, Martinez JP. Heartbeat classification using feature selection driven by database
generalization criteria. IEEE Trans Biomed Eng 58(3):616-625 (2011).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cardiowatch._checks import check_fs, check_signal
from cardiowatch.beats.features import FEATURE_NAMES, N_WAVE_POINTS, BeatFeatures, EcgBeatFeatureStage
from cardiowatch.data.aami import AAMI_CLASSES
from cardiowatch.errors import ModelError
from cardiowatch.models import shipped_model_path
from cardiowatch.stage import StreamingStage

logger = logging.getLogger(__name__)

#: Format version of the sidecar json; bump when the features or the decision rule change.
#: 2: optional ``sveb_stage``; 3: ``main_features`` (the main model reads a subset of the row) and the
#: stage's ``plain_features`` (inputs taken as they are). Older formats are still read, but their
#: ``feature_names`` predate ``rr_irregularity``, so such a model is refused as made for other features.
MODEL_FORMAT_VERSION = 3
_READABLE_FORMAT_VERSIONS = (1, 2, 3)
#: Ratios are clipped to this range before their logarithm (the SVEB stage's inputs).
SVEB_RATIO_CLIP: tuple[float, float] = (0.05, 20.0)
#: The shipped model, installed with the package (`cardiowatch.models`).
DEFAULT_MODEL_PATH = shipped_model_path("beat_classifier.onnx")
#: Label of a beat whose window could not be read (NaN samples): AAMI Q, unclassifiable.
UNCLASSIFIABLE = "Q"
#: Columns of the beat's scaled waveform (``wave_00`` ..) in the feature row.
_WAVE_COLUMNS = slice(FEATURE_NAMES.index("wave_00"), FEATURE_NAMES.index("wave_00") + N_WAVE_POINTS)


def sidecar_path(model_path: Path) -> Path:
    """The json next to an onnx model file."""
    return Path(model_path).with_suffix(".json")


def sveb_stage_inputs(features: np.ndarray, columns: list[int] | np.ndarray,
                      plain_columns: list[int] | np.ndarray = ()) -> np.ndarray:
    """Inputs of the SVEB stage: the log of the RR-ratio ``columns``, clipped to `SVEB_RATIO_CLIP`, then
    the ``plain_columns`` as they are.

    Non-finite values (no previous beat yet) become 0: a ratio of 1 ("on time"), no irregularity.
    """
    x = np.asarray(features, dtype=np.float64)
    ratios = np.log(np.clip(x[:, np.asarray(columns, dtype=np.int64)], *SVEB_RATIO_CLIP))
    out = np.hstack([ratios, x[:, np.asarray(plain_columns, dtype=np.int64)]])
    return np.where(np.isfinite(out), out, 0.0).astype(np.float32)


@dataclass(frozen=True)
class ClassifiedBeat:
    """One classified beat: its sample index from the record's start, AAMI class, class probabilities."""

    sample: int
    aami: str  #: one of `AAMI_CLASSES`
    prob: tuple[float, ...]  #: probability per class of `BeatClassifier.classes` (NaN when unclassifiable)
    #: the beat's waveform (feature columns ``wave_*``; NaN when unreadable), for comparing beats' shapes
    wave: np.ndarray | None = field(default=None, compare=False, repr=False)


class BeatClassifier:
    """The ONNX beat classifier: features -> AAMI classes.

    Parameters
    ----------
    path : path-like or None
        The ``.onnx`` file (its ``.json`` sidecar beside it); None loads the shipped model.

    Raises
    ------
    ModelError
        The file or its sidecar is missing, unreadable, or made for other features.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else DEFAULT_MODEL_PATH
        meta_path = sidecar_path(self.path)
        if not self.path.is_file():
            raise ModelError(f"beat classifier model not found: {self.path} "
                             "(train it with `python -m training.beats_train` in a source checkout)")
        if not meta_path.is_file():
            raise ModelError(f"beat classifier sidecar not found: {meta_path}")
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(f"{meta_path}: unreadable sidecar: {exc}") from exc
        if meta.get("format_version") not in _READABLE_FORMAT_VERSIONS:
            raise ModelError(f"{meta_path}: format_version {meta.get('format_version')!r}, "
                             f"expected one of {_READABLE_FORMAT_VERSIONS}")
        if tuple(meta.get("feature_names", ())) != FEATURE_NAMES:
            raise ModelError(f"{meta_path}: model was trained on other features than this code computes")
        try:
            self._main_columns = np.array([FEATURE_NAMES.index(n) for n in meta.get("main_features", FEATURE_NAMES)],
                                          dtype=np.intp)
        except ValueError as exc:
            raise ModelError(f"{meta_path}: bad main_features: {exc}") from exc
        self.classes: tuple[str, ...] = tuple(meta["classes"])
        if not set(self.classes) <= set(AAMI_CLASSES):
            raise ModelError(f"{meta_path}: classes {self.classes} are not AAMI classes {AAMI_CLASSES}")
        self.class_weights = np.asarray(meta["class_weights"], dtype=np.float64)
        self._class_labels = np.asarray(self.classes, dtype=object)
        if self.class_weights.shape != (len(self.classes),):
            raise ModelError(f"{meta_path}: {len(self.class_weights)} class weights for {len(self.classes)} classes")
        self.meta = meta
        self._session = _load_session(self.path)
        self._input = self._session.get_inputs()[0].name
        self._prob_output = [o.name for o in self._session.get_outputs()][-1]
        self.sveb_threshold: float | None = None
        self._sveb_session = None
        stage = meta.get("sveb_stage")
        if stage is not None:
            try:
                self._sveb_columns = np.array([FEATURE_NAMES.index(n) for n in stage["features"]], dtype=np.int64)
                self._sveb_plain_columns = np.array(
                    [FEATURE_NAMES.index(n) for n in stage.get("plain_features", ())], dtype=np.int64)
                self.sveb_threshold = float(stage["threshold"])
                sveb_path = self.path.parent / stage["model"]
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelError(f"{meta_path}: bad sveb_stage entry: {exc}") from exc
            if not {"N", "S"} <= set(self.classes):
                raise ModelError(f"{meta_path}: an SVEB stage needs classes N and S, got {self.classes}")
            if not sveb_path.is_file():
                raise ModelError(f"SVEB stage model not found: {sveb_path}")
            self._sveb_session = _load_session(sveb_path)
            self._sveb_input = self._sveb_session.get_inputs()[0].name
            self._sveb_output = [o.name for o in self._sveb_session.get_outputs()][-1]

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n, len(classes)); rows with non-finite features are NaN."""
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"features must have shape (n, {len(FEATURE_NAMES)}), got {x.shape}")
        ok = np.isfinite(x).all(axis=1)
        if ok.all() and len(x):  # the usual call: every row readable
            main = x[:, self._main_columns].astype(np.float32)
            return np.array(self._session.run([self._prob_output], {self._input: main})[0], dtype=np.float64)
        out = np.full((len(x), len(self.classes)), np.nan)
        if ok.any():
            main = x[ok][:, self._main_columns].astype(np.float32)
            prob = self._session.run([self._prob_output], {self._input: main})[0]
            out[ok] = np.asarray(prob, dtype=np.float64)
        return out

    def predict_sveb(self, features: np.ndarray) -> np.ndarray | None:
        """SVEB-stage probability of S (vs N) per row; None when the model has no SVEB stage."""
        if self._sveb_session is None:
            return None
        x = np.asarray(features, dtype=np.float64)
        if len(x) == 0:
            return np.zeros(0)
        inputs = sveb_stage_inputs(x, self._sveb_columns, self._sveb_plain_columns)
        prob = self._sveb_session.run([self._sveb_output], {self._sveb_input: inputs})[0]
        return np.asarray(prob, dtype=np.float64)[:, 1]

    def decide(self, prob: np.ndarray, sveb_prob: np.ndarray | None = None) -> np.ndarray:
        """AAMI class letters: argmax of the weighted probabilities; NaN rows -> Q.

        With an SVEB stage (``sveb_prob`` given), beats the main model calls N or S become S when
        ``sveb_prob`` exceeds the stage's threshold, else N.
        """
        labels = np.full(len(prob), UNCLASSIFIABLE, dtype=object)
        ok = np.isfinite(prob).all(axis=1)
        if ok.any():
            labels[ok] = self._class_labels[np.argmax(prob[ok] * self.class_weights, axis=1)]
        if sveb_prob is not None and self.sveb_threshold is not None:
            n_or_s = ok & ((labels == "N") | (labels == "S"))
            labels[n_or_s] = np.where(np.asarray(sveb_prob)[n_or_s] > self.sveb_threshold, "S", "N")
        return labels

    def predict(self, features: np.ndarray) -> np.ndarray:
        """AAMI class letter per feature row."""
        return self.decide(self.predict_proba(features), self.predict_sveb(features))


def _load_session(path: Path):
    """A one-thread onnxruntime session of ``path``; `ModelError` when it cannot be loaded."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except _onnx_load_errors() as exc:
        raise ModelError(f"{path}: cannot load ONNX model: {exc}") from exc


def _onnx_load_errors() -> tuple[type[BaseException], ...]:
    """What onnxruntime raises on a missing, corrupt or invalid model (its own classes, not builtins)."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = ("InvalidProtobuf", "InvalidGraph", "Fail", "NoSuchFile", "NoModel", "InvalidArgument",
             "NotImplemented", "RuntimeException")
    return tuple(getattr(state, n) for n in names if hasattr(state, n)) + (RuntimeError, OSError)


class BeatClassifierStage(StreamingStage):
    """Streaming beat classification: raw ECG chunks + beat positions in, classified beats out.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz (required).
    classifier : BeatClassifier or None
        The model; None loads the shipped one (once, here).

    Notes
    -----
    ``process(chunk, beats)`` takes the next raw samples of the lead (any length, 0 included) and the
    beats detected so far that were not given before (sorted sample indices from the record's start,
    each before the end of the samples received). A beat is classified once its post-window (450 ms)
    and the next beat are known; `flush` classifies the rest at the end of input. The same beats come
    out whatever the chunking. The stage filters the raw lead itself (see `EcgBeatFeatureStage`).

    Examples
    --------
    >>> stage = BeatClassifierStage(fs=rec.fs)                  # doctest: +SKIP
    >>> out = [b for x, q in chunks for b in stage.process(x, q)] + stage.flush()   # doctest: +SKIP
    """

    def __init__(self, *, fs: float, classifier: BeatClassifier | None = None) -> None:
        self.fs = check_fs(fs)
        self.classifier = classifier if classifier is not None else BeatClassifier()
        self.reset()

    def reset(self) -> None:
        """Start a new record (or resume after a gap): drops queued beats and patient statistics."""
        self.features_ = EcgBeatFeatureStage(fs=self.fs)
        self._open()

    @property
    def delay_s(self) -> float:
        """See `EcgBeatFeatureStage.delay_s`: classification itself adds no wait."""
        return self.features_.delay_s

    def process(self, chunk: np.ndarray, beats: np.ndarray | list[int] = ()) -> list[ClassifiedBeat]:
        """Feed raw samples and new beat positions; return the beats classified by now."""
        self._check_open("process")
        return self._classify(self.features_.process(check_signal(chunk, name="chunk"), beats))

    def flush(self) -> list[ClassifiedBeat]:
        """End of input: classify every queued beat; closed until `reset`."""
        self._check_open("flush")
        out = self._classify(self.features_.flush())
        self._close()
        return out

    def _classify(self, feats: BeatFeatures) -> list[ClassifiedBeat]:
        if len(feats) == 0:
            return []
        prob = self.classifier.predict_proba(feats.features)
        labels = self.classifier.decide(prob, self.classifier.predict_sveb(feats.features))
        waves = feats.features[:, _WAVE_COLUMNS]
        return [
            ClassifiedBeat(s, str(lab), tuple(row), wave)
            for s, lab, row, wave in zip(feats.sample.tolist(), labels, prob.tolist(), waves)
        ]


def ecg_classify_beats(
    x: np.ndarray, beats: np.ndarray, *, fs: float, classifier: BeatClassifier | None = None
) -> list[ClassifiedBeat]:
    """Classify every beat of a whole raw ECG record: a thin wrapper over `BeatClassifierStage`."""
    stage = BeatClassifierStage(fs=fs, classifier=classifier)
    x = check_signal(x, name="x")
    beats = np.asarray(beats, dtype=np.int64)
    beats = beats[(beats >= 0) & (beats < len(x))]
    return stage.process(x, beats) + stage.flush()
