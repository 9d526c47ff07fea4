/* cw_ppg_quality.h - streaming PPG signal quality: the C port of src/cardiowatch/signal/ppg_quality.py.
 *
 * Same rules, window for window (see `PpgSignalQuality`'s docstring): fixed windows of `window` samples
 * laid from the first sample; per window, in this order:
 *   missing        more than half of the samples are CW_PPG_QUALITY_NO_SAMPLE (or fewer than 2 are real);
 *   flat           at least 90 % of the first differences of the real samples are exactly zero;
 *   clipped        a sample at or beyond the ADC rails (when given), or a run of at least `clip_run`
 *                  identical samples at the window's maximum or minimum;
 *   motion         the pulsatile amplitude (peak-to-peak of the 0.5-8 Hz band-passed signal) exceeds
 *                  `motion_ratio` x the reference amplitude, or the baseline (signal minus band-passed
 *                  part) moves more than `baseline_ratio` x the reference amplitude;
 *   low_perfusion  the amplitude is below `low_ratio` x the reference (or below `min_amplitude`);
 *   good           otherwise; but a good window right after an artefact (missing, flat, clipped,
 *                  motion) is rated motion while `settle` is set (the band-pass still rings).
 * The reference amplitude is the median of the amplitudes of the last `reference_windows` windows that
 * were neither missing, flat nor clipped (the current one included). No sample buffer is kept: each rule
 * needs only running extremes, run lengths and counts, so the state is a few hundred bytes.
 *
 * The band-pass runs `cw_iir` on the SOS coefficients exported from Python (cw_params.c), started at the
 * first real sample's steady state; a missing sample holds the last real one, as Python does.
 *
 * Device states (docs/hardware.md): flat/missing -> no finger, clipped -> saturated, motion -> motion/noise,
 * low_perfusion -> weak, good -> good (`cw_ppg_quality_state`).
 *
 * References: Elgendi M. Bioengineering 3(4):21 (2016); Karlen W et al. Physiol Meas 33(10):1617-1629
 * (2012); Elgendi M et al. PLoS ONE 8(10):e76585 (2013).
 */
#ifndef CW_PPG_QUALITY_H
#define CW_PPG_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"
#include "cw_iir.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A sample value meaning "no sample here" (Python's NaN): a gap, a dropped FIFO read. */
#define CW_PPG_QUALITY_NO_SAMPLE INT32_MIN
/** Band-pass sections. */
#define CW_PPG_QUALITY_MAX_SECTIONS 2u
/** Most windows the reference amplitude is the median of. */
#define CW_PPG_QUALITY_MAX_REFERENCE 16u

/** Window labels, in the order of Python's PpgQuality. */
typedef enum {
    CW_PPG_QUALITY_GOOD = 0,
    CW_PPG_QUALITY_LOW_PERFUSION,
    CW_PPG_QUALITY_MOTION,
    CW_PPG_QUALITY_CLIPPED,
    CW_PPG_QUALITY_FLAT,
    CW_PPG_QUALITY_MISSING,
    CW_PPG_QUALITY_COUNT_
} cw_ppg_quality_label_t;

/** What the device shows and sends (docs/hardware.md). */
typedef enum {
    CW_SIGNAL_UNKNOWN = 0, /**< no window rated yet */
    CW_SIGNAL_GOOD,
    CW_SIGNAL_WEAK,        /**< low perfusion: press the sensor a little firmer, warm the finger */
    CW_SIGNAL_MOTION,      /**< motion or noise: keep still */
    CW_SIGNAL_SATURATED,   /**< the ADC or the front end clips: less pressure, or a lower gain */
    CW_SIGNAL_NO_FINGER    /**< a flat line or no data */
} cw_signal_state_t;

/** Configuration, exported per sampling rate from PpgSignalQuality by firmware/tools/export_params.py. */
typedef struct {
    double fs;
    uint32_t window;            /**< samples per rated window */
    uint32_t clip_run;          /**< identical samples at an extreme that count as clipping */
    uint32_t n_sections;
    double sos[CW_PPG_QUALITY_MAX_SECTIONS * 6u];
    double zi[CW_PPG_QUALITY_MAX_SECTIONS * 2u];
    double motion_ratio;
    double baseline_ratio;
    double low_ratio;
    uint32_t reference_windows;
    uint32_t settle;            /**< 1: a good window after an artefact is rated motion */
    uint32_t has_adc_range;     /**< 1: samples at or beyond adc_lo / adc_hi are clipped */
    int32_t adc_lo, adc_hi;
    double min_amplitude;       /**< absolute amplitude below which a window is low perfusion; 0: none */
} cw_ppg_quality_cfg_t;

