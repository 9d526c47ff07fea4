#include "cw_ppg.h"

#include "cw_iir.h"

#define Y_MASK (CW_PPG_HISTORY - 1u)
#define W_MASK (CW_PPG_WINDOW - 1u)

typedef struct {
    int64_t *out;
    size_t cap;
    size_t count;
} cw_ppg_sink_t;

static void emit(cw_ppg_sink_t *sink, int64_t fiducial)
{
    if (sink->count < sink->cap) {
        sink->out[sink->count] = fiducial;
    }
    sink->count += 1u; /* counted even when it does not fit: the caller sees the loss */
}

static double y_at(const cw_ppg_t *det, int64_t k)
{
    return (double)det->y_hist[(uint64_t)k & Y_MASK];
}

static int64_t max_i64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

cw_err_t cw_ppg_init(cw_ppg_t *det, const cw_ppg_cfg_t *cfg)
{
    if (det == 0 || cfg == 0) {
        return CW_ERR_ARG;
    }
    det->cfg = 0;
    if (cfg->fs <= 0.0 || cfg->n_sections == 0u || cfg->n_sections > CW_PPG_MAX_SECTIONS || cfg->w_peak == 0u
        || cfg->w_beat == 0u || cfg->w_beat > CW_PPG_WINDOW || cfg->w_peak > CW_PPG_WINDOW
        || cfg->shift >= CW_PPG_WINDOW || cfg->hist_len + 2u > CW_PPG_HISTORY) {
        return CW_ERR_ARG;
    }
    det->cfg = cfg;
    cw_ppg_reset(det);
    return CW_OK;
}

void cw_ppg_reset(cw_ppg_t *det)
{
    uint32_t i;
    if (det == 0 || det->cfg == 0) {
        return;
    }
    for (i = 0; i < CW_PPG_HISTORY; ++i) {
        det->y_hist[i] = 0.0f;
    }
    for (i = 0; i < CW_PPG_WINDOW; ++i) {
        det->z_hist[i] = 0.0;
        det->peak_delay[i] = 0.0;
    }
    for (i = 0; i < CW_PPG_MAX_SECTIONS * 2u; ++i) {
        det->state[i] = 0.0;
    }
    det->ema_zi = 0.0;
    det->n = 0;
    det->started = 0;
    det->in_block = 0;
    det->block_start = 0;
    det->has_pending = 0;
    det->n_recent_fid = 0;
    det->n_recent_amp = 0;
    det->n_recent_slope = 0;
    det->n_recent_secondary = 0;
    det->small_run = 0;
}

/* Mean of the last w energies ending at sample n (zeros before the start, as lfilter's zi = 0). */
static double moving_mean(const cw_ppg_t *det, int64_t n, uint32_t w)
{
    const double b = 1.0 / (double)w;
    double sum = 0.0;
    int64_t j;
    for (j = n; j > n - (int64_t)w && j >= 0; --j) {
        sum += b * det->z_hist[(uint64_t)j & W_MASK];
    }
    return sum;
}

