#include "cw_qrs.h"

#include "cw_iir.h"

#define HIST_MASK (CW_QRS_HISTORY - 1u)
#define SLOPE_MASK (CW_QRS_SLOPE_MAX - 1u)

/* Where decided beats go during one call. */
typedef struct {
    cw_qrs_t *det;
    cw_beat_t *out;
    size_t cap;
    size_t count;
} cw_qrs_sink_t;

static double hist_at(const double *h, int64_t n)
{
    return h[(uint64_t)n & HIST_MASK];
}

static double histf_at(const float *h, int64_t n)
{
    return (double)h[(uint64_t)n & HIST_MASK];
}

static double fabs_d(double x)
{
    return x < 0.0 ? -x : x;
}

static int64_t max_i64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t min_i64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* np.median of up to CW_QRS_LEVELS values. */
static double median(const double *values, uint32_t n)
{
    double s[CW_QRS_LEVELS];
    uint32_t i, j;
    for (i = 0; i < n; ++i) {
        double v = values[i];
        for (j = i; j > 0 && s[j - 1] > v; --j) {
            s[j] = s[j - 1];
        }
        s[j] = v;
    }
    if (n == 0) {
        return 0.0;
    }
    return (n % 2u) ? s[n / 2u] : 0.5 * (s[n / 2u - 1u] + s[n / 2u]);
}

static void push_level(double *ring, uint32_t *count, uint32_t *next, double value)
{
    ring[*next] = value;
    *next = (*next + 1u) % CW_QRS_LEVELS;
    if (*count < CW_QRS_LEVELS) {
        *count += 1u;
    }
}

cw_err_t cw_qrs_init(cw_qrs_t *det, const cw_qrs_cfg_t *cfg)
{
    int64_t back;
    if (det == 0 || cfg == 0) {
        return CW_ERR_ARG;
    }
    det->cfg = 0;
    if (cfg->fs <= 0.0 || cfg->n_wide == 0u || cfg->n_wide > CW_QRS_MAX_SECTIONS || cfg->n_band == 0u
        || cfg->n_band > CW_QRS_MAX_SECTIONS || cfg->slope_span == 0u || cfg->slope_span >= CW_QRS_SLOPE_MAX
        || cfg->integration == 0u || cfg->half_window == 0u) {
        return CW_ERR_ARG;
    }
    /* the deepest look back from a candidate m, while the newest sample is m + half_window */
    back = (int64_t)cfg->half_window + 1;
    back = max_i64(back, (int64_t)cfg->integration - 1);
    back = max_i64(back, (int64_t)cfg->lag + (int64_t)cfg->r_half - (int64_t)cfg->wide_delay);
    back = max_i64(back, (int64_t)cfg->lag + (int64_t)cfg->r_half + (int64_t)cfg->quality_margin);
    if ((int64_t)cfg->half_window + back + 1 > (int64_t)CW_QRS_HISTORY
        || (int64_t)cfg->integration > (int64_t)CW_QRS_HISTORY) {
        return CW_ERR_ARG;
    }
    det->cfg = cfg;
    cw_qrs_reset(det);
    return CW_OK;
}

void cw_qrs_reset(cw_qrs_t *det)
{
    uint32_t i;
    if (det == 0 || det->cfg == 0) {
        return;
    }
    for (i = 0; i < CW_QRS_HISTORY; ++i) {
        det->e_hist[i] = 0.0f;
        det->v_hist[i] = 0.0;
        det->w_hist[i] = 0.0f;
        det->bad_hist[i] = 0u;
    }
    det->q_prev = 0;
    det->q_run = 0;
    det->q_hi = INT32_MIN;
    det->q_lo = INT32_MAX;
    for (i = 0; i < CW_QRS_SLOPE_MAX; ++i) {
        det->b_hist[i] = 0.0;
    }
    for (i = 0; i < CW_QRS_MAX_SECTIONS * 2u; ++i) {
        det->wide_state[i] = 0.0;
        det->band_state[i] = 0.0;
    }
    det->n_seen = 0;
    det->scan_from = 0;
    det->started = 0;
    det->learning = 1;
    det->learn_end = -1;
    det->n_held = 0;
    det->n_qrs = det->i_qrs = 0;
    det->n_noise = det->i_noise = 0;
    det->n_rr = det->i_rr = 0;
    det->last_m = -1;
    det->last_r = -1;
    det->last_slope = 0.0;
    det->n_pending = 0;
    det->misses = 0;
    det->lost = 0;
}

