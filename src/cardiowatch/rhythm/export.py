"""C export of the AF model for the firmware core (``firmware/core/cw_rhythm_model.h``).

The tree code is emlearn's inline C (``dtype='float'``, ``leaf_bits=8``), generated from the same flat
arrays `AfModel` runs in Python, so both compute the same float32 probabilities; the tests compile the
header with gcc and compare. Around it we add the decision settings (window, look-ahead, entry and exit
thresholds, confirmation lengths) and the feature order, so the firmware needs nothing else from Python.

References
----------
.. [1] Nordby J, et al. emlearn: machine learning inference engine for microcontrollers and embedded
   devices. Zenodo (2019). doi:10.5281/zenodo.2589394.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from cardiowatch.rhythm.model import AfModel

#: C identifier prefix of everything in the header.
PREFIX = "cw_rhythm_model"


def _forest(model: AfModel) -> tuple[list, list, list]:
    nodes = [[int(f), float(t), int(lo), int(hi)]
             for f, t, lo, hi in zip(model.feature, model.threshold, model.left, model.right)]
    leaves = [[255 - int(p), int(p)] for p in model.leaf_af]
    return nodes, [int(r) for r in model.roots], leaves


def c_source(model: AfModel) -> str:
    """The header text: settings, feature order and emlearn's inline trees (``<prefix>_predict_proba``)."""
    with np.errstate():  # importing emlearn calls numpy.seterr(all="raise"); keep the caller's settings
        import emlearn.trees

    nodes, roots, leaves = _forest(model)
    trees = emlearn.trees.generate_c_inlined(
        (nodes, roots, leaves), PREFIX, n_features=len(model.feature_names), n_classes=2, leaf_bits=8,
        dtype="float", classifier=True, include_proba=True,
    )
    # emlearn leaves the forest functions non-static: two .c files including the header would clash
    trees = re.sub(rf"^(int32_t|int) ({PREFIX}_predict)", r"static inline \1 \2", trees, flags=re.MULTILINE)
    feature_lines = "\n".join(f"#define CW_RHYTHM_FEATURE_{name.upper()} {i}"
                              for i, name in enumerate(model.feature_names))
    return f"""/* AF model for the cardiowatch firmware core. GENERATED, do not edit:
 *   python -m cardiowatch.rhythm.train   (writes models/rhythm_af.json and this file)
 * Trees: emlearn {getattr(emlearn, "__version__", "")} inline C, dtype float, leaf_bits 8.
 * {model.n_trees} trees, {len(model.feature)} decision nodes, {len(model.leaf_af)} leaves.
 * Features: see src/cardiowatch/rhythm/intervals.py (rr_window_features), in this order.
 * AF probability = {PREFIX}_predict_proba(features, n, out, 2) -> out[1].
 * Not a medical device. */
#ifndef CW_RHYTHM_MODEL_H
#define CW_RHYTHM_MODEL_H

#define CW_RHYTHM_WINDOW {model.window}
#define CW_RHYTHM_LOOKAHEAD {model.lookahead}
#define CW_RHYTHM_THRESHOLD_AF {model.threshold_af:.6f}f
#define CW_RHYTHM_THRESHOLD_AF_EXIT {model.exit_threshold:.6f}f
#define CW_RHYTHM_MIN_AF_BEATS {model.min_af_beats}
#define CW_RHYTHM_MIN_EXIT_BEATS {model.min_exit_beats}
#define CW_RHYTHM_N_FEATURES {len(model.feature_names)}
{feature_lines}

{trees}

#endif /* CW_RHYTHM_MODEL_H */
"""


def export_c_header(model: AfModel, path: str | os.PathLike[str]) -> Path:
    """Write `c_source` to ``path`` (creating its folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(c_source(model))
    return path