/* Python PpgPulseDetector._locate with its history start h0 (as when fed one sample per call). */
static int cw_ppg_locate(const cw_ppg_t *det, int64_t start, int64_t end, int64_t h0, int64_t last,
                         cw_ppg_cand_t *cand)
{
    const cw_ppg_cfg_t *cfg = det->cfg;
    const int64_t lo_block = max_i64(start, h0 + 1);
    int64_t peak, lo, foot, k, fid;
    double best;
    if (end - 1 > last || end <= lo_block) {
        return 0;
    }
    peak = lo_block;
    best = y_at(det, lo_block);
    for (k = lo_block + 1; k < end; ++k) {
        if (y_at(det, k) > best) {
            best = y_at(det, k);
            peak = k;
        }
    }
    lo = max_i64(peak - (int64_t)cfg->rise_max, h0 + 1);
    foot = lo;
    for (k = lo; k < peak; ++k) { /* the last fall (d <= 0) before the peak ends the foot search */
        if (y_at(det, k + 1) - y_at(det, k) <= 0.0) {
            foot = k + 1;
        }
    }
    if (peak - foot < 1) {
        return 0;
    }
    if (peak - foot + 1 >= 3) {
        double steepest = 0.0;
        fid = foot + 1;
        cand->slope = 0.0;
        for (k = foot + 1; k <= peak - 1; ++k) {
            const double slope = y_at(det, k + 1) - y_at(det, k - 1);
            if (k == foot + 1 || slope > steepest) {
                steepest = slope;
                fid = k;
            }
        }
        cand->slope = steepest;
    } else {
        fid = peak;
        cand->slope = y_at(det, peak) - y_at(det, foot);
    }
    /* integer input has no bad samples; the start counts as one (last bad sample = -1) */
    if (fid + 1 <= (int64_t)cfg->settle) {
        return 0;
    }
    cand->fiducial = fid;
    cand->foot = foot;
    cand->amplitude = y_at(det, peak) - y_at(det, foot);
    return 1;
}

/* Append to a "deque(maxlen=cap)" of doubles. */
static void push_double(double *v, uint32_t *n, uint32_t cap, double x)
{
    uint32_t i;
    if (*n == cap) {
        for (i = 1; i < cap; ++i) {
            v[i - 1u] = v[i];
        }
        *n -= 1u;
    }
    v[(*n)++] = x;
}

static void push_recent_fid(cw_ppg_t *det, int64_t fid)
{
    uint32_t i;
    if (det->n_recent_fid == CW_PPG_RECENT) {
        for (i = 1; i < CW_PPG_RECENT; ++i) {
            det->recent_fid[i - 1u] = det->recent_fid[i];
        }
        det->n_recent_fid -= 1u;
    }
    det->recent_fid[det->n_recent_fid++] = fid;
}

/* np.median of up to CW_PPG_RECENT values (sorted copy). */
static double median_of(const double *v, uint32_t n)
{
    double s[CW_PPG_RECENT];
    uint32_t i, j;
    for (i = 0; i < n; ++i) {
        const double x = v[i];
        for (j = i; j > 0 && s[j - 1u] > x; --j) {
            s[j] = s[j - 1u];
        }
        s[j] = x;
    }
    return n == 0 ? 0.0 : ((n % 2u) ? s[n / 2u] : 0.5 * (s[n / 2u - 1u] + s[n / 2u]));
}

/* Python _steepest_rise: (slope, sample) of the steepest central-difference rise of y in [lo, hi],
 * the history being y[h0 .. last]. */
static int cw_ppg_steepest_rise(const cw_ppg_t *det, int64_t lo, int64_t hi, int64_t h0, int64_t last,
                                double *slope_out, int64_t *at)
{
    int64_t k, best = -1;
    double best_slope = 0.0;
    lo = max_i64(lo, h0 + 1);
    hi = hi < last - 1 ? hi : last - 1;
    if (hi - lo < 1) {
        return 0;
    }
    for (k = lo; k <= hi; ++k) {
        const double slope = y_at(det, k + 1) - y_at(det, k - 1);
        if (best < 0 || slope > best_slope) {
            best_slope = slope;
            best = k;
        }
    }
    if (best_slope <= 0.0) {
        return 0;
    }
    *slope_out = best_slope;
    *at = best;
    return 1;
}

/* Python _search_back: the steepest large upstroke between two pulses too far apart. */
static int cw_ppg_search_back(const cw_ppg_t *det, int64_t after, int64_t before, int64_t h0, int64_t last,
                              int64_t *found)
{
    const cw_ppg_cfg_t *cfg = det->cfg;
    double rise, floor;
    int64_t fid;
    if (!cw_ppg_steepest_rise(det, after + (int64_t)cfg->refractory, before - (int64_t)cfg->refractory, h0, last,
                              &rise, &fid)) {
        return 0;
    }
    floor = cfg->search_min_slope * median_of(det->recent_slope, det->n_recent_slope);
    if (det->n_recent_secondary > 0u) {
        const double dicrotic = cfg->search_over_dicrotic * median_of(det->recent_secondary, det->n_recent_secondary);
        floor = dicrotic > floor ? dicrotic : floor;
    }
    /* integer input has no bad samples; the start counts as one (last bad sample = -1) */
    if (rise < floor || fid + 1 <= (int64_t)cfg->settle) {
        return 0;
    }
    *found = fid;
    return 1;
}