/* ---------------------------------------------------------------- signal path */

/* EcgQuality.flags of signal/quality.py for integer input, limited to the flags that block beats:
 * `flat` (a run of identical samples) and `clipped` (such a run at the most extreme value seen). */
static uint8_t cw_qrs_quality(cw_qrs_t *det, int32_t x)
{
    const cw_qrs_cfg_t *cfg = det->cfg;
    int at_limit;
    det->q_run = (det->n_seen > 0 && x == det->q_prev) ? det->q_run + 1u : 1u;
    det->q_prev = x;
    if (x > det->q_hi) {
        det->q_hi = x;
    }
    if (x < det->q_lo) {
        det->q_lo = x;
    }
    at_limit = det->n_seen >= (int64_t)cfg->clip_warmup && (x >= det->q_hi || x <= det->q_lo);
    return (uint8_t)(det->q_run >= cfg->flat_min || (at_limit && det->q_run >= cfg->clip_min));
}

static void cw_qrs_append(cw_qrs_t *det, int32_t sample)
{
    const double x = (double)sample;
    const cw_qrs_cfg_t *cfg = det->cfg;
    cw_iir_t wide = {cfg->wide_sos, det->wide_state, cfg->n_wide};
    cw_iir_t band = {cfg->band_sos, det->band_state, cfg->n_band};
    const int64_t n = det->n_seen;
    const double inv_w = 1.0 / (double)cfg->integration;
    double w, b, b_old, e, v = 0.0;
    int64_t j;
    if (!det->started) {
        cw_iir_start(&wide, cfg->wide_zi, x);
        cw_iir_start(&band, cfg->band_zi, x);
        det->started = 1;
    }
    w = cw_iir_step(&wide, x);
    b = cw_iir_step(&band, x);
    b_old = n >= (int64_t)cfg->slope_span ? det->b_hist[(uint64_t)(n - cfg->slope_span) & SLOPE_MASK] : 0.0;
    det->b_hist[(uint64_t)n & SLOPE_MASK] = b;
    e = fabs_d(b - b_old);
    det->e_hist[(uint64_t)n & HIST_MASK] = (float)e;
    for (j = n; j > n - (int64_t)cfg->integration && j >= 0; --j) {
        v += inv_w * histf_at(det->e_hist, j);
    }
    det->v_hist[(uint64_t)n & HIST_MASK] = v;
    det->w_hist[(uint64_t)n & HIST_MASK] = (float)w;
    det->bad_hist[(uint64_t)n & HIST_MASK] = cw_qrs_quality(det, sample);
    det->n_seen = n + 1;
}

/* Is m the tallest integral value within +/- half_window (clipped to [0, end))? */
static int cw_qrs_is_candidate(const cw_qrs_t *det, int64_t m, int64_t end)
{
    const int64_t h = (int64_t)det->cfg->half_window;
    const double vm = hist_at(det->v_hist, m);
    const double prev = m > 0 ? hist_at(det->v_hist, m - 1) : -1.0;
    int64_t j;
    if (!(vm > 0.0) || !(vm > prev)) {
        return 0;
    }
    for (j = max_i64(m - h, 0); j <= min_i64(m + h, end - 1); ++j) {
        if (hist_at(det->v_hist, j) > vm) {
            return 0;
        }
    }
    return 1;
}

