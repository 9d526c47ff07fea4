/* cw_vf.h - streaming shockable-rhythm (VF / flutter) detector, the C port of cardiowatch.signal.vf.
 *
 * Same algorithm as the Python reference: a causal 1-30 Hz band-pass, windows of `window` samples every
 * `hop` samples aligned to the input's start, thirteen features per window (TCSC, mean magnitude, VF-filter
 * leakage, dominant / mean frequency, bandwidth, 2.5-7.5 Hz and > 12 Hz power shares, log kurtosis,
 * autocorrelation peak and rate, phase-space boxes, steep-sample share), the boosted trees of
 * `cw_vf_model.h` over them and the features of earlier windows, and the enter / leave hysteresis. The
 * trees compare each feature's bin among its split values (exact), so earlier windows are kept as bins.
 * Every feature is scale-free, so ADC counts and millivolts give the same decisions.
 *
 * Sample counts that depend on the rate (window, hop, autocorrelation lags, phase-space delay, flat run,
 * spectrum bins) come from `cw_vf_model.h`, computed by Python for each supported rate, so both sides
 * round the same way; the Hann window and the Goertzel coefficients are rotations by an angle it gives
 * (no 3 KB of tables per rate). The core has no libc: two features are kept before their monotonic
 * transform (kurtosis before the log, spectral variance before the square root) and the exporter
 * transforms the trees' splits instead; the decision compares log-odds, so no exp() is needed. The caller
 * owns the struct and three buffers of `window` samples (two of float, one of int32); no malloc.
 *
 * The features are computed on integers, so that the FPU-less ESP32-C3 can afford them (a soft-float
 * multiply-add costs it about a hundred instructions). Each window is scaled by powers of two: on the fine
 * scale (largest magnitude 2^22 to 2^23, float's precision) the counts, sums and ranges (TCSC, mean
 * magnitude, steep samples, leakage, phase-space boxes) are exact integer sums and compares; rounded to the
 * mid scale (largest magnitude below 2^15) the autocorrelation and the kurtosis multiply in int32 and sum in
 * int64; shifted further until no state can overflow, the spectrum is a fixed-point Goertzel filter per bin
 * (int32 states, Q30 coefficients). Python's 1e-12 guards are carried over in the window's units; the
 * per-window ratios, a few dozen, are taken in double. Cost and agreement with Python: docs/benchmarks.md,
 * Firmware.
 *
 * References: Kuo & Dillman 1978; Arafat et al. 2011; Amann et al. 2005, 2007; Barro et al. 1989.
 */
#ifndef CW_VF_H
#define CW_VF_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"
#include "cw_iir.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CW_VF_N_FEATURES 13u
#define CW_VF_MAX_LAGS 4u
#define CW_VF_MAX_LAG 8u
#define CW_VF_MAX_SECTIONS 4u
#define CW_VF_PSR_BOXES 40u

/** Why a window was not judged (cardiowatch.signal.quality_segment.QualityFlag). */
typedef enum {
    CW_VF_QUALITY_OK = 0,
    CW_VF_QUALITY_MISSING, /**< more than 10 % non-finite samples */
    CW_VF_QUALITY_FLAT,    /**< a run of identical samples (or no variation at all) */
    CW_VF_QUALITY_CLIPPED  /**< a run of identical samples at the window's extreme */
} cw_vf_quality_t;

/** A feature's bin: the index of the first of its sorted thresholds that the value is <= (past the last: the
 * number of thresholds). `x <= threshold j` exactly when `bin(x) <= j`, so the trees compare bins. */
typedef uint8_t cw_vf_bin_t;

/** The trees and the rule. Every tree is complete to `depth` levels, in heap order: internal node i has
 * children 2i+1 (left) and 2i+2 (right), and the 2^depth leaves follow the 2^depth - 1 internal nodes.
 * Inputs are numbered slot * CW_VF_N_FEATURES + feature (slot 0: this window, slot k: lags[k - 1] back). */
typedef struct {
    const uint8_t *input;           /**< per internal node (2^depth - 1 per tree): the input it tests */
    const cw_vf_bin_t *bin;         /**< per internal node: go left when the input's bin <= bin */
    const int16_t *leaf;            /**< per leaf (2^depth per tree): log-odds / leaf_scale */
    const float *thresholds;        /**< every feature's sorted split values, feature after feature */
    const uint16_t *threshold_start; /**< CW_VF_N_FEATURES + 1 offsets into thresholds */
    float leaf_scale;
    uint16_t n_trees;
    uint8_t depth;
    uint8_t n_lags;
    const uint8_t *lags;    /**< windows back whose features follow the window's own */
    float baseline;
    float threshold_logit;  /**< log-odds at which a window is shockable (the model's probability threshold) */
    uint8_t n_enter, n_exit;
} cw_vf_model_t;

