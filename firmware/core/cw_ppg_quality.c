/* cw_ppg_quality.c - streaming PPG signal quality (see cw_ppg_quality.h and src/cardiowatch/signal/ppg_quality.py). */
#include "cw_ppg_quality.h"

static void window_clear(cw_ppg_quality_t *q)
{
    q->in_win = 0;
    q->n_real = 0;
    q->zero_diffs = 0;
    q->has_prev = 0;
    q->prev = 0;
    q->hi = q->lo = 0;
    q->hi_run = q->lo_run = 0;
    q->run_value = 0;
    q->run_len = 0;
    q->any_outside = 0;
    q->y_hi = q->y_lo = 0.0;
    q->b_hi = q->b_lo = 0.0;
}

cw_err_t cw_ppg_quality_init(cw_ppg_quality_t *q, const cw_ppg_quality_cfg_t *cfg)
{
    if (q == NULL || cfg == NULL || cfg->window < 4u || cfg->clip_run < 2u || cfg->n_sections == 0u ||
        cfg->n_sections > CW_PPG_QUALITY_MAX_SECTIONS || cfg->reference_windows == 0u ||
        cfg->reference_windows > CW_PPG_QUALITY_MAX_REFERENCE || !(cfg->fs > 0.0) ||
        (cfg->has_adc_range && cfg->adc_lo >= cfg->adc_hi)) {
        return CW_ERR_ARG;
    }
    q->cfg = cfg;
    {
        const cw_err_t err = cw_iir_init(&q->iir, cfg->sos, q->iir_state, cfg->n_sections);
        if (err != CW_OK) {
            return err;
        }
    }
    cw_ppg_quality_reset(q);
    return CW_OK;
}

void cw_ppg_quality_reset(cw_ppg_quality_t *q)
{
    cw_iir_reset(&q->iir);
    q->started = 0;
    q->last = 0.0;
    q->n = 0;
    q->win_start = 0;
    window_clear(q);
    q->n_amplitudes = 0;
    q->next_amplitude = 0;
    q->has_previous = 0;
    q->previous = CW_PPG_QUALITY_GOOD;
    q->has_last = 0;
    q->last_label = CW_PPG_QUALITY_GOOD;
}

/* Median of the reference amplitudes (numpy's: the mean of the two middle values for an even count). */
static double reference_median(const cw_ppg_quality_t *q)
{
    double v[CW_PPG_QUALITY_MAX_REFERENCE];
    uint32_t i, j;
    const uint32_t k = q->n_amplitudes;
    for (i = 0; i < k; ++i) {
        const double a = q->amplitudes[i];
        for (j = i; j > 0 && v[j - 1] > a; --j) {
            v[j] = v[j - 1];
        }
        v[j] = a;
    }
    return (k % 2u) ? v[k / 2u] : (v[k / 2u - 1u] + v[k / 2u]) / 2.0;
}

static int is_artefact(cw_ppg_quality_label_t label)
{
    return label == CW_PPG_QUALITY_MISSING || label == CW_PPG_QUALITY_FLAT || label == CW_PPG_QUALITY_CLIPPED ||
           label == CW_PPG_QUALITY_MOTION;
}

/* The window's own label, from its running statistics (Python's _label). */
static cw_ppg_quality_label_t own_label(cw_ppg_quality_t *q)
{
    const cw_ppg_quality_cfg_t *cfg = q->cfg;
    double amplitude, baseline_move, reference;
    if ((uint64_t)q->n_real * 2u < (uint64_t)q->in_win || q->n_real < 2u) {
        return CW_PPG_QUALITY_MISSING;
    }
    if ((double)q->zero_diffs >= 0.9 * (double)(q->n_real - 1u)) {
        return CW_PPG_QUALITY_FLAT;
    }
    if ((cfg->has_adc_range && q->any_outside) || q->hi_run >= cfg->clip_run || q->lo_run >= cfg->clip_run) {
        return CW_PPG_QUALITY_CLIPPED;
    }
    amplitude = q->y_hi - q->y_lo;
    baseline_move = q->b_hi - q->b_lo;
    q->amplitudes[q->next_amplitude] = amplitude;
    q->next_amplitude = (q->next_amplitude + 1u) % cfg->reference_windows;
    if (q->n_amplitudes < cfg->reference_windows) {
        ++q->n_amplitudes;
    }
    reference = reference_median(q);
    if (amplitude > cfg->motion_ratio * reference || baseline_move > cfg->baseline_ratio * reference) {
        return CW_PPG_QUALITY_MOTION;
    }
    if (amplitude < cfg->low_ratio * reference || amplitude < cfg->min_amplitude) {
        return CW_PPG_QUALITY_LOW_PERFUSION;
    }
    return CW_PPG_QUALITY_GOOD;
}

static void emit(cw_ppg_quality_t *q, cw_ppg_quality_label_t label, cw_ppg_quality_window_t *out, size_t out_cap,
                 size_t *n_out)
{
    q->has_last = 1;
    q->last_label = label;
    if (*n_out < out_cap) {
        out[*n_out].start = q->win_start;
        out[*n_out].length = q->in_win;
        out[*n_out].label = label;
        ++*n_out;
    }
    q->win_start += q->in_win;
    window_clear(q);
}

