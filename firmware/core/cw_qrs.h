/* cw_qrs.h - streaming QRS detector: the C port of src/cardiowatch/signal/qrs.py (QrsDetector).
 *
 * Same algorithm, step for step (see the Python module docstring): a 0.5-40 Hz band-pass for R-peak
 * timing, a 5-20 Hz band-pass -> slope over 10 ms -> |.| -> 100 ms moving-window integral for
 * detection; candidates are the integral's peaks (tallest within +/-200 ms); 2 s of learning; the
 * Hamilton-Tompkins threshold on the medians of the last 8 QRS and noise heights; T-wave rejection by
 * slope within 360 ms; search-back after 1.66 median RR (retried lower); no beat near a flat or
 * clipped stretch (the blocking flags of signal/quality.py's EcgQuality, ported here). Arithmetic is in double, as in numpy, so the
 * beats agree with Python's on real records (tests/firmware/test_agreement.py).
 *
 * Samples go in one call at a time or in chunks of any size; the beats are the same. Beats are
 * absolute sample indices from the first sample after init/reset, reported about 0.3 s after the R
 * peak (at most the learning period or the search-back deadline plus 0.3 s).
 *
 * All state lives in the caller's cw_qrs_t (about 6.5 KB, most of it three 256-sample histories). The
 * configuration (filter coefficients, window lengths in samples) is made per sampling rate by
 * firmware/tools/export_params.py from the Python detector, so both run the same numbers.
 *
 * References: Pan J, Tompkins WJ, IEEE TBME 32(3):230-236 (1985); Hamilton PS, Tompkins WJ,
 * IEEE TBME 33(12):1157-1165 (1986).
 */
#ifndef CW_QRS_H
#define CW_QRS_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Samples of history kept (power of two); enough for rates up to about 600 Hz. */
#define CW_QRS_HISTORY 256u
/** Longest slope span in samples (10 ms), i.e. rates up to 3 kHz. */
#define CW_QRS_SLOPE_MAX 32u
/** Sections of each band-pass the configuration may have. */
#define CW_QRS_MAX_SECTIONS 4u
/** Heights / intervals the threshold medians remember (Python LEVEL_MEMORY). */
#define CW_QRS_LEVELS 8u
/** Candidates held during learning (>= 2 s / 200 ms + 1). */
#define CW_QRS_HELD 16u
/** Candidates waiting for search-back (>= (retries + 1) x 3 s / 200 ms + 1; checked by the exporter). */
#define CW_QRS_PENDING 32u

/** Per-rate configuration, exported from Python (do not edit the generated tables by hand). */
typedef struct {
    double fs;                                      /**< sampling rate, Hz */
    uint32_t n_wide;                                /**< sections of the 0.5-40 Hz band-pass */
    double wide_sos[CW_QRS_MAX_SECTIONS * 6u];      /**< scipy SOS rows */
    double wide_zi[CW_QRS_MAX_SECTIONS * 2u];       /**< scipy sosfilt_zi (steady state for input 1) */
    uint32_t n_band;                                /**< sections of the 5-20 Hz band-pass */
    double band_sos[CW_QRS_MAX_SECTIONS * 6u];
    double band_zi[CW_QRS_MAX_SECTIONS * 2u];
    uint32_t slope_span;       /**< k: slope over this many samples */
    uint32_t integration;      /**< W: moving-window integral length */
    uint32_t half_window;      /**< candidate must top +/- this many samples */
    uint32_t r_half;           /**< R search half width */
    uint32_t baseline_ends;    /**< samples averaged at each end of the R window for its baseline */
    uint32_t lag;              /**< integral peak -> QRS centre */
    uint32_t wide_delay;       /**< group delay of the wide band-pass */
    uint32_t learn;            /**< learning period */
    uint32_t refractory;
    uint32_t t_wave_window;
    uint32_t searchback_gap;
    uint32_t quality_margin;   /**< no beat within this many samples of a flagged one */
    uint32_t flat_min;         /**< identical samples that make a flat run (signal/quality.py) */
    uint32_t clip_min;         /**< identical samples at the extremes seen that make a clipped run */
    uint32_t clip_warmup;      /**< samples before clipping is judged */
    double threshold_coef;     /**< 0.3125 */
    double t_wave_slope_ratio; /**< 0.5 */
    double searchback_rr;      /**< 1.66 */
    double searchback_max;     /**< 3 s in samples */
    uint32_t searchback_retries; /**< search-backs retried (lower) after one found nothing */
    double searchback_decay;   /**< search-back limit factor per retry */
    double initial_rr;         /**< 1 s in samples */
} cw_qrs_cfg_t;