/** One rated window: samples [start, start + length) from the first sample after init/reset. */
typedef struct {
    int64_t start;
    uint32_t length;
    cw_ppg_quality_label_t label;
} cw_ppg_quality_window_t;

typedef struct {
    const cw_ppg_quality_cfg_t *cfg;
    cw_iir_t iir;
    double iir_state[CW_PPG_QUALITY_MAX_SECTIONS * 2u];
    int started;        /* the filter has seen a real sample */
    double last;        /* last real sample (held over missing ones) */
    int64_t n;          /* samples received */
    int64_t win_start;
    uint32_t in_win;    /* samples in the current window */
    /* running statistics of the current window's real samples */
    uint32_t n_real;
    uint32_t zero_diffs;
    int has_prev;
    int32_t prev;
    int32_t hi, lo;
    uint32_t hi_run, lo_run; /* longest run at the current hi / lo */
    int32_t run_value;
    uint32_t run_len;
    int any_outside;         /* a sample at or beyond the ADC rails */
    double y_hi, y_lo;       /* band-passed extremes */
    double b_hi, b_lo;       /* baseline (x - y) extremes */
    /* across windows */
    double amplitudes[CW_PPG_QUALITY_MAX_REFERENCE]; /* ring of usable windows' amplitudes */
    uint32_t n_amplitudes;
    uint32_t next_amplitude;
    int has_previous;
    cw_ppg_quality_label_t previous; /* own label of the window before (before settling) */
    int has_last;
    cw_ppg_quality_label_t last_label; /* reported label of the last rated window */
} cw_ppg_quality_t;

/** Check `cfg` once (it must outlive `q`) and start afresh; CW_ERR_ARG when it does not fit. */
cw_err_t cw_ppg_quality_init(cw_ppg_quality_t *q, const cw_ppg_quality_cfg_t *cfg);

/** Forget everything; the next sample is sample 0. */
void cw_ppg_quality_reset(cw_ppg_quality_t *q);

/**
 * Feed `n` samples (0 allowed; CW_PPG_QUALITY_NO_SAMPLE for a missing one); write each window rated to
 * `out` (at most `out_cap`; `n / window + 1` is always enough). Any chunking gives the same windows.
 * @return the number of windows written.
 */
size_t cw_ppg_quality_process(cw_ppg_quality_t *q, const int32_t *x, size_t n, cw_ppg_quality_window_t *out,
                              size_t out_cap);

/**
 * End of input: rate the partial last window (a tail shorter than half a window takes the label of the
 * window before it, as Python does). @return 0 or 1 windows written.
 */
size_t cw_ppg_quality_flush(cw_ppg_quality_t *q, cw_ppg_quality_window_t *out, size_t out_cap);

/** The device state of the last rated window (CW_SIGNAL_UNKNOWN before the first). */
cw_signal_state_t cw_ppg_quality_state(const cw_ppg_quality_t *q);

/** The device state of a label. */
cw_signal_state_t cw_signal_state_of(cw_ppg_quality_label_t label);

/** Short words for a state ("good", "weak", "motion", "saturated", "no finger", "-"). */
const char *cw_signal_state_name(cw_signal_state_t state);

/** Python's label text ("good", "low_perfusion", ...); "?" for an unknown label. */
const char *cw_ppg_quality_label_name(cw_ppg_quality_label_t label);

/**
 * Signal quality in % (ThingSpeak field4): `good` of `rated` windows, rounded half up; -1 (unknown, left
 * out of the update) when none was rated.
 */
int32_t cw_signal_good_pct(uint32_t good, uint32_t rated);

/** 1 when a rhythm warning may be raised on pulses of this state (only a good signal). */
int cw_signal_allows_warning(cw_signal_state_t state);

#ifdef __cplusplus
}
#endif
#endif /* CW_PPG_QUALITY_H */
