#include "cw_thingspeak.h"

static const char *const cw_ts_names[CW_RHYTHM_COUNT_] = {
    [CW_RHYTHM_Q] = "unknown / not analysable",
    [CW_RHYTHM_N] = "normal sinus rhythm",
    [CW_RHYTHM_SBR] = "sinus bradycardia",
    [CW_RHYTHM_SVTA] = "supraventricular tachyarrhythmia",
    [CW_RHYTHM_AFIB] = "atrial fibrillation",
    [CW_RHYTHM_AFL] = "atrial flutter",
    [CW_RHYTHM_B] = "ventricular bigeminy",
    [CW_RHYTHM_T] = "ventricular trigeminy",
    [CW_RHYTHM_VT] = "ventricular tachycardia",
    [CW_RHYTHM_VFL] = "ventricular flutter / fibrillation",
    [CW_RHYTHM_PAUSE] = "pause",
    [CW_RHYTHM_ASYS] = "asystole",
    [CW_RHYTHM_IVR] = "idioventricular rhythm",
    [CW_RHYTHM_NOD] = "nodal (junctional) rhythm",
    [CW_RHYTHM_BII] = "2nd degree heart block",
    [CW_RHYTHM_P] = "paced rhythm",
    [CW_RHYTHM_PREX] = "pre-excitation (WPW)",
};

const char *cw_ts_rhythm_name(int32_t code)
{
    return (code >= 0 && code < (int32_t)CW_RHYTHM_COUNT_) ? cw_ts_names[code] : 0;
}

typedef struct {
    char *out;
    size_t cap;
    size_t len;
    int overflow;
} cw_ts_buf_t;

static void put_char(cw_ts_buf_t *b, char c)
{
    if (b->len + 1u < b->cap) {
        b->out[b->len] = c;
        b->out[b->len + 1u] = '\0';
        b->len += 1u;
    } else {
        b->overflow = 1;
    }
}

static void put_str(cw_ts_buf_t *b, const char *s)
{
    while (*s) {
        put_char(b, *s++);
    }
}

/* application/x-www-form-urlencoded: unreserved characters as they are, space as '+', the rest %XX */
static void put_encoded(cw_ts_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; ++s) {
        const unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
            || c == '.' || c == '~') {
            put_char(b, (char)c);
        } else if (c == ' ') {
            put_char(b, '+');
        } else {
            put_char(b, '%');
            put_char(b, hex[c >> 4]);
            put_char(b, hex[c & 15u]);
        }
    }
}

static void put_uint(cw_ts_buf_t *b, uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v > 0u);
    while (n > 0) {
        put_char(b, digits[--n]);
    }
}

static void put_field(cw_ts_buf_t *b, int field, int32_t value, int tenths)
{
    if (value < 0) {
        return; /* unknown: left out, so the chart shows a gap, not a false zero */
    }
    put_str(b, "&field");
    put_char(b, (char)('0' + field));
    put_char(b, '=');
    if (tenths) {
        put_uint(b, (uint32_t)value / 10u);
        put_char(b, '.');
        put_uint(b, (uint32_t)value % 10u);
    } else {
        put_uint(b, (uint32_t)value);
    }
}

cw_err_t cw_ts_build_update(const char *write_key, const cw_ts_summary_t *s, char *out, size_t cap, size_t *len)
{
    cw_ts_buf_t b;
    if (write_key == 0 || write_key[0] == '\0' || s == 0 || out == 0 || len == 0 || cap == 0
        || s->alert_level < 0 || s->alert_level > 3 || s->rhythm >= (int32_t)CW_RHYTHM_COUNT_
        || s->quality_pct > 100 || s->battery_pct > 100) {
        return CW_ERR_ARG;
    }
    b.out = out;
    b.cap = cap;
    b.len = 0;
    b.overflow = 0;
    out[0] = '\0';
    put_str(&b, "api_key=");
    put_encoded(&b, write_key);
    put_field(&b, 1, s->hr_decibpm, 1);
    put_field(&b, 2, s->rhythm, 0);
    put_field(&b, 3, s->alert_level, 0);
    put_field(&b, 4, s->quality_pct, 0);
    put_field(&b, 5, s->battery_pct, 0);
    if (s->rhythm >= 0) {
        put_str(&b, "&status=");
        put_encoded(&b, cw_ts_names[s->rhythm]);
    }
    *len = b.len;
    return b.overflow ? CW_ERR_CAPACITY : CW_OK;
}

cw_err_t cw_ts_limiter_init(cw_ts_limiter_t *lim, uint32_t interval_ms, uint32_t max_backoff_ms)
{
    if (lim == 0 || interval_ms == 0u) {
        return CW_ERR_ARG;
    }
    lim->interval_ms = interval_ms;
    lim->max_backoff_ms = max_backoff_ms > interval_ms ? max_backoff_ms : interval_ms;
    lim->next_at_ms = 0;
    lim->failures = 0;
    lim->posted = lim->retried = lim->refused = 0;
    lim->started = 0;
    return CW_OK;
}

int cw_ts_due(const cw_ts_limiter_t *lim, uint32_t now_ms)
{
    if (lim == 0 || lim->interval_ms == 0u) {
        return 0;
    }
    /* wrap-safe comparison of a millisecond clock */
    return !lim->started || (int32_t)(now_ms - lim->next_at_ms) >= 0;
}

cw_ts_outcome_t cw_ts_outcome(int status, const char *reply)
{
    if (status == 200 && reply != 0) {
        const char *p = reply;
        int nonzero = 0, digits = 0;
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
            ++p;
        }
        for (; *p >= '0' && *p <= '9'; ++p) {
            nonzero |= *p != '0';
            ++digits;
        }
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
            ++p;
        }
        if (digits > 0 && *p == '\0' && nonzero) {
            return CW_TS_ACCEPTED;
        }
        return CW_TS_RETRY; /* "0": not inserted (the rate limit), or an answer we cannot read */
    }
    if (status == 400 || status == 401 || status == 403 || status == 404) {
        return CW_TS_REFUSED;
    }
    return CW_TS_RETRY; /* 429, 5xx, no answer */
}

void cw_ts_on_outcome(cw_ts_limiter_t *lim, uint32_t now_ms, cw_ts_outcome_t outcome)
{
    uint32_t wait;
    uint32_t k;
    if (lim == 0 || lim->interval_ms == 0u) {
        return;
    }
    lim->started = 1;
    wait = lim->interval_ms;
    if (outcome == CW_TS_RETRY) {
        lim->failures += 1u;
        lim->retried += 1u;
        for (k = 0; k < lim->failures && wait < lim->max_backoff_ms; ++k) {
            wait = wait > lim->max_backoff_ms / 2u ? lim->max_backoff_ms : wait * 2u;
        }
    } else {
        lim->failures = 0;
        if (outcome == CW_TS_ACCEPTED) {
            lim->posted += 1u;
        } else {
            lim->refused += 1u;
        }
    }
    lim->next_at_ms = now_ms + wait;
}
