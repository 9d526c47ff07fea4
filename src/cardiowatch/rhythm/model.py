"""The shipped AF model: a small tree ensemble on interval features, stored as plain arrays in JSON.

The ensemble is a random forest: the AF score is the mean of the trees' leaf
probabilities, compared with the entry and stay thresholds. Inference needs numpy only (no scikit-learn):
each tree is walked for all rows at once. The same arrays are what the C export writes, so Python and C
agree by construction (see `cardiowatch.rhythm.export`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from cardiowatch.errors import ModelError
from cardiowatch.models import shipped_model_path
from cardiowatch.rhythm.intervals import FEATURE_NAMES

#: Up to this many rows `AfModel.af_score` walks the trees row by row in Python, past it all at once in numpy.
_FEW_ROWS = 4

#: Version of the JSON layout; bump when the fields change.
MODEL_FORMAT = 1
#: JSON ``kind`` of the model (a forest: mean leaf probability).
KIND_FOREST = "af_tree_ensemble"
#: File name of the shipped model in `cardiowatch.models`.
MODEL_NAME = "rhythm_af.json"


def models_dir() -> Path:
    """Folder of the shipped AF model: $CARDIOWATCH_MODELS, else the installed `cardiowatch.models`."""
    env = os.environ.get("CARDIOWATCH_MODELS")
    return Path(env) if env else shipped_model_path(MODEL_NAME).parent


@dataclass(frozen=True)
class AfModel:
    """Tree ensemble plus the decision rule around it.

    The layout is emlearn's (``emlearn.trees``, ``leaf_bits=8``); the C export writes these arrays as
    tables and walks them the same way, so it runs the very same numbers: decision node ``k`` goes to
    ``left[k]`` when ``x[feature[k]] < threshold[k]``, else to ``right[k]``; a child ``c < 0`` is leaf
    ``-c - 1``. ``roots`` holds each tree's first node (a leaf's code when the tree is a single leaf).
    Leaf ``i`` has AF probability ``leaf_af[i] / 255`` and the score is their mean over the trees.
    Thresholds are float32; the C header spells each so that it reads back the same.
    """

    feature: np.ndarray  #: int16, per decision node
    threshold: np.ndarray  #: float32, per decision node
    left: np.ndarray  #: int32, decision node index, or -(leaf index) - 1
    right: np.ndarray  #: int32, likewise
    leaf_af: np.ndarray  #: uint8, AF probability of each leaf times 255
    roots: np.ndarray  #: int32
    window: int  #: intervals per feature window
    lookahead: int  #: valid intervals after a beat that its window includes
    threshold_af: float  #: outside AF, a beat is an AF candidate when the mean probability is >= this
    min_af_beats: int  #: AF candidate beats in a row before AF is confirmed
    min_exit_beats: int  #: non-AF candidate beats in a row before AF ends
    #: in AF, a beat stays an AF candidate while the probability is >= this (<= threshold_af: hysteresis);
    #: None: threshold_af (a model file without an exit threshold)
    threshold_af_exit: float | None = None
    feature_names: tuple[str, ...] = FEATURE_NAMES
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def n_leaves(self) -> int:
        return len(self.leaf_af)

    def score_threshold(self, probability: float) -> np.float32:
        """The score a probability threshold corresponds to: the probability itself, in float32 (the
        precision both Python and C compare in)."""
        return np.float32(probability)

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
        index, a float threshold and two int16 children; per leaf a uint8 AF probability; an int16 root per
        tree. The walker's code comes on top (`benchmarks/rhythm_model_size.py` measures both)."""
        return len(self.feature) * (1 + 4 + 2 + 2) + self.n_leaves + 2 * len(self.roots)

    def af_score(self, features: np.ndarray) -> np.ndarray:
        """AF score per row of ``features`` (n, n_features), in float32 exactly as the C port computes it:
        the mean leaf probability, trees added in order."""
        x = np.asarray(features, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(f"features must have shape (n, {len(self.feature_names)}), got {x.shape}")
        if len(x) <= _FEW_ROWS:  # a streaming chunk's one or two windows: walking in Python costs less
            out = np.empty(len(x), dtype=np.float32)
            for i, row in enumerate(x.tolist()):
                out[i] = self._score_row(row)
            return out
        # every tree walked at once (one step per level, not per tree and level); the leaves are then
        # added tree by tree, in order, as the C port adds them
        rows = np.broadcast_to(np.arange(len(x)), (self.n_trees, len(x)))
        node = np.repeat(np.asarray(self.roots, dtype=np.int64)[:, None], len(x), axis=1)
        active = node >= 0
        while active.any():
            idx = node[active]
            go_left = x[rows[active], self.feature[idx]] < self.threshold[idx]
            node[active] = np.where(go_left, self.left[idx], self.right[idx])
            active = node >= 0
        leaf = self.leaf_af.astype(np.float32) / np.float32(255.0)
        total = np.zeros(len(x), dtype=np.float32)
        for tree_leaf in leaf[-node - 1]:
            total += tree_leaf
        return total / np.float32(self.n_trees)

    @cached_property
    def _tables(self) -> tuple[list, list, list, list, list, list]:
        """The forest as Python lists (float32 values kept exact as floats; leaves as float32 scalars)."""
        leaf = self.leaf_af.astype(np.float32) / np.float32(255.0)
        return (self.feature.tolist(), self.threshold.tolist(), self.left.tolist(), self.right.tolist(),
                list(leaf), np.asarray(self.roots, dtype=np.int64).tolist())

    def _score_row(self, row: list[float]) -> np.float32:
        """`af_score` of one row given as floats: the same comparisons (float32 values compare alike as
        floats) and the same float32 sum, tree by tree in order."""
        feature, threshold, left, right, leaf, roots = self._tables
        total = np.float32(0.0)
        for node in roots:
            while node >= 0:
                node = left[node] if row[feature[node]] < threshold[node] else right[node]
            total += leaf[-node - 1]
        return total / np.float32(len(roots))

    def to_json(self) -> dict:
        return {
            "format": MODEL_FORMAT,
            "kind": KIND_FOREST,
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
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, obj: dict) -> "AfModel":
        if obj.get("format") != MODEL_FORMAT or obj.get("kind") != KIND_FOREST:
            raise ModelError(f"not an AF model of format {MODEL_FORMAT} and kind {KIND_FOREST!r}: "
                             f"format={obj.get('format')!r}, kind={obj.get('kind')!r}")
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
            meta=dict(obj.get("meta", {})),
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")
        return path


def load_af_model(path: str | os.PathLike[str] | None = None) -> AfModel:
    """Load the AF model at ``path`` (default: the shipped ``rhythm_af.json`` in `cardiowatch.models`).

    Raises
    ------
    ModelError
        The file is missing, not JSON, or not a model this code can run.
    """
    path = Path(path) if path is not None else models_dir() / MODEL_NAME
    try:
        obj = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelError(f"AF model {path} not found; train it with `python -m training.rhythm_train` in a source checkout") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"AF model {path} is unreadable: {exc}") from exc
    try:
        return AfModel.from_json(obj)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"AF model {path} is malformed: {exc}") from exc
