"""Write firmware/core/cw_vf_model.h from the shipped VF model and the Python detector's constants.

    PYTHONPATH=src python firmware/tools/cw_vf_export.py        # rewrite the header
    PYTHONPATH=src python firmware/tools/cw_vf_export.py --check # exit 1 if the header is stale

The rate-dependent sample counts are computed here with the Python detector's own rounding, so C and
Python agree on every window's length, lags and spectrum bins. The trees, whatever their number, depth
or shape, are packed as `pack_trees` says (binned splits, heap order, int16 leaves): the header's comment
gives their bytes and the leaves' rounding bound.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal as sps

from cardiowatch.signal import vf
from cardiowatch.signal.filters import EcgFilter
from cardiowatch.signal.vf_model import VfModel

HEADER = Path(__file__).resolve().parents[1] / "core" / "cw_vf_model.h"
#: Rates the header carries constants for (the AD8232 build's and mitdb's).
RATES_HZ = (250.0, 360.0)
#: Most distinct splits one feature may have (cw_vf_bin_t is uint8_t: bins 0..BIN_MAX).
BIN_MAX = 255


def _floats(values) -> str:
    return ", ".join(f"{float(v):.9e}f" for v in values)


def _doubles(values) -> str:
    return ", ".join(repr(float(v)) for v in values)


def _ints(values) -> str:
    return ", ".join(str(int(v)) for v in values)


def rate_block(fs: float) -> str:
    det = vf.VfDetector(fs=fs)
    n = det.window
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    band = np.flatnonzero((freqs >= vf.SPECTRUM_HZ[0]) & (freqs <= vf.SPECTRUM_HZ[1]))
    filt = EcgFilter(fs=fs, low_hz=vf.BAND_HZ[0], high_hz=vf.BAND_HZ[1])
    sos = filt.sos
    zi = sps.sosfilt_zi(sos)
    tag = f"{int(fs)}"
    acf_lo = int(round(vf.ACF_LAG_S[0] * fs))
    acf_hi = min(n - 1, int(round(vf.ACF_LAG_S[1] * fs)))
    psr_delay = min(n - 1, int(round(vf.PSR_DELAY_S * fs)))
    # cw_vf.c turns these steps into the Hann window and the Goertzel coefficients (no tables)
    hann_step = 2.0 * np.pi / (n - 1)
    bin_step = 2.0 * np.pi / n
    return "\n".join([
        f"#define CW_VF_WINDOW_{tag} {n}u /* samples: each of the three caller-owned buffers at {tag} Hz */",
        f"static const double cw_vf_sos_{tag}[] = {{{_doubles(sos.ravel())}}};",
        f"static const double cw_vf_zi_{tag}[] = {{{_doubles(zi.ravel())}}};",
        f"static const cw_vf_rate_t cw_vf_rate_{tag} = {{{fs!r}f, {n}u, {det.hop}u, {acf_lo}u, {acf_hi}u, "
        f"{psr_delay}u, {det._flat_min}u, {int(band[0])}u, {int(band[-1])}u, cw_vf_sos_{tag}, cw_vf_zi_{tag}, "
        f"{{{_doubles([np.cos(hann_step), np.sin(hann_step)])}}}, {{{_doubles([np.cos(bin_step), np.sin(bin_step)])}}}, "
        f"{sos.shape[0]}u}};",
    ])


def c_splits(m: VfModel) -> list[float]:
    """The splits as C compares them: kurtosis before its log, spectral variance before its square root."""
    n = len(vf.FEATURE_NAMES)
    kurt, bw = vf.FEATURE_NAMES.index("log_kurtosis"), vf.FEATURE_NAMES.index("bandwidth_hz")
    out = []
    for f, s in zip(m.feature, m.split):
        if f >= 0 and f % n == kurt:
            s = float(np.exp(s)) - vf._EPS  # log(k + eps) <= s  <=>  k <= exp(s) - eps
        elif f >= 0 and f % n == bw:
            s = s * s if s >= 0 else -1.0  # sqrt(v) <= s  <=>  v <= s^2 (never, for s < 0)
        out.append(s)
    return out


@dataclass(frozen=True)
class PackedTrees:
    """The trees as cw_vf.c stores them (see cw_vf_model_t): every tree complete to `depth` levels in heap
    order, internal node i with children 2i+1 and 2i+2; a split compares bin indices, not values."""

    depth: int
    input: list[int]  #: per internal node: slot * n_features + feature
    bin: list[int]  #: per internal node: index of its split in its feature's sorted thresholds
    leaf: list[int]  #: per leaf: value / leaf_scale, rounded
    leaf_scale: float
    thresholds: list[float]  #: float32 split values, sorted per feature, feature after feature
    threshold_start: list[int]  #: n_features + 1 offsets into thresholds
    max_logit_error: float  #: bound of |C - Python| log-odds from rounding the leaves

    @property
    def flash_bytes(self) -> int:
        return len(self.input) * 2 + len(self.leaf) * 2 + len(self.thresholds) * 4 + len(self.threshold_start) * 2


def pack_trees(m: VfModel) -> PackedTrees:
    """Pack any ensemble of `m` into complete heap-ordered trees over per-feature threshold bins.

    x <= t_j exactly when bin(x) <= j, with bin(x) the index of the first threshold >= x among the
    feature's sorted float32 thresholds, so binning changes no decision; the lagged inputs of a feature
    share its thresholds, so a window's bins are computed once and kept for the later windows. A leaf
    above the full depth fills every leaf below it; the leaves are int16 with one scale.
    """
    n = len(vf.FEATURE_NAMES)
    splits = np.asarray(c_splits(m), dtype=np.float32)
    feature = np.asarray(m.feature)
    tables = [np.unique(splits[(feature >= 0) & (feature % n == f)]) for f in range(n)]
    if len(m.features) != n or max(m.feature) >= 256:
        raise ValueError(f"the model's inputs do not fit cw_vf.c: {len(m.features)} features (it computes {n}), "
                         f"input index up to {max(m.feature)} (uint8)")
    if max(len(t) for t in tables) > BIN_MAX:
        raise ValueError(f"a feature has {max(len(t) for t in tables)} distinct splits; cw_vf_bin_t holds "
                         f"{BIN_MAX}: widen it in cw_vf.h and BIN_MAX here")

    def depth_of(node: int) -> int:
        if m.feature[node] < 0:
            return 0
        return 1 + max(depth_of(m.left[node]), depth_of(m.right[node]))

    depth = max(depth_of(r) for r in m.roots)
    n_inner, n_leaves = (1 << depth) - 1, 1 << depth
    values = np.asarray(m.value, dtype=np.float64)
    used = values[feature < 0]
    scale = float(np.max(np.abs(used))) / 32767.0 if used.size and np.any(used) else 1.0
    inputs, bins, leaves = [], [], []
    for root in m.roots:
        tree_input, tree_bin, tree_leaf = [0] * n_inner, [0] * n_inner, [0] * n_leaves

        def place(node: int, pos: int) -> None:
            if pos >= n_inner:
                tree_leaf[pos - n_inner] = int(round(values[node] / scale))
            elif m.feature[node] < 0:  # a leaf above the full depth: both sides lead to it
                place(node, 2 * pos + 1)
                place(node, 2 * pos + 2)
            else:
                f = m.feature[node]
                tree_input[pos] = f
                tree_bin[pos] = int(np.searchsorted(tables[f % n], splits[node]))
                place(m.left[node], 2 * pos + 1)
                place(m.right[node], 2 * pos + 2)

        place(root, 0)
        inputs += tree_input
        bins += tree_bin
        leaves += tree_leaf
    starts = np.concatenate([[0], np.cumsum([len(t) for t in tables])]).astype(int).tolist()
    return PackedTrees(depth, inputs, bins, leaves, scale, np.concatenate(tables).tolist(), starts,
                       len(m.roots) * scale / 2.0)


def tree_block(m: VfModel) -> list[str]:
    """The model part of the header."""
    p = pack_trees(m)
    return [
        f"/* {len(m.roots)} trees of depth {p.depth}: {p.flash_bytes} B of tables; rounding the leaves moves the",
        f" * log-odds by at most {p.max_logit_error:.2e}. */",
        f"static const uint8_t cw_vf_input[] = {{{_ints(p.input)}}};",
        f"static const cw_vf_bin_t cw_vf_bin[] = {{{_ints(p.bin)}}};",
        f"static const int16_t cw_vf_leaf[] = {{{_ints(p.leaf)}}};",
        f"static const float cw_vf_thresholds[] = {{{_floats(p.thresholds)}}};",
        f"static const uint16_t cw_vf_threshold_start[] = {{{_ints(p.threshold_start)}}};",
        f"static const uint8_t cw_vf_lags[] = {{{_ints(m.lags)}}};",
        "static const cw_vf_model_t cw_vf_model = {",
        "    cw_vf_input, cw_vf_bin, cw_vf_leaf, cw_vf_thresholds, cw_vf_threshold_start,",
        f"    {p.leaf_scale:.9e}f, {len(m.roots)}u, {p.depth}u, {len(m.lags)}u, cw_vf_lags, {m.baseline:.9e}f, "
        f"{float(np.log(m.threshold / (1 - m.threshold))):.9e}f, {m.n_enter}u, {m.n_exit}u,",
        "};",
    ]


def header_text() -> str:
    m = VfModel.load_shipped(features=vf.FEATURE_NAMES)
    body = [
        "/* cw_vf_model.h - the shipped VF model and the detector's per-rate constants, for cw_vf.c.",
        " *",
        " * Generated by `PYTHONPATH=src python firmware/tools/cw_vf_export.py` from",
        " * src/cardiowatch/models/vf_detector.json; do not edit. Include it in one .c file only.",
        " */",
        "#ifndef CW_VF_MODEL_H",
        "#define CW_VF_MODEL_H",
        "",
        '#include "cw_vf.h"',
        "",
        *tree_block(m),
        "",
        *[rate_block(fs) for fs in RATES_HZ],
        "",
        "#endif /* CW_VF_MODEL_H */",
        "",
    ]
    return "\n".join(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = header_text()
    if args.check:
        return 0 if HEADER.is_file() and HEADER.read_text() == text else 1
    HEADER.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
