/* cw_alarm.c - the device's own warning (see cw_alarm.h). */
#include "cw_alarm.h"

#define CW_BEEP_ON_MS 150u
#define CW_BEEP_PERIOD_MS 250u

void cw_alarm_cfg_default(cw_alarm_cfg_t *cfg, uint32_t fs_millihz)
{
    if (cfg == NULL) {
        return;
    }
    cfg->fs_millihz = fs_millihz;
    cfg->brady_decibpm = 400u;
    cfg->tachy_decibpm = 1500u;
    cfg->pause_ms = 3000u;
    cfg->bpm_expiry_ms = 5000u;
    cfg->min_intervals = 4u;
}

static void alarm_forget(cw_alarm_t *a)
{
    a->n_rr = 0;
    a->last_beat = -1;
    a->vf_ended = -1;
}

cw_err_t cw_alarm_init(cw_alarm_t *a, const cw_alarm_cfg_t *cfg)
{
    uint32_t i;
    if (a == NULL || cfg == NULL || cfg->fs_millihz == 0u || cfg->brady_decibpm >= cfg->tachy_decibpm
        || cfg->pause_ms == 0u || cfg->bpm_expiry_ms == 0u || cfg->min_intervals == 0u
        || cfg->min_intervals > CW_ALARM_INTERVALS) {
        return CW_ERR_ARG;
    }
    for (i = 0; i < CW_ALARM_INTERVALS; ++i) {
        a->rr[i] = 0;
    }
    a->cfg = *cfg;
    alarm_forget(a);
    a->usable_since = 0;
    a->usable = 1;
    return CW_OK;
}

/* Samples spanning `ms` milliseconds at the configured rate (rounded down). */
static int64_t alarm_samples(const cw_alarm_t *a, uint32_t ms)
{
    return (int64_t)(((uint64_t)ms * a->cfg.fs_millihz) / 1000000u);
}

static uint32_t alarm_median_decibpm(const cw_alarm_t *a)
{
    const uint32_t k = a->n_rr < CW_ALARM_INTERVALS ? a->n_rr : CW_ALARM_INTERVALS;
    int64_t sorted[CW_ALARM_INTERVALS];
    uint32_t i;
    uint32_t j;
    int64_t median;
    if (k == 0u) {
        return 0u;
    }
    for (i = 0; i < CW_ALARM_INTERVALS; ++i) {
        sorted[i] = a->rr[i];
    }
    for (i = 1u; i < k; ++i) { /* insertion sort of at most 8 intervals */
        for (j = i; j > 0u && sorted[j - 1u] > sorted[j]; --j) {
            const int64_t t = sorted[j];
            sorted[j] = sorted[j - 1u];
            sorted[j - 1u] = t;
        }
    }
    median = sorted[k / 2u];
    if (median <= 0) {
        return 0u;
    }
    /* decibpm = 600 * fs / rr = 600 * (fs_millihz / 1000) / rr, rounded */
    return (uint32_t)(((uint64_t)a->cfg.fs_millihz * 6u / 10u + (uint64_t)median / 2u) / (uint64_t)median);
}

