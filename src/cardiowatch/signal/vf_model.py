"""The shockable-rhythm classifier: a small boosted-tree ensemble read from a JSON file, and its rule.

The file (``cardiowatch/models/vf_detector.json``, written by ``training/vf_train.py``) holds every tree's
nodes flattened into one set of arrays, so all windows and all trees are evaluated at once with a few
numpy gathers per tree level (and the C port walks the same arrays)::

    node = root of each tree
    repeat depth times:  node = node                       where feature[node] < 0   (a leaf)
                                left[node] if x[feature[node]] <= split[node] else right[node]
    p = 1 / (1 + exp(-(baseline + sum of value[node] over the trees)))

Inputs are the window's own features followed by those of the windows ``lags`` hops earlier (the
context of the last few seconds); before the input has that many windows the first window stands in.
"""

from __future__ import annotations

import importlib.resources
import json
from dataclasses import dataclass

import numpy as np

from cardiowatch.errors import ModelError

__all__ = ["MODEL_FILE", "MODEL_FORMAT", "VfModel", "vf_context"]

#: Format version of the model file; bump when the features, the inputs or the rule change.
MODEL_FORMAT = 2
MODEL_FILE = "vf_detector.json"


def vf_context(history: np.ndarray, features: np.ndarray, lags: tuple[int, ...]) -> np.ndarray:
    """Rows of ``features`` each followed by the row ``lag`` windows earlier, for every lag; ``history``
    holds the rows before ``features`` (empty at the input's start, when the first row stands in)."""
    if not lags:
        return features
    full = np.concatenate([history, features]) if history.size else features
    idx = np.arange(history.shape[0], full.shape[0])
    return np.concatenate([features] + [full[np.maximum(idx - lag, 0)] for lag in lags], axis=1)