static void rate(cw_ppg_quality_t *q, cw_ppg_quality_window_t *out, size_t out_cap, size_t *n_out)
{
    const cw_ppg_quality_label_t own = own_label(q);
    cw_ppg_quality_label_t label = own;
    if (own == CW_PPG_QUALITY_GOOD && q->has_previous && is_artefact(q->previous) && q->cfg->settle) {
        label = CW_PPG_QUALITY_MOTION; /* the band-pass still rings from the artefact before */
    }
    q->has_previous = 1;
    q->previous = own;
    emit(q, label, out, out_cap, n_out);
}

static void add_sample(cw_ppg_quality_t *q, int32_t v)
{
    const cw_ppg_quality_cfg_t *cfg = q->cfg;
    double y, b;
    ++q->in_win;
    if (v == CW_PPG_QUALITY_NO_SAMPLE) {
        if (q->started) {
            (void)cw_iir_step(&q->iir, q->last); /* hold the last real value through the filter */
        }
        return;
    }
    if (!q->started) {
        cw_iir_start(&q->iir, cfg->zi, (double)v);
        q->started = 1;
    }
    q->last = (double)v;
    y = cw_iir_step(&q->iir, (double)v);
    b = (double)v - y;
    if (q->n_real == 0u) {
        q->hi = q->lo = v;
        q->hi_run = q->lo_run = 1u;
        q->run_value = v;
        q->run_len = 1u;
        q->y_hi = q->y_lo = y;
        q->b_hi = q->b_lo = b;
    } else {
        if (v == q->prev) {
            ++q->zero_diffs;
        }
        q->run_len = v == q->run_value ? q->run_len + 1u : 1u;
        q->run_value = v;
        if (v > q->hi) {
            q->hi = v;
            q->hi_run = q->run_len;
        } else if (v == q->hi && q->run_len > q->hi_run) {
            q->hi_run = q->run_len;
        }
        if (v < q->lo) {
            q->lo = v;
            q->lo_run = q->run_len;
        } else if (v == q->lo && q->run_len > q->lo_run) {
            q->lo_run = q->run_len;
        }
        if (y > q->y_hi) {
            q->y_hi = y;
        }
        if (y < q->y_lo) {
            q->y_lo = y;
        }
        if (b > q->b_hi) {
            q->b_hi = b;
        }
        if (b < q->b_lo) {
            q->b_lo = b;
        }
    }
    if (cfg->has_adc_range && (v <= cfg->adc_lo || v >= cfg->adc_hi)) {
        q->any_outside = 1;
    }
    q->prev = v;
    ++q->n_real;
}

size_t cw_ppg_quality_process(cw_ppg_quality_t *q, const int32_t *x, size_t n, cw_ppg_quality_window_t *out,
                              size_t out_cap)
{
    size_t i, n_out = 0;
    for (i = 0; i < n; ++i) {
        add_sample(q, x[i]);
        ++q->n;
        if (q->in_win >= q->cfg->window) {
            rate(q, out, out_cap, &n_out);
        }
    }
    return n_out;
}

size_t cw_ppg_quality_flush(cw_ppg_quality_t *q, cw_ppg_quality_window_t *out, size_t out_cap)
{
    size_t n_out = 0;
    if (q->in_win == 0u) {
        return 0;
    }
    if (q->has_last && 2u * q->in_win < q->cfg->window) {
        /* too short to rate on its own: the tail takes the label of the window before it */
        const cw_ppg_quality_label_t label = q->last_label;
        if (out_cap > 0u) {
            out[0].start = q->win_start;
            out[0].length = q->in_win;
            out[0].label = label;
            n_out = 1;
        }
        q->win_start += q->in_win;
        window_clear(q);
        return n_out;
    }
    rate(q, out, out_cap, &n_out);
    return n_out;
}

cw_signal_state_t cw_signal_state_of(cw_ppg_quality_label_t label)
{
    switch (label) {
    case CW_PPG_QUALITY_GOOD:
        return CW_SIGNAL_GOOD;
    case CW_PPG_QUALITY_LOW_PERFUSION:
        return CW_SIGNAL_WEAK;
    case CW_PPG_QUALITY_MOTION:
        return CW_SIGNAL_MOTION;
    case CW_PPG_QUALITY_CLIPPED:
        return CW_SIGNAL_SATURATED;
    case CW_PPG_QUALITY_FLAT:
    case CW_PPG_QUALITY_MISSING:
        return CW_SIGNAL_NO_FINGER;
    default:
        return CW_SIGNAL_UNKNOWN;
    }
}

cw_signal_state_t cw_ppg_quality_state(const cw_ppg_quality_t *q)
{
    return q->has_last ? cw_signal_state_of(q->last_label) : CW_SIGNAL_UNKNOWN;
}

const char *cw_signal_state_name(cw_signal_state_t state)
{
    static const char *const names[] = {"-", "good", "weak", "motion", "saturated", "no finger"};
    return (unsigned)state < sizeof names / sizeof names[0] ? names[state] : "-";
}

const char *cw_ppg_quality_label_name(cw_ppg_quality_label_t label)
{
    static const char *const names[] = {"good", "low_perfusion", "motion", "clipped", "flat", "missing"};
    return (unsigned)label < (unsigned)CW_PPG_QUALITY_COUNT_ ? names[label] : "?";
}

int cw_signal_allows_warning(cw_signal_state_t state)
{
    return state == CW_SIGNAL_GOOD;
}

int32_t cw_signal_good_pct(uint32_t good, uint32_t rated)
{
    if (rated == 0u || good > rated) {
        return -1;
    }
    return (int32_t)((200u * (uint64_t)good + rated) / (2u * (uint64_t)rated));
}