/* Python _emit: report a pulse, after the one a search-back finds before it. */
static void cw_ppg_emit(cw_ppg_t *det, const cw_ppg_cand_t *cand, int64_t h0, int64_t last, cw_ppg_sink_t *sink)
{
    const cw_ppg_cfg_t *cfg = det->cfg;
    if (cfg->search_back && det->n_recent_fid >= 5u) {
        double gaps[CW_PPG_RECENT];
        uint32_t i;
        const int64_t prev = det->recent_fid[det->n_recent_fid - 1u];
        const int64_t gap = cand->fiducial - prev;
        double interval;
        int64_t found;
        for (i = 1; i < det->n_recent_fid; ++i) {
            gaps[i - 1u] = (double)(det->recent_fid[i] - det->recent_fid[i - 1u]);
        }
        interval = median_of(gaps, det->n_recent_fid - 1u);
        if (interval * cfg->search_ratio < (double)gap) {
            if (gap <= (int64_t)cfg->search_gap_max && cw_ppg_search_back(det, prev, cand->fiducial, h0, last, &found)) {
                emit(sink, found);
                push_recent_fid(det, found);
            }
        } else {
            /* the largest rise inside a normal interval: the dicrotic wave, the level to beat */
            double rise = 0.0;
            int64_t at;
            if (!cw_ppg_steepest_rise(det, prev + (int64_t)cfg->refractory, cand->foot, h0, last, &rise, &at)) {
                rise = 0.0;
            }
            push_double(det->recent_secondary, &det->n_recent_secondary, CW_PPG_RECENT - 1u, rise);
        }
    }
    emit(sink, cand->fiducial);
    push_recent_fid(det, cand->fiducial);
    push_double(det->recent_amp, &det->n_recent_amp, CW_PPG_RECENT - 1u, cand->amplitude);
    push_double(det->recent_slope, &det->n_recent_slope, CW_PPG_RECENT - 1u, cand->slope);
}

/* Python _too_small: a separate candidate far smaller than recent pulses is a rebound or noise;
 * small_run_reset in a row mean the pulse itself got smaller: start over. */
static int cw_ppg_too_small(cw_ppg_t *det, const cw_ppg_cand_t *cand)
{
    const cw_ppg_cfg_t *cfg = det->cfg;
    if (det->n_recent_amp < 3u || cand->amplitude >= cfg->min_rise * median_of(det->recent_amp, det->n_recent_amp)) {
        det->small_run = 0;
        return 0;
    }
    det->small_run += 1u;
    if (det->small_run < cfg->small_run_reset) {
        return 1;
    }
    det->n_recent_amp = 0;
    det->small_run = 0;
    return 0;
}

static void cw_ppg_close_block(cw_ppg_t *det, int64_t start, int64_t end, int64_t h0, int64_t last,
                               cw_ppg_sink_t *sink)
{
    cw_ppg_cand_t cand;
    if (end - start < (int64_t)det->cfg->w_peak || !cw_ppg_locate(det, start, end, h0, last, &cand)) {
        return;
    }
    if (det->has_pending && cand.fiducial - det->pending.fiducial < (int64_t)det->cfg->refractory) {
        if (cand.amplitude > det->pending.amplitude) {
            det->pending = cand;
        }
        return;
    }
    if (det->has_pending) { /* final: emitted before cand is judged, as a chunk end would have */
        cw_ppg_emit(det, &det->pending, h0, last, sink);
        det->has_pending = 0;
    }
    if (cw_ppg_too_small(det, &cand)) {
        return;
    }
    det->pending = cand;
    det->has_pending = 1;
}