@dataclass(frozen=True)
class VfModel:
    """Boosted trees over `cardiowatch.signal.vf.FEATURE_NAMES` (with context) plus the decision rule.

    ``feature``, ``split``, ``left``, ``right``, ``value`` describe every node of every tree (``feature``
    is -1 at a leaf; ``left``/``right`` index the same arrays); ``roots`` the first node of each tree.
    ``threshold`` is the probability at which a window is shockable; VF is entered after ``n_enter``
    shockable windows in a row and left after ``n_exit`` others; windows are ``window_s`` long, one every
    ``hop_s``.
    """

    features: tuple[str, ...]
    lags: tuple[int, ...]
    feature: tuple[int, ...]
    split: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]
    roots: tuple[int, ...]
    depth: int
    baseline: float
    threshold: float
    n_enter: int
    n_exit: int
    window_s: float
    hop_s: float

    def __post_init__(self) -> None:
        n_nodes = len(self.feature)
        if not len(self.split) == len(self.left) == len(self.right) == len(self.value) == n_nodes:
            raise ModelError(f"VF model: node arrays of different lengths ({len(self.feature)}, "
                             f"{len(self.split)}, {len(self.left)}, {len(self.right)}, {len(self.value)})")
        n_inputs = len(self.features) * (1 + len(self.lags))
        inner = [i for i, f in enumerate(self.feature) if f >= 0]
        if any(self.feature[i] >= n_inputs for i in inner) or any(
            not 0 <= c < n_nodes for i in inner for c in (self.left[i], self.right[i])
        ) or any(not 0 <= r < n_nodes for r in self.roots):
            raise ModelError(f"VF model: a node points outside the {n_nodes} nodes or {n_inputs} inputs")
        if not 0.0 < self.threshold < 1.0 or self.n_enter < 1 or self.n_exit < 1:
            raise ModelError(f"VF model rule out of range: threshold {self.threshold}, "
                             f"n_enter {self.n_enter}, n_exit {self.n_exit}")
        if not 0.0 < self.hop_s <= self.window_s or any(lag < 1 for lag in self.lags):
            raise ModelError(f"VF model needs 0 < hop_s <= window_s and lags >= 1, got hop {self.hop_s}, "
                             f"window {self.window_s}, lags {self.lags}")
        arrays = {
            "_feature": np.asarray(self.feature, dtype=np.int64), "_split": np.asarray(self.split),
            "_left": np.asarray(self.left, dtype=np.int64), "_right": np.asarray(self.right, dtype=np.int64),
            "_value": np.asarray(self.value), "_roots": np.asarray(self.roots, dtype=np.int64),
        }
        # the walk's tables: each node's feature (0 at a leaf, whose test is then ignored) and its two
        # children, right then left, indexed ``2 * node + (x <= split)``; a leaf is its own child
        feature = arrays["_feature"]
        leaf = feature < 0
        nodes = np.arange(n_nodes)
        arrays["_walk_feature"] = np.where(leaf, 0, feature)
        arrays["_walk_child"] = np.column_stack([np.where(leaf, nodes, arrays["_right"]),
                                                 np.where(leaf, nodes, arrays["_left"])]).ravel()
        for name, arr in arrays.items():
            object.__setattr__(self, name, arr)

    @property
    def max_lag(self) -> int:
        return max(self.lags, default=0)

    def score(self, inputs: np.ndarray) -> np.ndarray:
        """Probability of a shockable rhythm for each row of ``inputs`` (features with context)."""
        rows, n_inputs = inputs.shape
        flat = np.ascontiguousarray(inputs).ravel()
        node = self._roots + np.zeros((rows, 1), dtype=np.int64)  # type: ignore[attr-defined]
        at = (np.arange(rows) * n_inputs)[:, None] if rows > 1 else 0  # the row's first input in ``flat``
        for _ in range(self.depth):
            go_left = flat[at + self._walk_feature[node]] <= self._split[node]  # type: ignore[attr-defined]
            node = self._walk_child[2 * node + go_left]  # type: ignore[attr-defined]
        raw = self.baseline + self._value[node].sum(axis=1)  # type: ignore[attr-defined]
        return 1.0 / (1.0 + np.exp(-raw))

    def to_dict(self) -> dict[str, object]:
        return {"format": MODEL_FORMAT, "features": list(self.features), "lags": list(self.lags),
                "feature": list(self.feature), "split": list(self.split), "left": list(self.left),
                "right": list(self.right), "value": list(self.value), "roots": list(self.roots),
                "depth": self.depth, "baseline": self.baseline, "threshold": self.threshold,
                "n_enter": self.n_enter, "n_exit": self.n_exit, "window_s": self.window_s, "hop_s": self.hop_s}

    @classmethod
    def from_dict(cls, d: dict[str, object], *, features: tuple[str, ...]) -> "VfModel":
        """Read a model; ``features`` is what the code computes, and the file must name the same."""
        if d.get("format") != MODEL_FORMAT or tuple(d.get("features", ())) != features:  # type: ignore[arg-type]
            raise ModelError(f"VF model of format {d.get('format')} with features {d.get('features')}; "
                             f"expected format {MODEL_FORMAT} with {list(features)}")
        try:
            ints = lambda k: tuple(int(v) for v in d[k])  # type: ignore[attr-defined]  # noqa: E731
            floats = lambda k: tuple(float(v) for v in d[k])  # type: ignore[attr-defined]  # noqa: E731
            return cls(features, ints("lags"), ints("feature"), floats("split"), ints("left"), ints("right"),
                       floats("value"), ints("roots"), int(d["depth"]), float(d["baseline"]),  # type: ignore[arg-type]
                       float(d["threshold"]), int(d["n_enter"]), int(d["n_exit"]),  # type: ignore[arg-type]
                       float(d["window_s"]), float(d["hop_s"]))  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"VF model is malformed: {exc}") from exc

    @classmethod
    def load_shipped(cls, *, features: tuple[str, ...]) -> "VfModel":
        """The model shipped in ``cardiowatch/models/vf_detector.json``."""
        try:
            text = importlib.resources.files("cardiowatch.models").joinpath(MODEL_FILE).read_text()
            return cls.from_dict(json.loads(text), features=features)
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"shipped VF model {MODEL_FILE} is missing or unreadable: {exc}") from exc