static cw_qrs_cand_t cw_qrs_describe(const cw_qrs_t *det, int64_t m)
{
    const cw_qrs_cfg_t *cfg = det->cfg;
    cw_qrs_cand_t c;
    int64_t j, lo, centre, r_lo, r_hi;
    c.m = m;
    c.height = hist_at(det->v_hist, m);
    c.slope = 0.0;
    lo = max_i64(m - (int64_t)cfg->integration + 1, 0);
    for (j = lo; j <= m; ++j) {
        const double e = histf_at(det->e_hist, j);
        if (j == lo || e > c.slope) {
            c.slope = e;
        }
    }
    centre = m - (int64_t)cfg->lag;
    r_lo = max_i64(centre - (int64_t)cfg->r_half + (int64_t)cfg->wide_delay, 0);
    r_hi = min_i64(centre + (int64_t)cfg->r_half + (int64_t)cfg->wide_delay + 1, det->n_seen);
    if (r_hi <= r_lo) {
        c.r = max_i64(centre, 0);
    } else {
        /* the R peak stands out most from the baseline under the QRS: a line between the window's
         * ends, each averaged over 20 ms (np.linspace between the two means, as in Python) */
        const int64_t size = r_hi - r_lo;
        const int64_t ends = min_i64((int64_t)cfg->baseline_ends, size);
        double first = 0.0, last = 0.0, step, best_abs = -1.0;
        int64_t best = r_lo;
        for (j = 0; j < ends; ++j) {
            first += histf_at(det->w_hist, r_lo + j);
            last += histf_at(det->w_hist, r_hi - ends + j);
        }
        first /= (double)ends;
        last /= (double)ends;
        step = size > 1 ? (last - first) / (double)(size - 1) : 0.0;
        for (j = 0; j < size; ++j) {
            const double base = (j == size - 1 && size > 1) ? last : (double)j * step + first;
            const double a = fabs_d(histf_at(det->w_hist, r_lo + j) - base);
            if (a > best_abs) {
                best_abs = a;
                best = r_lo + j;
            }
        }
        c.r = max_i64(best - (int64_t)cfg->wide_delay, 0);
    }
    return c;
}

