/* cw_vf.c - streaming shockable-rhythm detector (see cw_vf.h and cardiowatch/signal/vf.py). */
#include "cw_vf.h"


#define VF_EPS 1e-12f
#define VF_PI 3.14159265358979323846
#define TCSC_LEVEL 0.2f
#define SLOPE_LEVEL 0.2f
#define MISSING_MAX_SHARE 0.10f
#define VF_BAND_LO_HZ 2.5f
#define VF_BAND_HI_HZ 7.5f
#define HIGH_BAND_HZ 12.0f

#ifdef CW_VF_PROFILE
#define MARK(stage) cw_vf_profile_mark(stage)
#else
#define MARK(stage) ((void)0)
#endif

/* The core is freestanding (no libc): these stand in for <math.h> and <string.h>. */
static int finite_f(float x)
{
    return x == x && (x - x) == 0.0f; /* NaN != NaN; inf - inf is NaN */
}

static float abs_f(float x)
{
    return x < 0.0f ? -x : x;
}

static void copy_f(float *dst, const float *src, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        dst[i] = src[i];
    }
}

/* cos and sin of k x step for k = 0, 1, ...: one rotation per step. */
typedef struct {
    double c, s;
    const double *step; /* cos, sin */
} rotation_t;

static void rotate(rotation_t *r)
{
    const double c = r->c * r->step[0] - r->s * r->step[1];
    r->s = r->s * r->step[0] + r->c * r->step[1];
    r->c = c;
}

enum { F_TCSC, F_MAV, F_LEAKAGE, F_DOM, F_MEAN, F_BW, F_VF_SHARE, F_HIGH, F_KURT, F_ACF, F_RATE, F_PSR, F_SLOPE };

cw_err_t cw_vf_init(cw_vf_t *d, const cw_vf_cfg_t *cfg)
{
    const cw_vf_rate_t *r;
    const cw_vf_model_t *m;
    uint8_t i;
    if (d == NULL || cfg == NULL || cfg->rate == NULL || cfg->model == NULL || cfg->raw == NULL ||
        cfg->filt == NULL || cfg->scratch == NULL) {
        return CW_ERR_ARG;
    }
    r = cfg->rate;
    m = cfg->model;
    if (r->window < 8u || r->hop == 0u || r->hop > r->window || r->acf_lo == 0u || r->acf_hi < r->acf_lo ||
        r->acf_hi >= r->window || r->psr_delay == 0u || r->psr_delay >= r->window || r->flat_min < 2u ||
        r->bin_hi < r->bin_lo || r->bin_hi > r->window / 2u || r->bin_hi - r->bin_lo >= CW_VF_MAX_BINS ||
        r->n_sections == 0u ||
        r->n_sections > CW_VF_MAX_SECTIONS || r->sos == NULL || r->zi_unit == NULL) {
        return CW_ERR_ARG;
    }
    if (m->n_trees == 0u || m->depth > 15u || m->n_lags > CW_VF_MAX_LAGS || m->n_enter == 0u || m->n_exit == 0u ||
        r->hann_step[0] >= 1.0 || r->bin_step[0] >= 1.0) {
        return CW_ERR_ARG;
    }
    for (i = 0; i < m->n_lags; ++i) {
        if (m->lags[i] == 0u || m->lags[i] > CW_VF_MAX_LAG) {
            return CW_ERR_ARG;
        }
    }
    d->cfg = *cfg;
    if (cw_iir_init(&d->iir, r->sos, d->iir_state, r->n_sections) != CW_OK) {
        return CW_ERR_UNSTABLE;
    }
    cw_vf_reset(d);
    return CW_OK;
}

void cw_vf_reset(cw_vf_t *d)
{
    const cw_vf_rate_t *r = d->cfg.rate;
    cw_iir_reset(&d->iir);
    d->started = 0;
    d->last_finite = 0.0f;
    d->n_seen = 0;
    d->next_end = (int64_t)(((r->window + r->hop - 1u) / r->hop) * r->hop);
    d->pos = 0;
    d->n_windows = 0;
    d->in_vf = 0;
    d->run = 0;
}

/* The window in time order (oldest first) from a ring whose next write index is `pos`. */
static void ring_copy(const float *ring, uint32_t pos, uint32_t n, float *out)
{
    copy_f(out, ring + pos, (size_t)(n - pos));
    copy_f(out + (n - pos), ring, (size_t)pos);
}

