#include "cw_rhythm.h"

#include "cw_params.h"

/* The model header is generated (emlearn): keep its style out of this unit's warnings. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wfloat-conversion"
#endif
#include "cw_rhythm_model.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* C99 static assertions: the model must fit the fixed buffers */
typedef char cw_rhythm_window_fits[(CW_RHYTHM_WINDOW <= CW_RHYTHM_WINDOW_MAX) ? 1 : -1];
typedef char cw_rhythm_features_fit[(CW_RHYTHM_N_FEATURES == CW_RHYTHM_FEATURES) ? 1 : -1];

static double sqrt_d(double x)
{
#if defined(__GNUC__)
    return __builtin_sqrt(x); /* correctly rounded, as numpy's */
#else
    /* Newton's method for compilers without the builtin (x >= 0) */
    double r = x > 1.0 ? x : 1.0;
    int i;
    if (!(x > 0.0)) {
        return 0.0;
    }
    for (i = 0; i < 64; ++i) {
        r = 0.5 * (r + x / r);
    }
    return r;
#endif
}

static double fabs_d(double x)
{
    return x < 0.0 ? -x : x;
}

static void sort_d(double *v, size_t n)
{
    size_t i, j;
    for (i = 1; i < n; ++i) {
        const double x = v[i];
        for (j = i; j > 0 && v[j - 1] > x; --j) {
            v[j] = v[j - 1];
        }
        v[j] = x;
    }
}

/* _sorted_quantile: linear interpolation between order statistics of sorted `xs` (np.percentile "linear") */
static double quantile_sorted(const double *xs, size_t n, double q)
{
    const double pos = q * (double)(n - 1u);
    const size_t i = (size_t)pos;
    const double frac = pos - (double)i;
    if (frac == 0.0) {
        return xs[i];
    }
    return xs[i] + (xs[i + 1u] - xs[i]) * frac;
}

static float ratio_f(double num, double den)
{
    return (float)(num / den);
}

cw_err_t cw_rhythm_features(const double *rr, size_t window, float *out)
{
    double xs[CW_RHYTHM_WINDOW_MAX], d[CW_RHYTHM_WINDOW_MAX], ad[CW_RHYTHM_WINDOW_MAX];
    double mean = 0.0, var = 0.0, med, q25, q75, mad_d, mad_d8, sum_sq = 0.0, sum_prod = 0.0, rmssd, std;
    size_t i, n_d, n_turn = 0, n_near = 0, n_50 = 0;
    const size_t short_lo = (window - (size_t)CW_RHYTHM_SHORT_WINDOW) / 2u;
    if (rr == 0 || out == 0 || window < 2u * (size_t)CW_RHYTHM_SHORT_WINDOW || window > CW_RHYTHM_WINDOW_MAX) {
        return CW_ERR_ARG;
    }
    n_d = window - 1u;
    for (i = 0; i < window; ++i) {
        mean += rr[i];
        xs[i] = rr[i];
    }
    mean /= (double)window;
    for (i = 0; i < window; ++i) {
        var += (rr[i] - mean) * (rr[i] - mean);
    }
    std = sqrt_d(var / (double)window);
    sort_d(xs, window);
    med = quantile_sorted(xs, window, 0.5);
    q25 = quantile_sorted(xs, window, 0.25);
    q75 = quantile_sorted(xs, window, 0.75);
    for (i = 0; i < n_d; ++i) {
        d[i] = rr[i + 1u] - rr[i];
        ad[i] = fabs_d(d[i]);
        sum_sq += d[i] * d[i];
        n_50 += ad[i] > CW_RHYTHM_PNN50_S;
    }
    for (i = 0; i + 1u < n_d; ++i) {
        const double prod = d[i + 1u] * d[i];
        sum_prod += prod;
        n_turn += prod < 0.0;
    }
    for (i = 0; i < window; ++i) {
        n_near += fabs_d(rr[i] - med) < CW_RHYTHM_NEAR_MEDIAN_FRACTION * med;
    }
    /* the central short window of |dRR| first (its slice is taken before ad is sorted) */
    for (i = 0; i + 1u < (size_t)CW_RHYTHM_SHORT_WINDOW; ++i) {
        xs[i] = ad[short_lo + i];
    }
    sort_d(xs, (size_t)CW_RHYTHM_SHORT_WINDOW - 1u);
    mad_d8 = quantile_sorted(xs, (size_t)CW_RHYTHM_SHORT_WINDOW - 1u, 0.5);
    sort_d(ad, n_d);
    mad_d = quantile_sorted(ad, n_d, 0.5);
    rmssd = sqrt_d(sum_sq / (double)n_d);
    out[0] = ratio_f(rmssd, mean);
    out[1] = ratio_f(mad_d, med);
    out[2] = ratio_f(mad_d8, med);
    out[3] = ratio_f((double)n_turn, (double)(n_d - 1u));
    out[4] = ratio_f((double)n_near, (double)window);
    out[5] = ratio_f(std, mean);
    out[6] = ratio_f(60.0, mean);
    out[7] = ratio_f((double)n_50, (double)n_d);
    out[8] = ratio_f(q75 - q25, med);
    out[9] = sum_sq > 0.0 ? ratio_f(sum_prod, sum_sq) : 0.0f;
    out[10] = std > 0.0 ? ratio_f(rmssd, std) : 0.0f;
    return CW_OK;
}