/** Rate-dependent constants (one per supported rate in `cw_vf_model.h`). */
typedef struct {
    float fs;
    uint32_t window, hop, acf_lo, acf_hi, psr_delay, flat_min;
    uint32_t bin_lo, bin_hi;   /**< rfft bins of 0.5-30 Hz, inclusive */
    const double *sos;         /**< 1-30 Hz band-pass, scipy SOS rows */
    const double *zi_unit;     /**< scipy.signal.sosfilt_zi(sos) */
    double hann_step[2];       /**< cos and sin of 2 pi / (window - 1): numpy.hanning(window) by rotation */
    double bin_step[2];        /**< cos and sin of 2 pi / window: the Goertzel coefficients by rotation */
    uint8_t n_sections;
} cw_vf_rate_t;

typedef struct {
    const cw_vf_rate_t *rate;
    const cw_vf_model_t *model;
    float *raw;     /**< `window` floats, caller-owned: the last raw samples (ring) */
    float *filt;    /**< `window` floats, caller-owned: the last filtered samples (ring) */
    int32_t *scratch; /**< `window` int32, caller-owned: one window as integers */
} cw_vf_cfg_t;

/** One judged window: samples [start, end) from the input's start. */
typedef struct {
    int64_t start, end;
    float logit;         /**< the trees' log-odds of a shockable rhythm (judged only when quality is OK) */
    uint8_t shockable;
    uint8_t in_vf;       /**< the state after this window */
    uint8_t changed;     /**< 1 when this window flipped the state */
    uint8_t quality;     /**< cw_vf_quality_t */
} cw_vf_window_t;

typedef struct {
    cw_vf_cfg_t cfg;
    cw_iir_t iir;
    double iir_state[2 * CW_VF_MAX_SECTIONS];
    int started;
    float last_finite;
    int64_t n_seen, next_end;
    uint32_t pos;  /**< ring index of the next sample */
    cw_vf_bin_t history[CW_VF_MAX_LAG + 1][CW_VF_N_FEATURES]; /**< the last windows' feature bins */
    cw_vf_bin_t first[CW_VF_N_FEATURES];
    int64_t n_windows;
    uint8_t in_vf, run;
} cw_vf_t;

/** The parts of `cw_vf_push` the cost tool (tools/cw_vf_cost.c) counts instructions of.
 * A build with CW_VF_PROFILE defined calls `cw_vf_profile_mark(stage)` as each part ends; others call nothing. */
typedef enum {
    CW_VF_STAGE_FILTER = 0, /**< band-pass and ring, every sample */
    CW_VF_STAGE_QUALITY,    /**< the raw window's quality */
    CW_VF_STAGE_MOMENTS,    /**< mean, peak, kurtosis, TCSC, mean magnitude, steep-sample share */
    CW_VF_STAGE_LEAKAGE,
    CW_VF_STAGE_ACF,        /**< autocorrelation peak and rate */
    CW_VF_STAGE_PSR,
    CW_VF_STAGE_SPECTRUM,   /**< Hann window and the five spectral features */
    CW_VF_STAGE_MODEL,      /**< bins, trees, hysteresis */
    CW_VF_N_STAGES
} cw_vf_stage_t;

#ifdef CW_VF_PROFILE
void cw_vf_profile_mark(cw_vf_stage_t stage);
#endif

/** Check the configuration once. @return CW_ERR_ARG on NULL buffers or out-of-range constants. */
cw_err_t cw_vf_init(cw_vf_t *d, const cw_vf_cfg_t *cfg);

/** Start afresh (the next record, or after a gap in the input). */
void cw_vf_reset(cw_vf_t *d);

/** Feed one sample (NaN = missing); return 1 and fill `out` when it completes a window, else 0. */
int cw_vf_push(cw_vf_t *d, float x, cw_vf_window_t *out);

/** The thirteen features of the `rate->window` filtered samples in the ring `filt` whose oldest sample is at
 * `oldest` (0 for a window in order); `work` holds `rate->window` int32 of scratch. */
void cw_vf_features(const cw_vf_rate_t *rate, const float *filt, uint32_t oldest, int32_t *work, float *features);

/** The bins of one window's features (see cw_vf_bin_t). */
void cw_vf_model_bins(const cw_vf_model_t *m, const float *features, cw_vf_bin_t *bins);

/** The trees' log-odds of a shockable rhythm; `bins[slot]` are the bins of the window of input slot `slot`. */
float cw_vf_model_logit(const cw_vf_model_t *m, const cw_vf_bin_t *const *bins);

#ifdef __cplusplus
}
#endif

#endif /* CW_VF_H */