static cw_vf_quality_t window_quality(const float *x, uint32_t n, uint32_t flat_min)
{
    uint32_t i, missing = 0, run = 1;
    float lo = 0.0f, hi = 0.0f;
    int any = 0, flat = 0, clipped = 0;
    for (i = 0; i < n; ++i) {
        if (!finite_f(x[i])) {
            ++missing;
        } else if (!any) {
            lo = hi = x[i];
            any = 1;
        } else {
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
        }
    }
    if ((float)missing / (float)n > MISSING_MAX_SHARE) {
        return CW_VF_QUALITY_MISSING;
    }
    if (!(hi > lo)) {
        return CW_VF_QUALITY_FLAT;
    }
    for (i = 1; i < n; ++i) {
        run = (x[i] == x[i - 1]) ? run + 1u : 1u; /* NaN never equals: it breaks a run */
        if (run >= flat_min) {
            flat = 1;
            if (x[i] == hi || x[i] == lo) {
                clipped = 1;
            }
        }
    }
    return clipped ? CW_VF_QUALITY_CLIPPED : flat ? CW_VF_QUALITY_FLAT : CW_VF_QUALITY_OK;
}

static float leakage(const float *x, uint32_t n)
{
    float sum_abs = 0.0f, sum_diff = VF_EPS, num = 0.0f, den = VF_EPS;
    uint32_t i, half;
    float h;
    for (i = 0; i < n; ++i) {
        sum_abs += abs_f(x[i]);
        if (i > 0u) {
            sum_diff += abs_f(x[i] - x[i - 1u]);
        }
    }
    h = (float)VF_PI * sum_abs / sum_diff + 0.5f; /* >= 0.5: truncation is floor */
    half = h < 1.0f ? 1u : (h >= (float)n ? n - 1u : (uint32_t)h);
    for (i = half; i < n; ++i) {
        num += abs_f(x[i] + x[i - half]);
        den += abs_f(x[i]) + abs_f(x[i - half]);
    }
    return num / den;
}

/* Spectral features of a Hann-weighted window `xw` (Goertzel per rfft bin of 0.5-30 Hz). F_BW holds the
 * spectral variance (Hz^2): the exported trees compare it with their squared bandwidth splits. */