float cw_rhythm_af_probability(const float *features)
{
    float proba[2];
    (void)cw_rhythm_model_predict_proba(features, (int32_t)CW_RHYTHM_N_FEATURES, proba, 2);
    return proba[1];
}

cw_err_t cw_rhythm_init(cw_rhythm_t *rt, double fs)
{
    if (rt == 0 || !(fs > 0.0)) {
        return CW_ERR_ARG;
    }
    rt->fs = fs;
    cw_rhythm_reset(rt);
    return CW_OK;
}

void cw_rhythm_reset(cw_rhythm_t *rt)
{
    uint32_t i;
    if (rt == 0) {
        return;
    }
    for (i = 0; i < CW_RHYTHM_WINDOW_MAX; ++i) {
        rt->rr[i] = 0.0;
    }
    rt->head = 0;
    rt->n_valid = 0;
    rt->last_sample = -1;
    rt->n_invalid = 0;
    rt->p_af = 0.0f;
    for (i = 0; i < CW_RHYTHM_FEATURES; ++i) {
        rt->features[i] = 0.0f;
    }
    rt->af_run = 0;
    rt->sinus_run = 0;
    rt->in_af = 0;
}

int cw_rhythm_beat(cw_rhythm_t *rt, int64_t sample, float *p_af)
{
    double window[CW_RHYTHM_WINDOW_MAX];
    double rr;
    uint32_t i;
    const uint32_t w = (uint32_t)CW_RHYTHM_WINDOW;
    if (rt == 0 || !(rt->fs > 0.0)) {
        return 0;
    }
    if (rt->last_sample < 0) {
        rt->last_sample = sample;
        return 0;
    }
    if (sample <= rt->last_sample) {
        rt->n_invalid += 1u; /* not increasing: dropped, as the Python tracker does */
        return 0;
    }
    rr = (double)(sample - rt->last_sample) / rt->fs;
    rt->last_sample = sample;
    if (!(rr >= CW_RHYTHM_MIN_RR_S && rr <= CW_RHYTHM_MAX_RR_S)) {
        rt->n_invalid += 1u; /* excluded from the features, never repaired */
        return 0;
    }
    rt->rr[rt->head] = rr;
    rt->head = (rt->head + 1u) % w;
    if (rt->n_valid < UINT32_MAX) {
        rt->n_valid += 1u;
    }
    if (rt->n_valid < w) {
        return 0;
    }
    for (i = 0; i < w; ++i) {
        window[i] = rt->rr[(rt->head + i) % w];
    }
    (void)cw_rhythm_features(window, w, rt->features);
    rt->p_af = cw_rhythm_af_probability(rt->features);
#ifdef CW_RHYTHM_THRESHOLD_AF_EXIT
    /* hysteresis: AF starts at the entry threshold and lasts while at or above the (lower) exit one */
    if (rt->p_af >= (rt->in_af ? CW_RHYTHM_THRESHOLD_AF_EXIT : CW_RHYTHM_THRESHOLD_AF)) {
#else
    if (rt->p_af >= CW_RHYTHM_THRESHOLD_AF) {
#endif
        rt->af_run += 1u;
        rt->sinus_run = 0;
        if (rt->af_run >= (uint32_t)CW_RHYTHM_MIN_AF_BEATS) {
            rt->in_af = 1;
        }
    } else {
        rt->sinus_run += 1u;
        rt->af_run = 0;
        if (rt->sinus_run >= (uint32_t)CW_RHYTHM_MIN_EXIT_BEATS) {
            rt->in_af = 0;
        }
    }
    if (p_af != 0) {
        *p_af = rt->p_af;
    }
    return 1;
}

int cw_rhythm_in_af(const cw_rhythm_t *rt)
{
    return rt != 0 && rt->in_af;
}