cw_alarm_state_t cw_alarm_update(cw_alarm_t *a, const int64_t *beats, size_t n, int64_t now,
                                 const cw_alarm_input_t *in)
{
    cw_alarm_state_t s;
    size_t i;
    int64_t since;
    s.level = CW_ALARM_NONE;
    s.cause = CW_ALARM_CAUSE_NONE;
    s.heart_rate_decibpm = 0u;
    if (a == NULL || in == NULL) {
        return s;
    }
    if (in->lead_off || in->signal_bad) {
        alarm_forget(a);
        a->usable = 0;
        s.level = CW_ALARM_TECHNICAL;
        s.cause = in->lead_off ? CW_ALARM_CAUSE_LEAD_OFF : CW_ALARM_CAUSE_SIGNAL;
        return s;
    }
    if (in->shockable) {
        alarm_forget(a);
        a->vf_ended = now;
        a->usable = 0; /* the beats found during VF are not beats: none before its end is counted */
        s.level = CW_ALARM_CRITICAL;
        s.cause = CW_ALARM_CAUSE_VF;
        return s;
    }
    if (!a->usable) {
        a->usable = 1;
        a->usable_since = now;
    }
    for (i = 0; beats != NULL && i < n; ++i) {
        if (beats[i] < a->usable_since || beats[i] <= a->last_beat) {
            continue; /* from before the signal was usable, or out of order */
        }
        if (a->last_beat >= 0) {
            a->rr[a->n_rr % CW_ALARM_INTERVALS] = beats[i] - a->last_beat;
            if (a->n_rr < UINT32_MAX) {
                ++a->n_rr;
            }
        }
        a->last_beat = beats[i];
    }
    /* no beat yet since the signal became usable: the detectors are still learning, no pause; after VF
     * the pause clock runs from its end */
    since = a->last_beat >= 0 ? now - a->last_beat : (a->vf_ended >= 0 ? now - a->vf_ended : 0);
    if (a->last_beat >= 0 && since <= alarm_samples(a, a->cfg.bpm_expiry_ms)) {
        s.heart_rate_decibpm = alarm_median_decibpm(a);
    }
    if (since > alarm_samples(a, a->cfg.pause_ms)) {
        s.level = CW_ALARM_HIGH;
        s.cause = CW_ALARM_CAUSE_PAUSE;
    } else if (in->irregular) {
        s.level = CW_ALARM_MEDIUM;
        s.cause = CW_ALARM_CAUSE_IRREGULAR;
    } else if (a->n_rr >= a->cfg.min_intervals && s.heart_rate_decibpm > 0u) {
        if (s.heart_rate_decibpm < a->cfg.brady_decibpm) {
            s.level = CW_ALARM_MEDIUM;
            s.cause = CW_ALARM_CAUSE_BRADY;
        } else if (s.heart_rate_decibpm > a->cfg.tachy_decibpm) {
            s.level = CW_ALARM_MEDIUM;
            s.cause = CW_ALARM_CAUSE_TACHY;
        }
    }
    return s;
}

/* On during beat k (k < beeps) of a burst that starts every `period_ms`. */
static int alarm_beeping(uint32_t ms, uint32_t beeps, uint32_t period_ms)
{
    const uint32_t t = ms % period_ms;
    return t < beeps * CW_BEEP_PERIOD_MS && (t % CW_BEEP_PERIOD_MS) < CW_BEEP_ON_MS;
}

cw_alarm_output_t cw_alarm_output(cw_alarm_level_t level, uint32_t ms_since_onset)
{
    cw_alarm_output_t out;
    out.led_on = 0;
    out.buzzer_on = 0;
    switch (level) {
    case CW_ALARM_CRITICAL:
        out.led_on = (ms_since_onset % 250u) < 125u;
        out.buzzer_on = (ms_since_onset % CW_BEEP_PERIOD_MS) < CW_BEEP_ON_MS;
        break;
    case CW_ALARM_HIGH:
        out.led_on = (ms_since_onset % 500u) < 250u;
        out.buzzer_on = alarm_beeping(ms_since_onset, 5u, 3000u);
        break;
    case CW_ALARM_MEDIUM:
        out.led_on = 1;
        out.buzzer_on = alarm_beeping(ms_since_onset, 3u, 8000u);
        break;
    case CW_ALARM_TECHNICAL:
        out.led_on = (ms_since_onset % 2000u) < 1000u;
        out.buzzer_on = alarm_beeping(ms_since_onset, 1u, 15000u);
        break;
    case CW_ALARM_NONE:
    default:
        break;
    }
    return out;
}

const char *cw_alarm_cause_name(cw_alarm_cause_t cause)
{
    switch (cause) {
    case CW_ALARM_CAUSE_LEAD_OFF:
        return "lead off";
    case CW_ALARM_CAUSE_SIGNAL:
        return "poor signal";
    case CW_ALARM_CAUSE_BRADY:
        return "slow rate";
    case CW_ALARM_CAUSE_TACHY:
        return "fast rate";
    case CW_ALARM_CAUSE_IRREGULAR:
        return "irregular rhythm";
    case CW_ALARM_CAUSE_PAUSE:
        return "pause";
    case CW_ALARM_CAUSE_VF:
        return "VF / flutter";
    case CW_ALARM_CAUSE_NONE:
    default:
        return "";
    }
}
