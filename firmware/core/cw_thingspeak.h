/* cw_thingspeak.h - standalone mode: the device posts its own summaries to ThingSpeak.
 *
 * Same channel layout as the server's bridge (docs/thingspeak.md; src/cardiowatch/server/thingspeak.py):
 * field1 heart rate (one decimal), field2 rhythm code, field3 alert level, field4 signal quality %,
 * field5 battery %, status the rhythm in words; an unknown value is left out, never sent as 0. A channel
 * has one writer: a device with a server configured never posts here (the server's bridge does).
 *
 * The limiter keeps ThingSpeak's free tier: at most one update per interval (15 s + 1 s margin); a reply
 * `0` (not inserted), HTTP 429 or a failed request doubles the wait each time (up to a maximum); a
 * refused key (HTTP 400/401/403/404) is a configuration error: the update is dropped, not retried.
 */
#ifndef CW_THINGSPEAK_H
#define CW_THINGSPEAK_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Rhythm codes of field2 (fixed numbers; RHYTHM_FIELD_CODES of the server). */
typedef enum {
    CW_RHYTHM_Q = 0, CW_RHYTHM_N, CW_RHYTHM_SBR, CW_RHYTHM_SVTA, CW_RHYTHM_AFIB, CW_RHYTHM_AFL, CW_RHYTHM_B,
    CW_RHYTHM_T, CW_RHYTHM_VT, CW_RHYTHM_VFL, CW_RHYTHM_PAUSE, CW_RHYTHM_ASYS, CW_RHYTHM_IVR, CW_RHYTHM_NOD,
    CW_RHYTHM_BII, CW_RHYTHM_P, CW_RHYTHM_PREX, CW_RHYTHM_COUNT_
} cw_rhythm_code_t;

/** One summary; a negative value means unknown (left out of the update). */
typedef struct {
    int32_t hr_decibpm;  /**< heart rate x 10 */
    int32_t rhythm;      /**< cw_rhythm_code_t */
    int32_t alert_level; /**< 0 none .. 3 critical */
    int32_t quality_pct;
    int32_t battery_pct;
} cw_ts_summary_t;

/** The rhythm in words (the `status` text); NULL for an unknown code. */
const char *cw_ts_rhythm_name(int32_t code);

/**
 * Write the form body of `POST /update` (application/x-www-form-urlencoded): api_key, field1..5, status.
 * @return CW_ERR_ARG for an empty key or out-of-range values; CW_ERR_CAPACITY when `cap` is too small.
 */
cw_err_t cw_ts_build_update(const char *write_key, const cw_ts_summary_t *s, char *out, size_t cap, size_t *len);

typedef enum {
    CW_TS_ACCEPTED = 0, /**< the reply was a new entry id */
    CW_TS_RETRY,        /**< `0`, 429, 5xx or no answer: wait longer and send again */
    CW_TS_REFUSED       /**< 400/401/403/404: wrong key or channel; do not resend */
} cw_ts_outcome_t;

typedef struct {
    uint32_t interval_ms;    /**< the channel's limit plus a margin (16000 on the free tier) */
    uint32_t max_backoff_ms;
    uint32_t next_at_ms;     /**< earliest time of the next update */
    uint32_t failures;       /**< in a row */
    uint32_t posted, retried, refused;
    int started;
} cw_ts_limiter_t;

/** Set the limiter up; CW_ERR_ARG for a zero interval. */
cw_err_t cw_ts_limiter_init(cw_ts_limiter_t *lim, uint32_t interval_ms, uint32_t max_backoff_ms);

/** 1 when an update may be sent at `now_ms` (a millisecond clock; wraps after 49 days). */
int cw_ts_due(const cw_ts_limiter_t *lim, uint32_t now_ms);

/** Classify ThingSpeak's answer (`status` -1: no answer; `reply` the body text, may be NULL). */
cw_ts_outcome_t cw_ts_outcome(int status, const char *reply);

/** Record the outcome of the update sent at `now_ms` and schedule the next one. */
void cw_ts_on_outcome(cw_ts_limiter_t *lim, uint32_t now_ms, cw_ts_outcome_t outcome);

#ifdef __cplusplus
}
#endif
#endif /* CW_THINGSPEAK_H */