/* Any flagged sample within quality_margin of r (clipped to the samples seen)? */
static int cw_qrs_near_bad(const cw_qrs_t *det, int64_t r)
{
    const int64_t margin = (int64_t)det->cfg->quality_margin;
    const int64_t hi = min_i64(r + margin, det->n_seen - 1);
    int64_t j;
    for (j = max_i64(r - margin, 0); j <= hi; ++j) {
        if (det->bad_hist[(uint64_t)j & HIST_MASK]) {
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- decision logic */

static double cw_qrs_threshold(const cw_qrs_t *det)
{
    const double q = median(det->qrs_levels, det->n_qrs);
    const double n = det->n_noise ? median(det->noise_levels, det->n_noise) : 0.0;
    return n + det->cfg->threshold_coef * (q - n);
}

static double cw_qrs_rr(const cw_qrs_t *det)
{
    double rr[CW_QRS_LEVELS];
    uint32_t i;
    if (det->n_rr == 0u) {
        return det->cfg->initial_rr;
    }
    for (i = 0; i < det->n_rr; ++i) {
        rr[i] = (double)det->rr[i];
    }
    return median(rr, det->n_rr);
}

static void cw_qrs_emit(cw_qrs_sink_t *sink, int64_t r)
{
    if (sink->count < sink->cap) {
        sink->out[sink->count].sample = r;
        sink->count += 1u;
    } else {
        sink->det->lost += 1u;
    }
}

static void cw_qrs_accept(cw_qrs_t *det, const cw_qrs_cand_t *cand, cw_qrs_sink_t *sink)
{
    uint32_t i, kept = 0;
    int64_t r;
    const cw_qrs_cand_t c = *cand; /* cand may point into `pending`, which is compacted below */
    push_level(det->qrs_levels, &det->n_qrs, &det->i_qrs, c.height);
    if (det->last_m >= 0) {
        det->rr[det->i_rr] = c.m - det->last_m;
        det->i_rr = (det->i_rr + 1u) % CW_QRS_LEVELS;
        if (det->n_rr < CW_QRS_LEVELS) {
            det->n_rr += 1u;
        }
    }
    r = (det->last_r >= 0 && c.r <= det->last_r) ? det->last_r + 1 : c.r; /* strictly increasing */
    det->last_m = c.m;
    det->last_r = r;
    det->last_slope = c.slope;
    for (i = 0; i < det->n_pending; ++i) {
        if (det->pending[i].m > c.m) {
            det->pending[kept++] = det->pending[i];
        }
    }
    det->n_pending = kept;
    det->misses = 0;
    cw_qrs_emit(sink, r);
}

static int64_t cw_qrs_deadline(const cw_qrs_t *det)
{
    double span;
    if (det->last_m < 0 || det->misses > det->cfg->searchback_retries) {
        return -1;
    }
    span = det->cfg->searchback_rr * cw_qrs_rr(det);
    if (det->cfg->searchback_max < span) {
        span = det->cfg->searchback_max;
    }
    return det->last_m + (int64_t)span * (int64_t)(det->misses + 1u);
}

static void cw_qrs_search_back(cw_qrs_t *det, int64_t deadline, cw_qrs_sink_t *sink)
{
    const int64_t gap = (int64_t)det->cfg->searchback_gap;
    double limit = 0.5 * cw_qrs_threshold(det);
    const cw_qrs_cand_t *best = 0;
    uint32_t i;
    for (i = 0; i < det->misses; ++i) {
        limit *= det->cfg->searchback_decay; /* Python: SEARCHBACK_DECAY ** misses */
    }
    for (i = 0; i < det->n_pending; ++i) {
        const cw_qrs_cand_t *c = &det->pending[i];
        if (c->m > deadline) {
            break;
        }
        if (c->m - det->last_m >= gap && c->height > limit && (best == 0 || c->height > best->height)) {
            best = c;
        }
    }
    if (best == 0) {
        det->misses += 1u; /* the signal may have shrunk: retry later, lower */
        return;
    }
    cw_qrs_accept(det, best, sink);
}

static void cw_qrs_search_back_until(cw_qrs_t *det, int64_t now, cw_qrs_sink_t *sink)
{
    for (;;) {
        const int64_t deadline = cw_qrs_deadline(det);
        if (deadline < 0 || deadline >= now) {
            return;
        }
        cw_qrs_search_back(det, deadline, sink);
    }
}

static void cw_qrs_classify(cw_qrs_t *det, const cw_qrs_cand_t *cand, cw_qrs_sink_t *sink)
{
    const cw_qrs_cfg_t *cfg = det->cfg;
    if (det->last_m >= 0 && cand->m - det->last_m < (int64_t)cfg->refractory) {
        return;
    }
    if (cand->height > cw_qrs_threshold(det)) {
        const int is_t_wave = det->last_m >= 0 && cand->m - det->last_m < (int64_t)cfg->t_wave_window
                              && cand->slope < cfg->t_wave_slope_ratio * det->last_slope;
        if (!is_t_wave) {
            cw_qrs_accept(det, cand, sink);
            return;
        }
    }
    push_level(det->noise_levels, &det->n_noise, &det->i_noise, cand->height);
    /* Once the last search-back retry found nothing, pending candidates are never searched again before
     * the next beat clears them, so they need not be kept; before, they span at most the last deadline. */
    if (det->misses <= det->cfg->searchback_retries) {
        if (det->n_pending < CW_QRS_PENDING) {
            det->pending[det->n_pending++] = *cand;
        } else {
            det->lost += 1u;
        }
    }
}

static void cw_qrs_finish_learning(cw_qrs_t *det, cw_qrs_sink_t *sink)
{
    double top = 0.0, low[CW_QRS_HELD];
    double noise = 0.0;
    uint32_t i, n_low = 0;
    det->learning = 0;
    for (i = 0; i < det->n_held; ++i) {
        if (i == 0 || det->held[i].height > top) {
            top = det->held[i].height;
        }
    }
    for (i = 0; i < det->n_held; ++i) {
        if (det->held[i].height < 0.5 * top) {
            low[n_low++] = det->held[i].height;
        }
    }
    if (n_low > 0) {
        /* np.median over up to CW_QRS_HELD values: sort in place (insertion) */
        uint32_t a, b;
        for (a = 1; a < n_low; ++a) {
            const double v = low[a];
            for (b = a; b > 0 && low[b - 1] > v; --b) {
                low[b] = low[b - 1];
            }
            low[b] = v;
        }
        noise = (n_low % 2u) ? low[n_low / 2u] : 0.5 * (low[n_low / 2u - 1u] + low[n_low / 2u]);
    }
    push_level(det->qrs_levels, &det->n_qrs, &det->i_qrs, top);
    push_level(det->noise_levels, &det->n_noise, &det->i_noise, noise);
    for (i = 0; i < det->n_held; ++i) {
        cw_qrs_search_back_until(det, det->held[i].m, sink);
        cw_qrs_classify(det, &det->held[i], sink);
    }
    det->n_held = 0;
}

static void cw_qrs_on_candidate(cw_qrs_t *det, const cw_qrs_cand_t *cand, cw_qrs_sink_t *sink)
{
    if (det->learning) {
        if (det->learn_end < 0) {
            det->learn_end = cand->m + (int64_t)det->cfg->learn;
        }
        if (cand->m < det->learn_end) {
            if (det->n_held < CW_QRS_HELD) {
                det->held[det->n_held++] = *cand;
            } else {
                det->lost += 1u;
            }
            return;
        }
        cw_qrs_finish_learning(det, sink);
    }
    cw_qrs_search_back_until(det, cand->m, sink);
    cw_qrs_classify(det, cand, sink);
}

/* Python QrsDetector._scan: candidates in [scan_from, final), then learning and search-back. */
static void cw_qrs_scan(cw_qrs_t *det, int64_t final, cw_qrs_sink_t *sink)
{
    int64_t m;
    if (final > det->scan_from) {
        for (m = det->scan_from; m < final; ++m) {
            if (cw_qrs_is_candidate(det, m, det->n_seen)) {
                const cw_qrs_cand_t cand = cw_qrs_describe(det, m);
                if (!cw_qrs_near_bad(det, cand.r)) { /* near flagged samples: neither counts nor trains */
                    cw_qrs_on_candidate(det, &cand, sink);
                }
            }
        }
        det->scan_from = final;
    }
    if (det->learning && det->n_held > 0 && det->learn_end >= 0 && final >= det->learn_end) {
        cw_qrs_finish_learning(det, sink);
    }
    if (!det->learning) {
        cw_qrs_search_back_until(det, final, sink);
    }
}

size_t cw_qrs_process(cw_qrs_t *det, const int32_t *x, size_t n, cw_beat_t *out, size_t out_cap)
{
    cw_qrs_sink_t sink;
    size_t i;
    if (det == 0 || det->cfg == 0 || (x == 0 && n != 0)) {
        return 0;
    }
    sink.det = det;
    sink.out = out;
    sink.cap = out == 0 ? 0u : out_cap;
    sink.count = 0;
    for (i = 0; i < n; ++i) {
        cw_qrs_append(det, x[i]);
        cw_qrs_scan(det, det->n_seen - (int64_t)det->cfg->half_window, &sink);
    }
    return sink.count;
}

size_t cw_qrs_flush(cw_qrs_t *det, cw_beat_t *out, size_t out_cap)
{
    cw_qrs_sink_t sink;
    if (det == 0 || det->cfg == 0) {
        return 0;
    }
    sink.det = det;
    sink.out = out;
    sink.cap = out == 0 ? 0u : out_cap;
    sink.count = 0;
    cw_qrs_scan(det, det->n_seen, &sink);
    return sink.count;
}
