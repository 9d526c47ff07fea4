"""C export of the AF model for the firmware core (``firmware/core/cw_rhythm_model.h``).

The header holds the trees as flat ``static const`` tables, the very arrays `AfModel` runs in Python,
in the smallest types that hold them: per decision node the feature index (``uint8_t``), the threshold
(``float``, spelled so that the compiler reads back the same float32) and both children (``int16_t``,
negative = leaf ``-c - 1``); per leaf its AF probability times 255 (``uint8_t``); per tree its root
(``int16_t``). One ``static inline`` walker, ``cw_rhythm_model_af_score``, follows each tree to its leaf,
adds the leaves in float32 in tree order and divides by the number of trees, the operations
`AfModel.af_score` does, so both give bit-identical float32 scores; the tests compile the header with gcc
and compare. Around the tables we write the decision settings (window, look-ahead, entry and stay
thresholds, confirmation lengths) and the feature order, so the firmware needs nothing else from Python.
Tables instead of trees inlined as code (emlearn's ``inline`` method, which the header used before) keep
the model at ``AfModel.n_bytes`` of constant data plus a walker of a few hundred bytes of code:
`benchmarks/rhythm_model_size.py` measures both.

Regenerate from the shipped model (training also writes it)::

    python -c "from cardiowatch.rhythm.model import load_af_model; \\
    from cardiowatch.rhythm.export import export_c_header; \\
    export_c_header(load_af_model(), 'firmware/core/cw_rhythm_model.h')"

References
----------
.. [1] Nordby J, et al. emlearn: machine learning inference engine for microcontrollers and embedded
   devices. Zenodo (2019). doi:10.5281/zenodo.2589394. (The flat node layout and ``leaf_bits=8``.)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from cardiowatch.errors import ModelError
from cardiowatch.rhythm.model import AfModel

#: C identifier prefix of everything in the header.
PREFIX = "cw_rhythm_model"
#: Values per line in the table initialisers (integers, float literals).
_PER_LINE = 16
_PER_LINE_FLOAT = 8

_INT16 = np.iinfo(np.int16)
_UINT8 = np.iinfo(np.uint8)


def _float32_literal(value: np.float32) -> str:
    """The shortest decimal that reads back as ``value`` (C99 parses a float literal correctly rounded)."""
    if not np.isfinite(value):
        raise ModelError(f"AF model threshold {value} is not finite; it cannot be written as a C literal")
    return np.format_float_positional(np.float32(value), unique=True, trim="0") + "f"


def _check_range(name: str, values: np.ndarray, info: np.iinfo) -> None:
    if len(values) and (values.min() < info.min or values.max() > info.max):
        raise ModelError(f"AF model {name} spans {values.min()}..{values.max()}, outside {info.dtype} "
                         f"({info.min}..{info.max}); widen the table type in cardiowatch.rhythm.export")


def _table(c_type: str, name: str, values: list[str], per_line: int = _PER_LINE) -> str:
    lines = [", ".join(values[i:i + per_line]) for i in range(0, len(values), per_line)]
    body = ",\n    ".join(lines)
    return f"static const {c_type} {PREFIX}_{name}[{len(values)}] = {{\n    {body}\n}};"


def c_source(model: AfModel) -> str:
    """The header text: settings, feature order, the trees' tables and their walker.

    Raises
    ------
    ModelError
        A value does not fit its table type (more than 255 features, or node or leaf indices past int16),
        or a threshold is not finite.
    """
    _check_range("feature indices", model.feature, _UINT8)
    _check_range("children", np.r_[model.left, model.right], _INT16)
    _check_range("roots", model.roots, _INT16)
    feature_lines = "\n".join(f"#define CW_RHYTHM_FEATURE_{name.upper()} {i}"
                              for i, name in enumerate(model.feature_names))
    tables = "\n".join([
        _table("uint8_t", "feature", [str(int(v)) for v in model.feature]),
        _table("float", "threshold", [_float32_literal(v) for v in model.threshold], _PER_LINE_FLOAT),
        _table("int16_t", "left", [str(int(v)) for v in model.left]),
        _table("int16_t", "right", [str(int(v)) for v in model.right]),
        _table("uint8_t", "leaf_af", [str(int(v)) for v in model.leaf_af]),
        _table("int16_t", "roots", [str(int(v)) for v in model.roots]),
    ])
    return f"""/* AF model for the cardiowatch firmware core. GENERATED, do not edit: written from
 * src/cardiowatch/models/rhythm_af.json by cardiowatch.rhythm.export.export_c_header
 * (python -m training.rhythm_train runs it after training).
 * a random forest: {model.n_trees} trees, {len(model.feature)} decision nodes, {model.n_leaves} leaves, as flat \
tables ({model.n_bytes} bytes of constant data).
 * Node k: go to left[k] when features[feature[k]] < threshold[k], else to right[k]; a child c < 0 is
 * leaf -c - 1, whose AF probability is leaf_af[-c - 1] / 255.
 * Features: see src/cardiowatch/rhythm/intervals.py (rr_window_features), in this order.
 * AF score = {PREFIX}_af_score(features): the trees' mean AF probability, in float32,
 * bit-identical to Python's AfModel.af_score. The thresholds below are scores (entry: probability
 * {model.threshold_af:g}, stay: {model.exit_threshold:g}).
 * Not a medical device. */
#ifndef CW_RHYTHM_MODEL_H
#define CW_RHYTHM_MODEL_H

#include <stdint.h>

#define CW_RHYTHM_WINDOW {model.window}
#define CW_RHYTHM_LOOKAHEAD {model.lookahead}
#define CW_RHYTHM_THRESHOLD_AF {_float32_literal(model.enter_score)}
#define CW_RHYTHM_THRESHOLD_AF_EXIT {_float32_literal(model.stay_score)}
#define CW_RHYTHM_MIN_AF_BEATS {model.min_af_beats}
#define CW_RHYTHM_MIN_EXIT_BEATS {model.min_exit_beats}
#define CW_RHYTHM_N_FEATURES {len(model.feature_names)}
{feature_lines}

#define CW_RHYTHM_MODEL_N_TREES {model.n_trees}
#define CW_RHYTHM_MODEL_N_NODES {len(model.feature)}
#define CW_RHYTHM_MODEL_N_LEAVES {model.n_leaves}

{tables}

/* AF score for one row of CW_RHYTHM_N_FEATURES features: each leaf's probability (leaf_af / 255.0f)
 * summed in float32 in tree order, then divided by the number of trees, exactly as
 * AfModel.af_score computes it. */
static inline float {PREFIX}_af_score(const float *features)
{{
    float total = 0.0f;
    int32_t tree;
    for (tree = 0; tree < CW_RHYTHM_MODEL_N_TREES; ++tree) {{
        int32_t node = {PREFIX}_roots[tree];
        while (node >= 0) {{
            if (features[{PREFIX}_feature[node]] < {PREFIX}_threshold[node]) {{
                node = {PREFIX}_left[node];
            }} else {{
                node = {PREFIX}_right[node];
            }}
        }}
        total += (float){PREFIX}_leaf_af[-node - 1] / 255.0f;
    }}
    return total / (float)CW_RHYTHM_MODEL_N_TREES;
}}

#endif /* CW_RHYTHM_MODEL_H */
"""


def export_c_header(model: AfModel, path: str | os.PathLike[str]) -> Path:
    """Write `c_source` to ``path`` (creating its folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(c_source(model))
    return path