typedef struct {
    int64_t m;     /* sample of the integral's peak */
    double height; /* integral at m */
    double slope;  /* steepest |slope| in the integration window */
    int64_t r;     /* R peak, raw-signal timing */
} cw_qrs_cand_t;

/** One detected beat. */
typedef struct {
    int64_t sample; /**< R peak, samples from the first sample after init/reset */
} cw_beat_t;

typedef struct {
    const cw_qrs_cfg_t *cfg;
    double wide_state[CW_QRS_MAX_SECTIONS * 2u];
    double band_state[CW_QRS_MAX_SECTIONS * 2u];
    double b_hist[CW_QRS_SLOPE_MAX];
    float e_hist[CW_QRS_HISTORY]; /* float: halves the RAM; beats unchanged on mitdb (agreement test) */
    double v_hist[CW_QRS_HISTORY];
    float w_hist[CW_QRS_HISTORY];
    uint8_t bad_hist[CW_QRS_HISTORY]; /* 1: flat or clipped sample (EcgQuality's blocking flags) */
    int32_t q_prev;                   /* quality: last sample, run of identical samples, extremes */
    uint32_t q_run;
    int32_t q_hi, q_lo;
    int64_t n_seen;
    int64_t scan_from;
    int started;
    /* learning */
    int learning;
    int64_t learn_end; /* -1: not started */
    cw_qrs_cand_t held[CW_QRS_HELD];
    uint32_t n_held;
    /* levels */
    double qrs_levels[CW_QRS_LEVELS];
    uint32_t n_qrs, i_qrs;
    double noise_levels[CW_QRS_LEVELS];
    uint32_t n_noise, i_noise;
    int64_t rr[CW_QRS_LEVELS];
    uint32_t n_rr, i_rr;
    /* last beat */
    int64_t last_m; /* -1: none */
    int64_t last_r;
    double last_slope;
    cw_qrs_cand_t pending[CW_QRS_PENDING];
    uint32_t n_pending;
    uint32_t misses; /* search-backs that found nothing since the last beat */
    uint32_t lost; /* candidates or beats that did not fit a bounded array (0 on real signals) */
} cw_qrs_t;

/**
 * Check `cfg` once and start `det` afresh. `cfg` must outlive `det`.
 * @return CW_ERR_ARG for NULL or a configuration the fixed buffers cannot hold (too high a rate).
 */
cw_err_t cw_qrs_init(cw_qrs_t *det, const cw_qrs_cfg_t *cfg);

/** Forget everything (next record, or a gap in the input); the next sample is sample 0. */
void cw_qrs_reset(cw_qrs_t *det);

/**
 * Feed `n` samples (0 allowed); write the beats decided meanwhile to `out` (at most `out_cap`; more
 * are counted in `lost`). A beat is decided at most once per sample, plus those the end of learning
 * releases (up to CW_QRS_HELD), so `out_cap >= n + CW_QRS_HELD` never loses one.
 * @return the number of beats written.
 */
size_t cw_qrs_process(cw_qrs_t *det, const int32_t *x, size_t n, cw_beat_t *out, size_t out_cap);

/** End of input: decide the candidates still waiting for look-ahead. */
size_t cw_qrs_flush(cw_qrs_t *det, cw_beat_t *out, size_t out_cap);

#ifdef __cplusplus
}
#endif
#endif /* CW_QRS_H */
