"""The shipped AF model: a small tree ensemble on interval features, stored as plain arrays in JSON.

Two kinds share one layout: a random forest (v1-v3 and the shipped v5: the AF score is the mean of the
trees' leaf probabilities) and boosted trees (the v4 candidate: the AF score is the sum of the trees' leaf
log-odds). Decisions compare the score with the entry and stay thresholds in the score's own units
(`AfModel.score_threshold`), so no exponential is needed on the device. Inference needs numpy only (no
scikit-learn, no LightGBM): each tree is walked for all rows at once. The same arrays are what the C
export writes, so Python and C agree by construction (see `cardiowatch.rhythm.export`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cardiowatch.errors import ModelError
from cardiowatch.rhythm.intervals import FEATURE_NAMES

#: Version of the JSON layout; bump when the fields change.
MODEL_FORMAT = 1
#: JSON ``kind`` of a forest (mean leaf probability) and of boosted trees (summed leaf log-odds).
KIND_FOREST = "af_tree_ensemble"
KIND_BOOSTED = "af_boosted_trees"
#: Default location of the shipped model, overridable with $CARDIOWATCH_MODELS.
MODEL_NAME = "rhythm_af.json"


def models_dir() -> Path:
    """Folder of the shipped models: $CARDIOWATCH_MODELS, else ``models/`` of the source checkout."""
    env = os.environ.get("CARDIOWATCH_MODELS")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "models"


@dataclass(frozen=True)
class AfModel:
    """Tree ensemble plus the decision rule around it.

    The layout is emlearn's (``emlearn.trees``, ``leaf_bits=8``); the C export writes these arrays as
    tables and walks them the same way, so it runs the very same numbers: decision node ``k`` goes to
    ``left[k]`` when ``x[feature[k]] < threshold[k]``, else to ``right[k]``; a child ``c < 0`` is leaf
    ``-c - 1``. ``roots`` holds each tree's first node (a leaf's code when the tree is a single leaf).
    A forest's leaf ``i`` has AF probability ``leaf_af[i] / 255`` and the score is their mean over the
    trees; boosted trees (``leaf_value`` set) add their float32 leaf log-odds ``leaf_value[i]`` in tree
    order. Thresholds are float32; the C header spells each so that it reads back the same.
    """

    feature: np.ndarray  #: int16, per decision node
    threshold: np.ndarray  #: float32, per decision node
    left: np.ndarray  #: int32, decision node index, or -(leaf index) - 1
    right: np.ndarray  #: int32, likewise
    leaf_af: np.ndarray  #: uint8, AF probability of each leaf times 255 (forest; empty for boosted trees)
    roots: np.ndarray  #: int32
    window: int  #: intervals per feature window
    lookahead: int  #: valid intervals after a beat that its window includes
    threshold_af: float  #: outside AF, a beat is an AF candidate when the mean probability is >= this
    min_af_beats: int  #: AF candidate beats in a row before AF is confirmed
    min_exit_beats: int  #: non-AF candidate beats in a row before AF ends
    #: in AF, a beat stays an AF candidate while the probability is >= this (<= threshold_af: hysteresis);
    #: None: threshold_af (v1 models)
    threshold_af_exit: float | None = None
    feature_names: tuple[str, ...] = FEATURE_NAMES
    #: float32 log-odds of AF of each leaf (boosted trees); None: a forest (``leaf_af``)
    leaf_value: np.ndarray | None = None
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def boosted(self) -> bool:
        """Boosted trees (score = summed log-odds) rather than a forest (score = mean probability)."""
        return self.leaf_value is not None

    @property
    def n_leaves(self) -> int:
        return len(self.leaf_value) if self.boosted else len(self.leaf_af)

    def score_threshold(self, probability: float) -> np.float32:
        """The score a probability threshold corresponds to: itself for a forest, its log-odds for boosted
        trees (float32, the precision both Python and C compare in)."""
        if not self.boosted:
            return np.float32(probability)
        if not 0.0 < probability < 1.0:
            raise ValueError(f"a boosted model's thresholds must lie strictly between 0 and 1, got {probability}")
        return np.float32(np.log(probability / (1.0 - probability)))

    @property
    def enter_score(self) -> np.float32:
        """Outside AF a beat is an AF candidate when its score is >= this (``threshold_af``)."""
        return self.score_threshold(self.threshold_af)

    @property
    def stay_score(self) -> np.float32:
        """In AF a beat stays an AF candidate while its score is >= this (`exit_threshold`)."""
        return self.score_threshold(self.exit_threshold)

    @property
    def exit_threshold(self) -> float:
        """Probability under which a beat stops being an AF candidate once AF is confirmed."""
        return self.threshold_af if self.threshold_af_exit is None else self.threshold_af_exit

    @property
    def n_trees(self) -> int:
        return len(self.roots)

    @property
    def n_bytes(self) -> int:
        """Bytes of the C header's tables (`cardiowatch.rhythm.export`): per decision node a uint8 feature
        index, a float threshold and two int16 children; per leaf a uint8 AF probability (forest) or a
        float log-odds (boosted); an int16 root per tree. The walker's code comes on top
        (`benchmarks/rhythm_model_size.py` measures both)."""
        per_leaf = 4 if self.boosted else 1
        return len(self.feature) * (1 + 4 + 2 + 2) + per_leaf * self.n_leaves + 2 * len(self.roots)

    def af_score(self, features: np.ndarray) -> np.ndarray:
        """AF score per row of ``features`` (n, n_features), in float32 exactly as the C port computes it:
        the mean leaf probability (forest) or the sum of leaf log-odds (boosted), trees added in order."""
        x = np.asarray(features, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(f"features must have shape (n, {len(self.feature_names)}), got {x.shape}")
        rows = np.arange(len(x))
        total = np.zeros(len(x), dtype=np.float32)
        leaf = self.leaf_value if self.boosted else self.leaf_af.astype(np.float32) / np.float32(255.0)
        for root in self.roots:
            node = np.full(len(x), root, dtype=np.int64)
            active = node >= 0
            while active.any():
                idx = node[active]
                go_left = x[rows[active], self.feature[idx]] < self.threshold[idx]
                node[active] = np.where(go_left, self.left[idx], self.right[idx])
                active = node >= 0
            total += leaf[-node - 1]
        return total if self.boosted else total / np.float32(self.n_trees)

    def to_json(self) -> dict:
        return {
            "format": MODEL_FORMAT,
            "kind": KIND_BOOSTED if self.boosted else KIND_FOREST,
            "feature_names": list(self.feature_names),
            "window": self.window,
            "lookahead": self.lookahead,
            "threshold_af": self.threshold_af,
            "min_af_beats": self.min_af_beats,
            "min_exit_beats": self.min_exit_beats,
            "threshold_af_exit": self.threshold_af_exit,
            "roots": self.roots.tolist(),
            "feature": self.feature.tolist(),
            "threshold": [float(v) for v in self.threshold],
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "leaf_af": self.leaf_af.tolist(),
            **({"leaf_value": [float(v) for v in self.leaf_value]} if self.boosted else {}),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, obj: dict) -> "AfModel":
        if obj.get("format") != MODEL_FORMAT or obj.get("kind") not in (KIND_FOREST, KIND_BOOSTED):
            raise ModelError(f"not an AF model of format {MODEL_FORMAT}: format={obj.get('format')!r}, "
                             f"kind={obj.get('kind')!r}")
        names = tuple(obj["feature_names"])
        if names != FEATURE_NAMES:
            raise ModelError(f"model features {names} differ from the code's {FEATURE_NAMES}; retrain")
        return cls(
            feature=np.asarray(obj["feature"], dtype=np.int16),
            threshold=np.asarray(obj["threshold"], dtype=np.float32),
            left=np.asarray(obj["left"], dtype=np.int32),
            right=np.asarray(obj["right"], dtype=np.int32),
            leaf_af=np.asarray(obj["leaf_af"], dtype=np.uint8),
            roots=np.asarray(obj["roots"], dtype=np.int32),
            window=int(obj["window"]),
            lookahead=int(obj["lookahead"]),
            threshold_af=float(obj["threshold_af"]),
            min_af_beats=int(obj["min_af_beats"]),
            min_exit_beats=int(obj["min_exit_beats"]),
            threshold_af_exit=None if obj.get("threshold_af_exit") is None else float(obj["threshold_af_exit"]),
            feature_names=names,
            leaf_value=np.asarray(obj["leaf_value"], dtype=np.float32) if obj["kind"] == KIND_BOOSTED else None,
            meta=dict(obj.get("meta", {})),
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")
        return path


def load_af_model(path: str | os.PathLike[str] | None = None) -> AfModel:
    """Load the AF model at ``path`` (default: the shipped ``models/rhythm_af.json``).

    Raises
    ------
    ModelError
        The file is missing, not JSON, or not a model this code can run.
    """
    path = Path(path) if path is not None else models_dir() / MODEL_NAME
    try:
        obj = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelError(f"AF model {path} not found; train it with `python -m cardiowatch.rhythm.train`") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"AF model {path} is unreadable: {exc}") from exc
    try:
        return AfModel.from_json(obj)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"AF model {path} is malformed: {exc}") from exc
