/* cw_ppg.h - streaming PPG pulse detector: the C port of src/cardiowatch/signal/ppg.py.
 *
 * Same algorithm, step for step (see the Python module docstring): 0.5-8 Hz band-pass started at the
 * first sample's steady state; systolic energy z = max(y, 0)^2; a 111 ms and a 667 ms moving average
 * of z, centred by a delay line; blocks where the short average tops the long one plus beta times a
 * running mean of z (no fixed threshold: every term scales with the gain squared); in each block the
 * point of maximum upslope before the systolic peak; of two pulses closer than 300 ms the one with the
 * larger rise wins; a separate candidate far smaller than recent pulses is dropped (unless it keeps
 * happening); none in the first second; a gap over 1.5 median intervals is searched for the steepest
 * upstroke clearly above the dicrotic level (a missed weak pulse). Arithmetic in double, as numpy.
 *
 * Pulses are absolute sample indices from the first sample after init/reset; any chunking gives the
 * same pulses. All state is in the caller's cw_ppg_t (about 6.3 KB); the configuration per sampling rate
 * is exported from Python by firmware/tools/export_params.py.
 *
 * References: Elgendi M et al., PLoS ONE 8(10):e76585 (2013); Zong W et al., Computers in Cardiology
 * 30:259-262 (2003).
 */
#ifndef CW_PPG_H
#define CW_PPG_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Filtered-signal history (power of two, > the Python history length incl. search-back: ~150 Hz). */
#define CW_PPG_HISTORY 1024u
/** Energy history for the moving averages (power of two, >= the long window: rates up to ~190 Hz). */
#define CW_PPG_WINDOW 128u
/** Recent pulses the search-back judges the interval from (Python: deque(maxlen=9)), and rises (8). */
#define CW_PPG_RECENT 9u
/** Band-pass sections. */
#define CW_PPG_MAX_SECTIONS 2u

typedef struct {
    double fs;
    uint32_t n_sections;
    double sos[CW_PPG_MAX_SECTIONS * 6u];
    double zi[CW_PPG_MAX_SECTIONS * 2u];
    uint32_t w_peak;     /**< short moving average (odd) */
    uint32_t w_beat;     /**< long moving average (odd) */
    uint32_t delay;      /**< look-ahead of the centred long average */
    uint32_t shift;      /**< extra delay of the short average */
    double ema_a;        /**< running-mean coefficient (8 s time constant) */
    double beta;         /**< block threshold offset, fraction of the running mean */
    uint32_t rise_max;   /**< longest rise searched back from a peak */
    uint32_t refractory; /**< closer pulses: the smaller rise is dropped */
    uint32_t settle;     /**< no pulse this soon after the start */
    uint32_t hist_len;   /**< the Python detector's history length */
    double min_rise;          /**< a separate pulse must rise this fraction of the recent median rise... */
    uint32_t small_run_reset; /**< ...unless this many in a row are smaller (the pulse got smaller) */
    uint32_t search_back;     /**< 1: look for a missed pulse in a gap over ratio x the interval */
    double search_ratio;      /**< gap / median interval that triggers the search */
    double search_min_slope;  /**< a found upstroke must be this fraction of the recent median slope... */
    double search_over_dicrotic; /**< ...and this many times the median dicrotic (secondary) slope */
    uint32_t search_gap_max;  /**< longer gaps are not searched (signal lost) */
} cw_ppg_cfg_t;

typedef struct {
    int64_t fiducial;
    int64_t foot;
    double amplitude;
    double slope;
} cw_ppg_cand_t;

typedef struct {
    const cw_ppg_cfg_t *cfg;
    double state[CW_PPG_MAX_SECTIONS * 2u];
    float y_hist[CW_PPG_HISTORY]; /* float: halves the RAM; pulses unchanged on BIDMC (agreement test) */
    double z_hist[CW_PPG_WINDOW];
    double peak_delay[CW_PPG_WINDOW]; /* short average, delayed by `shift` */
    double ema_zi;
    int64_t n;          /* samples received */
    int started;
    int in_block;
    int64_t block_start;
    int has_pending;
    cw_ppg_cand_t pending;
    int64_t recent_fid[CW_PPG_RECENT]; /* oldest first */
    uint32_t n_recent_fid;
    double recent_amp[CW_PPG_RECENT - 1u];
    uint32_t n_recent_amp;
    double recent_slope[CW_PPG_RECENT - 1u];
    uint32_t n_recent_slope;
    double recent_secondary[CW_PPG_RECENT - 1u];
    uint32_t n_recent_secondary;
    uint32_t small_run;
} cw_ppg_t;

/** Check `cfg` once (it must outlive `det`) and start afresh; CW_ERR_ARG when the buffers cannot hold it. */
cw_err_t cw_ppg_init(cw_ppg_t *det, const cw_ppg_cfg_t *cfg);

/** Forget everything; the next sample is sample 0. */
void cw_ppg_reset(cw_ppg_t *det);

/**
 * Feed `n` samples (0 allowed); write the pulses that became final to `out` (at most `out_cap`).
 * At most one pulse becomes final per sample, so `out_cap >= n` never loses one.
 * @return the number of pulses written.
 */
size_t cw_ppg_process(cw_ppg_t *det, const int32_t *x, size_t n, int64_t *out, size_t out_cap);

/** End of input: close an open block and return the pulses still held back. */
size_t cw_ppg_flush(cw_ppg_t *det, int64_t *out, size_t out_cap);

#ifdef __cplusplus
}
#endif
#endif /* CW_PPG_H */
