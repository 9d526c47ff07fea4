/* cw_rhythm.h - beat intervals -> irregularity features -> the exported AF model, on the device.
 *
 * The C port of src/cardiowatch/rhythm/intervals.py (rr_intervals, rr_window_features) feeding the
 * tree ensemble the rhythm engineer exports to cw_rhythm_model.h (flat tables and a float32 walker):
 * features are computed in double and rounded to float32 as numpy does, the trees run in float32 as
 * AfModel.af_score does, so the per-window AF scores equal Python's
 * (tests/firmware/test_rhythm_agreement.py).
 *
 * Streaming: push each beat (R peak or pulse arrival) as it is detected; every valid interval that
 * completes a window of CW_RHYTHM_WINDOW valid intervals yields that window's AF score. On top,
 * a small confirmation rule (CW_RHYTHM_MIN_AF_BEATS windows in a row at or above the entry threshold
 * CW_RHYTHM_THRESHOLD_AF enter AF, CW_RHYTHM_MIN_EXIT_BEATS below the exit threshold
 * CW_RHYTHM_THRESHOLD_AF_EXIT leave it) drives the local warning. That rule approximates the
 * Python RhythmTracker's episode logic (no look-back dating, no rate candidates): on the 84 ltafdb
 * records its AF state equals the tracker's as known at each beat on 99.75 % of beats
 * (firmware/tools/agreement.py rhythm-state). Not a medical device.
 */
#ifndef CW_RHYTHM_H
#define CW_RHYTHM_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Intervals per feature window: the model's CW_RHYTHM_WINDOW (checked at compile time in cw_rhythm.c). */
#define CW_RHYTHM_WINDOW_MAX 64u
/** Features per window: the model's CW_RHYTHM_N_FEATURES. */
#define CW_RHYTHM_FEATURES 12u

typedef struct {
    double fs;
    double rr[CW_RHYTHM_WINDOW_MAX]; /* last valid intervals (s), ring */
    uint32_t head;                   /* next write position */
    uint32_t n_valid;                /* valid intervals seen (saturating at UINT32_MAX) */
    int64_t last_sample;             /* -1: no beat yet */
    uint32_t n_invalid;              /* intervals outside the plausible range */
    float af_score;                  /* AF score of the last window (cw_rhythm_model.h) */
    float features[CW_RHYTHM_FEATURES]; /* features of the last window */
    uint32_t af_run;                 /* windows in a row at or above the threshold */
    uint32_t sinus_run;              /* windows in a row below it */
    int in_af;
} cw_rhythm_t;

/** Start afresh for beats at sampling rate `fs` (Hz, > 0). */
cw_err_t cw_rhythm_init(cw_rhythm_t *rt, double fs);

/** Forget everything (a gap in the beats). */
void cw_rhythm_reset(cw_rhythm_t *rt);

/**
 * Push the next beat (sample index, ascending). Returns 1 when it completed a window: `*af_score` (may
 * be NULL) gets that window's AF score and the AF state advances; 0 otherwise (first beat, an
 * implausible interval, or fewer than a window of valid intervals so far).
 */
int cw_rhythm_beat(cw_rhythm_t *rt, int64_t sample, float *af_score);

/** 1 while AF is confirmed (see the header comment), else 0. */
int cw_rhythm_in_af(const cw_rhythm_t *rt);

/**
 * Features of one window of `window` valid intervals `rr_s` (seconds, oldest first), as
 * rr_window_features computes them, into `out[CW_RHYTHM_FEATURES]` (float32). `window` must be
 * between 16 and CW_RHYTHM_WINDOW_MAX; CW_ERR_ARG also when the intervals' median is not positive.
 */
cw_err_t cw_rhythm_features(const double *rr_s, size_t window, float *out);

/** The exported model's AF score for one feature row (compare with the CW_RHYTHM_THRESHOLD_AF macros). */
float cw_rhythm_af_score(const float *features);

#ifdef __cplusplus
}
#endif
#endif /* CW_RHYTHM_H */