static void spectrum_features(const cw_vf_rate_t *r, const float *xw, float *f)
{
    double power[CW_VF_MAX_BINS];
    uint32_t n = r->window, i, k;
    double total = VF_EPS, moment = 0.0, best = -1.0, vf = 0.0, high = 0.0, mean_hz, spread = 0.0;
    double dom = 0.0;
    rotation_t bin = {1.0, 0.0, r->bin_step};
    for (k = 0; k < r->bin_lo; ++k) {
        rotate(&bin);
    }
    for (k = r->bin_lo; k <= r->bin_hi; ++k, rotate(&bin)) {
        const float coeff = (float)(2.0 * bin.c); /* 2 cos(2 pi k / n) */
        float s1 = 0.0f, s2 = 0.0f;
        double hz = (double)k * (double)r->fs / (double)n, p;
        for (i = 0; i < n; ++i) { /* float: the ESP32's FPU does it (double would be soft-float) */
            const float s0 = xw[i] + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        p = (double)s1 * s1 + (double)s2 * s2 - (double)coeff * s1 * s2;
        power[k - r->bin_lo] = p;
        total += p;
        moment += p * hz;
        if (p > best) {
            best = p;
            dom = hz;
        }
        if (hz >= VF_BAND_LO_HZ && hz <= VF_BAND_HI_HZ) {
            vf += p;
        }
        if (hz >= HIGH_BAND_HZ) {
            high += p;
        }
    }
    mean_hz = moment / total;
    for (k = r->bin_lo; k <= r->bin_hi; ++k) {
        double hz = (double)k * (double)r->fs / (double)n;
        spread += power[k - r->bin_lo] * (hz - mean_hz) * (hz - mean_hz);
    }
    f[F_DOM] = (float)dom;
    f[F_MEAN] = (float)mean_hz;
    f[F_BW] = (float)(spread / total);
    f[F_VF_SHARE] = (float)(vf / total);
    f[F_HIGH] = (float)(high / total);
}

static void acf_features(const cw_vf_rate_t *r, const float *x, float *f)
{
    uint32_t n = r->window, i, lag;
    double r0 = 0.0, best = -2.0; /* a normalised autocorrelation is >= -1 */
    uint32_t best_lag = r->acf_lo;
    for (i = 0; i < n; ++i) {
        r0 += (double)x[i] * (double)x[i];
    }
    for (lag = r->acf_lo; lag <= r->acf_hi; ++lag) {
        float s = 0.0f;
        double v;
        for (i = 0; i + lag < n; ++i) {
            s += x[i] * x[i + lag];
        }
        v = (double)s / (r0 + VF_EPS);
        if (v > best) {
            best = v;
            best_lag = lag;
        }
    }
    f[F_ACF] = (float)best;
    f[F_RATE] = r->fs / (float)best_lag;
}

static float psr(const float *x, uint32_t n, uint32_t delay)
{
    uint8_t visited[(CW_VF_PSR_BOXES * CW_VF_PSR_BOXES + 7u) / 8u] = {0};
    float lo = x[0], hi = x[0], span;
    uint32_t i, count = 0;
    for (i = 1; i < n; ++i) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    span = hi - lo + VF_EPS;
    for (i = 0; i + delay < n; ++i) {
        uint32_t a = (uint32_t)((float)CW_VF_PSR_BOXES * (x[i] - lo) / span);
        uint32_t b = (uint32_t)((float)CW_VF_PSR_BOXES * (x[i + delay] - lo) / span);
        uint32_t cell;
        a = a > CW_VF_PSR_BOXES - 1u ? CW_VF_PSR_BOXES - 1u : a;
        b = b > CW_VF_PSR_BOXES - 1u ? CW_VF_PSR_BOXES - 1u : b;
        cell = a * CW_VF_PSR_BOXES + b;
        if (!(visited[cell / 8u] & (1u << (cell % 8u)))) {
            visited[cell / 8u] = (uint8_t)(visited[cell / 8u] | (1u << (cell % 8u)));
            ++count;
        }
    }
    return (float)count / (float)(CW_VF_PSR_BOXES * CW_VF_PSR_BOXES);
}

void cw_vf_features(const cw_vf_rate_t *r, float *x, float *f)
{
    uint32_t n = r->window, i, above = 0, steep = 0;
    double mean = 0.0, m2 = 0.0, m4 = 0.0, var;
    float peak = 0.0f, mav = 0.0f, slope_max = 0.0f;
    rotation_t hann = {1.0, 0.0, r->hann_step};
    for (i = 0; i < n; ++i) {
        mean += (double)x[i];
    }
    mean /= (double)n;
    for (i = 0; i < n; ++i) {
        x[i] = (float)((double)x[i] - mean);
        peak = abs_f(x[i]) > peak ? abs_f(x[i]) : peak;
        m2 += (double)x[i] * (double)x[i];
        m4 += (double)x[i] * (double)x[i] * (double)x[i] * (double)x[i];
        if (i > 0u && abs_f(x[i] - x[i - 1u]) > slope_max) {
            slope_max = abs_f(x[i] - x[i - 1u]);
        }
    }
    peak += VF_EPS;
    for (i = 0; i < n; ++i) {
        above += abs_f(x[i]) > TCSC_LEVEL * peak;
        mav += abs_f(x[i]) / peak;
        if (i > 0u) {
            steep += abs_f(x[i] - x[i - 1u]) > SLOPE_LEVEL * (slope_max + VF_EPS);
        }
    }
    f[F_TCSC] = (float)above / (float)n;
    f[F_MAV] = mav / (float)n;
    var = m2 / (double)n + (double)VF_EPS;
    f[F_KURT] = (float)((m4 / (double)n) / (var * var)); /* the trees compare it with exp(their log splits) */
    f[F_SLOPE] = (float)steep / (float)(n - 1u);
    MARK(CW_VF_STAGE_MOMENTS);
    f[F_LEAKAGE] = leakage(x, n);
    MARK(CW_VF_STAGE_LEAKAGE);
    acf_features(r, x, f);
    MARK(CW_VF_STAGE_ACF);
    f[F_PSR] = psr(x, n, r->psr_delay);
    MARK(CW_VF_STAGE_PSR);
    for (i = 0; i < n; ++i, rotate(&hann)) { /* last: the spectrum reads the Hann-weighted window, in place */
        x[i] *= (float)(0.5 - 0.5 * hann.c); /* numpy.hanning(n)[i] */
    }
    spectrum_features(r, x, f);
    MARK(CW_VF_STAGE_SPECTRUM);
}

void cw_vf_model_bins(const cw_vf_model_t *m, const float *features, cw_vf_bin_t *bins)
{
    uint8_t f;
    for (f = 0; f < CW_VF_N_FEATURES; ++f) {
        /* binary search for the first threshold >= the value (NaN is <= none: it goes right everywhere) */
        uint16_t lo = m->threshold_start[f], hi = m->threshold_start[f + 1u];
        const uint16_t first = lo;
        while (lo < hi) {
            uint16_t mid = (uint16_t)(lo + (hi - lo) / 2u);
            if (features[f] <= m->thresholds[mid]) {
                hi = mid;
            } else {
                lo = (uint16_t)(mid + 1u);
            }
        }
        bins[f] = (cw_vf_bin_t)(lo - first);
    }
}

float cw_vf_model_logit(const cw_vf_model_t *m, const cw_vf_bin_t *const *bins)
{
    const uint32_t n_inner = (1u << m->depth) - 1u;
    const uint8_t *input = m->input;
    const cw_vf_bin_t *bin = m->bin;
    const int16_t *leaf = m->leaf;
    int32_t sum = 0; /* integer leaves: the sum is exact and costs no float additions */
    uint16_t t;
    for (t = 0; t < m->n_trees; ++t) {
        uint32_t node = 0;
        while (node < n_inner) {
            uint8_t in = input[node];
            cw_vf_bin_t b = bins[in / CW_VF_N_FEATURES][in % CW_VF_N_FEATURES];
            node = 2u * node + (b <= bin[node] ? 1u : 2u);
        }
        sum += leaf[node - n_inner];
        input += n_inner;
        bin += n_inner;
        leaf += n_inner + 1u;
    }
    return m->baseline + m->leaf_scale * (float)sum;
}

static void judge(cw_vf_t *d, cw_vf_window_t *out)
{
    const cw_vf_rate_t *r = d->cfg.rate;
    const cw_vf_model_t *m = d->cfg.model;
    float row[CW_VF_N_FEATURES];
    const cw_vf_bin_t *slots[1u + CW_VF_MAX_LAGS];
    cw_vf_bin_t *bins = d->history[d->n_windows % (int64_t)(CW_VF_MAX_LAG + 1u)];
    uint8_t i, shockable = 0;
    cw_vf_quality_t quality;
    float logit;

    MARK(CW_VF_STAGE_FILTER);
    ring_copy(d->cfg.raw, d->pos, r->window, d->cfg.scratch);
    quality = window_quality(d->cfg.scratch, r->window, r->flat_min);
    MARK(CW_VF_STAGE_QUALITY);
    ring_copy(d->cfg.filt, d->pos, r->window, d->cfg.scratch);
    cw_vf_features(r, d->cfg.scratch, row);
    cw_vf_model_bins(m, row, bins);
    if (d->n_windows == 0) {
        for (i = 0; i < CW_VF_N_FEATURES; ++i) {
            d->first[i] = bins[i];
        }
    }
    slots[0] = bins;
    for (i = 0; i < m->n_lags; ++i) {
        int64_t w = d->n_windows - (int64_t)m->lags[i];
        slots[i + 1u] = w < 0 ? d->first : d->history[w % (int64_t)(CW_VF_MAX_LAG + 1u)];
    }
    logit = cw_vf_model_logit(m, slots);
    if (quality == CW_VF_QUALITY_OK && logit >= m->threshold_logit) {
        shockable = 1;
    }
    out->changed = 0;
    if (shockable != d->in_vf) {
        ++d->run;
        if (d->run >= (d->in_vf ? m->n_exit : m->n_enter)) {
            d->in_vf = shockable;
            d->run = 0;
            out->changed = 1;
        }
    } else {
        d->run = 0;
    }
    out->end = d->n_seen;
    out->start = d->n_seen - (int64_t)r->window;
    out->logit = logit;
    out->shockable = shockable;
    out->in_vf = d->in_vf;
    out->quality = (uint8_t)quality;
    ++d->n_windows;
    MARK(CW_VF_STAGE_MODEL);
}

int cw_vf_push(cw_vf_t *d, float x, cw_vf_window_t *out)
{
    const cw_vf_rate_t *r = d->cfg.rate;
    float y = 0.0f;
    float held = finite_f(x) ? x : d->last_finite;
    if (finite_f(x) || d->started) {
        if (!d->started) {
            cw_iir_start(&d->iir, r->zi_unit, (double)held);
            d->started = 1;
        }
        y = (float)cw_iir_step(&d->iir, (double)held);
        d->last_finite = held;
    }
    d->cfg.raw[d->pos] = x;
    d->cfg.filt[d->pos] = y;
    d->pos = d->pos + 1u == r->window ? 0u : d->pos + 1u;
    ++d->n_seen;
    if (d->n_seen < d->next_end) {
        return 0;
    }
    d->next_end += (int64_t)r->hop;
    judge(d, out);
    return 1;
}