static void cw_ppg_step(cw_ppg_t *det, int32_t sample, cw_ppg_sink_t *sink)
{
    const cw_ppg_cfg_t *cfg = det->cfg;
    cw_iir_t band = {cfg->sos, det->state, cfg->n_sections};
    const double x = (double)sample;
    const int64_t n = det->n;
    const int64_t m = n - (int64_t)cfg->delay;
    double y, zp, z, ma_peak, ma_beat, ema, aligned;
    int boi;
    if (!det->started) {
        cw_iir_start(&band, cfg->zi, x);
        det->started = 1;
    }
    y = cw_iir_step(&band, x);
    zp = y > 0.0 ? y : 0.0;
    z = zp * zp;
    det->y_hist[(uint64_t)n & Y_MASK] = (float)y;
    det->z_hist[(uint64_t)n & W_MASK] = z;
    ma_peak = moving_mean(det, n, cfg->w_peak);
    ma_beat = moving_mean(det, n, cfg->w_beat);
    ema = cfg->ema_a * z + det->ema_zi; /* lfilter([a], [1, a - 1]) */
    det->ema_zi = -((cfg->ema_a - 1.0) * ema);
    /* the short average of sample n - shift (zero before the start) */
    aligned = cfg->shift == 0u ? ma_peak : (n >= (int64_t)cfg->shift ? det->peak_delay[(uint64_t)(n - cfg->shift) & W_MASK] : 0.0);
    det->peak_delay[(uint64_t)n & W_MASK] = ma_peak;
    det->n = n + 1;
    boi = aligned > ma_beat + cfg->beta * ema && m >= 0;
    if (boi && !det->in_block) {
        det->in_block = 1;
        det->block_start = m;
    } else if (!boi && det->in_block) {
        det->in_block = 0;
        cw_ppg_close_block(det, det->block_start, m, max_i64(0, n - (int64_t)cfg->hist_len), n, sink);
    }
    if (det->has_pending) {
        const int64_t earliest = (det->in_block ? det->block_start : m + 1) - (int64_t)cfg->rise_max;
        if (earliest - det->pending.fiducial >= (int64_t)cfg->refractory) {
            cw_ppg_emit(det, &det->pending, max_i64(0, n - (int64_t)cfg->hist_len), n, sink);
            det->has_pending = 0;
        }
    }
}

size_t cw_ppg_process(cw_ppg_t *det, const int32_t *x, size_t n, int64_t *out, size_t out_cap)
{
    cw_ppg_sink_t sink;
    size_t i;
    if (det == 0 || det->cfg == 0 || (x == 0 && n != 0)) {
        return 0;
    }
    sink.out = out;
    sink.cap = out == 0 ? 0u : out_cap;
    sink.count = 0;
    for (i = 0; i < n; ++i) {
        cw_ppg_step(det, x[i], &sink);
    }
    return sink.count < sink.cap ? sink.count : sink.cap;
}

size_t cw_ppg_flush(cw_ppg_t *det, int64_t *out, size_t out_cap)
{
    cw_ppg_sink_t sink;
    int64_t h0;
    if (det == 0 || det->cfg == 0) {
        return 0;
    }
    /* as after the Python detector's last trim: history y[n - hist_len .. n - 1] */
    h0 = max_i64(0, det->n - (int64_t)det->cfg->hist_len);
    sink.out = out;
    sink.cap = out == 0 ? 0u : out_cap;
    sink.count = 0;
    if (det->in_block) {
        const int64_t end = max_i64(det->n - (int64_t)det->cfg->delay, det->block_start);
        cw_ppg_close_block(det, det->block_start, end, h0, det->n - 1, &sink);
        det->in_block = 0;
    }
    if (det->has_pending) {
        cw_ppg_emit(det, &det->pending, h0, det->n - 1, &sink);
        det->has_pending = 0;
    }
    return sink.count < sink.cap ? sink.count : sink.cap;
}
