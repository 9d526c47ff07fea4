/* cw_vf.c - streaming shockable-rhythm detector (see cw_vf.h and cardiowatch/signal/vf.py). */
#include "cw_vf.h"

#define VF_EPS 1e-12 /* the Python features' guard against zero, in signal units */
#define VF_PI 3.14159265358979323846
/* TCSC_LEVEL and SLOPE_LEVEL, 0.2 of the largest: `v > 0.2 largest` is `5 v > largest` on integers */
#define LEVEL_INVERSE 5
#define MISSING_MAX_SHARE 0.10f
#define VF_BAND_LO_HZ 2.5
#define VF_BAND_HI_HZ 7.5
#define HIGH_BAND_HZ 12.0
/* The fine scale puts a filtered window's largest magnitude in [2^22, 2^23): float's precision, and with
 * |x - mean| < 2^24 the products below (5 x slope, 40 x range) stay in int32. */
#define FINE_TOP_BIT 22
#define Q30_ONE ((int32_t)1 << 30)

#ifdef CW_VF_PROFILE
#define MARK(stage) cw_vf_profile_mark(stage)
#else
#define MARK(stage) ((void)0)
#endif

enum { F_TCSC, F_MAV, F_LEAKAGE, F_DOM, F_MEAN, F_BW, F_VF_SHARE, F_HIGH, F_KURT, F_ACF, F_RATE, F_PSR, F_SLOPE };

/* The core is freestanding (no libc): these stand in for <math.h>. */
typedef union {
    float f;
    uint32_t u;
} float_bits_t;

static int finite_f(float x)
{
    return x == x && (x - x) == 0.0f; /* NaN != NaN; inf - inf is NaN */
}

/* 2^e as a float, for -126 <= e <= 127. */
static float pow2_f(int e)
{
    float_bits_t b;
    b.u = (uint32_t)(e + 127) << 23;
    return b.f;
}

/* v / 2^shift rounded to nearest, halves away from zero (symmetric, so -v gives -result). */
static int32_t shift_round(int32_t v, uint32_t shift)
{
    const int32_t half = shift == 0u ? 0 : (int32_t)1 << (shift - 1u);
    return v < 0 ? -((-v + half) >> shift) : (v + half) >> shift;
}

/* round(x * 2^e), halves away from zero, for |x * 2^e| < 2^24: from the float's bits, as the conversion
 * would cost a soft-float multiply, add and fix. */
static int32_t round_scaled(float x, int e)
{
    float_bits_t b;
    int32_t shift, v;
    b.f = x;
    if ((b.u & 0x7F800000u) == 0u) {
        return 0; /* zero or subnormal: below 2^-126, and e <= 122 */
    }
    shift = 150 - (int32_t)((b.u >> 23) & 0xFFu) - e; /* |x| 2^e = mantissa / 2^shift, mantissa in [2^23, 2^24) */
    v = shift > 24 ? 0 : shift_round((int32_t)((b.u & 0x7FFFFFu) | 0x800000u), (uint32_t)shift);
    return (b.u >> 31) ? -v : v;
}

static int32_t abs_i(int32_t v)
{
    return v < 0 ? -v : v;
}

static uint32_t next_index(uint32_t i, uint32_t n)
{
    return i + 1u == n ? 0u : i + 1u;
}

/* a * b / 2^30 rounded down (gcc, every compiler here, shifts signed values arithmetically). */
static int32_t mul_q30(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b) >> 30);
}

/* cos and sin of k x step for k = 0, 1, ..., in Q30: one rotation per step (over a window's 2000 steps at
 * most the rounding moves them by about 1e-6). */
typedef struct {
    int32_t c, s, step_c, step_s;
} rotation_t;

static rotation_t rotation(const double *step)
{
    rotation_t r;
    r.c = Q30_ONE;
    r.s = 0;
    r.step_c = (int32_t)(step[0] * (double)Q30_ONE + 0.5);
    r.step_s = (int32_t)(step[1] * (double)Q30_ONE + 0.5);
    return r;
}

static void rotate(rotation_t *r)
{
    const int32_t c = mul_q30(r->c, r->step_c) - mul_q30(r->s, r->step_s);
    r->s = mul_q30(r->s, r->step_c) + mul_q30(r->c, r->step_s);
    r->c = c;
}

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
        r->bin_lo == 0u || r->bin_hi < r->bin_lo || 4u * r->bin_hi >= r->window ||
        (uint64_t)(3u * r->window + 1u) * r->window > (uint64_t)r->bin_lo << 31 || /* see spectrum_shift */
        r->n_sections == 0u || r->n_sections > CW_VF_MAX_SECTIONS || r->sos == NULL || r->zi_unit == NULL) {
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

/* The window's raw samples from a ring whose oldest sample is at `pos`, in any order for the counts and the
 * range, in time order for the runs. */
static cw_vf_quality_t window_quality(const float *ring, uint32_t pos, uint32_t n, uint32_t flat_min)
{
    uint32_t i, j, missing = 0, run = 1;
    float lo = 0.0f, hi = 0.0f;
    int any = 0, flat = 0, clipped = 0;
    for (i = 0; i < n; ++i) {
        if (!finite_f(ring[i])) {
            ++missing;
        } else if (!any) {
            lo = hi = ring[i];
            any = 1;
        } else {
            lo = ring[i] < lo ? ring[i] : lo;
            hi = ring[i] > hi ? ring[i] : hi;
        }
    }
    if ((float)missing / (float)n > MISSING_MAX_SHARE) {
        return CW_VF_QUALITY_MISSING;
    }
    if (!(hi > lo)) {
        return CW_VF_QUALITY_FLAT;
    }
    for (i = 1, j = next_index(pos, n); i < n; ++i, j = next_index(j, n)) {
        const float x = ring[j], before = ring[j == 0u ? n - 1u : j - 1u];
        run = (x == before) ? run + 1u : 1u; /* NaN never equals: it breaks a run */
        if (run >= flat_min) {
            flat = 1;
            if (x == hi || x == lo) {
                clipped = 1;
            }
        }
    }
    return clipped ? CW_VF_QUALITY_CLIPPED : flat ? CW_VF_QUALITY_FLAT : CW_VF_QUALITY_OK;
}

/* A window of filtered samples as integers: q = (x - mean) * 2^exponent, rounded. */
typedef struct {
    int32_t *q;
    uint32_t n;
    int exponent;
    int32_t peak; /* the largest |q| */
} fixed_window_t;

/* Python's 1e-12 guard in the window's units (of squares: `squared`), and as an integer for the integer
 * compares (at most 2^30, where every compare it enters is already decided). */
static double eps_of(const fixed_window_t *w, int squared)
{
    const double scale = (double)pow2_f(w->exponent);
    return VF_EPS * scale * (squared ? scale : 1.0);
}

static int32_t eps_int(const fixed_window_t *w)
{
    const double eps = eps_of(w, 0);
    return eps >= (double)Q30_ONE ? Q30_ONE : (int32_t)(eps + 0.5);
}

/* The filtered window from the ring `filt` (oldest sample at `pos`) on the fine scale: its largest magnitude
 * in [2^22, 2^23), the mean taken off. Return 0 when a sample is not finite. */
static int fixed_window(const float *filt, uint32_t pos, fixed_window_t *w)
{
    const uint32_t n = w->n;
    uint32_t i, j, largest = 0;
    int64_t sum = 0;
    int32_t mean;
    int top;
    for (i = 0; i < n; ++i) {
        float_bits_t b;
        b.f = filt[i];
        b.u &= 0x7FFFFFFFu; /* |x|: the bits of non-negative floats order like their values */
        largest = b.u > largest ? b.u : largest;
    }
    if (largest >= 0x7F800000u) {
        return 0;
    }
    top = (int)(largest >> 23) - 127; /* largest in [2^top, 2^(top + 1)) */
    w->exponent = FINE_TOP_BIT - (top < -100 ? -100 : top); /* tiny windows (zero too): scale 2^122 */
    for (i = 0, j = pos; i < n; ++i, j = next_index(j, n)) {
        w->q[i] = round_scaled(filt[j], w->exponent);
        sum += w->q[i];
    }
    mean = (int32_t)((double)sum / (double)n); /* within 1 (2^-23 of the window); double: no int64 division */
    w->peak = 0;
    for (i = 0; i < n; ++i) {
        w->q[i] -= mean;
        w->peak = abs_i(w->q[i]) > w->peak ? abs_i(w->q[i]) : w->peak;
    }
    return 1;
}

/* TCSC, mean magnitude and steep-sample share of the fine window. */
static void amplitude_features(const fixed_window_t *w, float *f)
{
    const int32_t *q = w->q;
    const int32_t eps = eps_int(w);
    uint32_t i, above = 0, steep = 0;
    int32_t slope_max = 0;
    int64_t sum_abs = 0;
    for (i = 1; i < w->n; ++i) {
        slope_max = abs_i(q[i] - q[i - 1u]) > slope_max ? abs_i(q[i] - q[i - 1u]) : slope_max;
    }
    for (i = 0; i < w->n; ++i) {
        sum_abs += abs_i(q[i]);
        above += LEVEL_INVERSE * abs_i(q[i]) > w->peak + eps;
        if (i > 0u) {
            steep += LEVEL_INVERSE * abs_i(q[i] - q[i - 1u]) > slope_max + eps;
        }
    }
    f[F_TCSC] = (float)above / (float)w->n;
    f[F_MAV] = (float)((double)sum_abs / ((double)w->peak + eps_of(w, 0)) / (double)w->n);
    f[F_SLOPE] = (float)steep / (float)(w->n - 1u);
}

static float leakage(const fixed_window_t *w)
{
    const int32_t *q = w->q;
    const uint32_t n = w->n;
    int64_t sum_abs = 0, sum_diff = 0, num = 0, den = 0; /* signed: (double)int64 is the helper linked already */
    uint32_t i, half;
    double h;
    for (i = 0; i < n; ++i) {
        sum_abs += abs_i(q[i]);
        if (i > 0u) {
            sum_diff += abs_i(q[i] - q[i - 1u]);
        }
    }
    h = VF_PI * (double)sum_abs / ((double)sum_diff + eps_of(w, 0)) + 0.5; /* >= 0.5: truncation is floor */
    half = h < 1.0 ? 1u : (h >= (double)n ? n - 1u : (uint32_t)h);
    for (i = half; i < n; ++i) {
        num += abs_i(q[i] + q[i - half]);
        den += abs_i(q[i]) + abs_i(q[i - half]);
    }
    return (float)((double)num / ((double)den + eps_of(w, 0)));
}

static float psr(const fixed_window_t *w, uint32_t delay)
{
    uint8_t visited[(CW_VF_PSR_BOXES * CW_VF_PSR_BOXES + 7u) / 8u] = {0};
    const int32_t *q = w->q;
    int32_t lo = q[0], hi = q[0];
    uint32_t i, span, count = 0;
    for (i = 1; i < w->n; ++i) {
        lo = q[i] < lo ? q[i] : lo;
        hi = q[i] > hi ? q[i] : hi;
    }
    span = (uint32_t)(hi - lo) + (uint32_t)eps_int(w);
    if (span == 0u) {
        return 1.0f / (float)(CW_VF_PSR_BOXES * CW_VF_PSR_BOXES); /* one box */
    }
    for (i = 0; i + delay < w->n; ++i) {
        uint32_t a = CW_VF_PSR_BOXES * (uint32_t)(q[i] - lo) / span; /* 40 x 2^25 < 2^31 */
        uint32_t b = CW_VF_PSR_BOXES * (uint32_t)(q[i + delay] - lo) / span;
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

/* Move the window to the mid scale, largest magnitude below 2^15: a product of two samples is below 2^30, so
 * the autocorrelation multiplies in int32 and sums in int64. Puts the kurtosis in `f`; returns sum |q| and, in
 * `sum_sq`, sum q^2. */
static int64_t mid_window(fixed_window_t *w, int64_t *sum_sq, float *f)
{
    uint32_t i, shift = 0;
    int64_t sum_abs = 0, sum_4th = 0; /* of q^4 / 2^16: below n 2^44 */
    double var;
    while (shift_round(w->peak, shift) >= (int32_t)1 << 15) {
        ++shift;
    }
    *sum_sq = 0;
    for (i = 0; i < w->n; ++i) {
        uint32_t sq;
        w->q[i] = shift_round(w->q[i], shift);
        sq = (uint32_t)(w->q[i] * w->q[i]);
        sum_abs += abs_i(w->q[i]);
        *sum_sq += sq;
        sum_4th += (int64_t)(((uint64_t)sq * sq) >> 16);
    }
    w->exponent -= (int)shift;
    var = (double)*sum_sq / (double)w->n + eps_of(w, 1);
    /* the trees compare it with exp(their log splits) */
    f[F_KURT] = (float)((double)sum_4th * 65536.0 / (double)w->n / (var * var));
    return sum_abs;
}

static void acf_features(const cw_vf_rate_t *r, const fixed_window_t *w, int64_t sum_sq, float *f)
{
    const int32_t *q = w->q;
    uint32_t i, lag, best_lag = r->acf_lo;
    int64_t best = 0;
    for (lag = r->acf_lo; lag <= r->acf_hi; ++lag) {
        int64_t s = 0;
        for (i = 0; i + lag < w->n; ++i) {
            s += q[i] * q[i + lag];
        }
        if (lag == r->acf_lo || s > best) { /* the first of equal peaks: the rhythm, not a multiple */
            best = s;
            best_lag = lag;
        }
    }
    f[F_ACF] = (float)((double)best / ((double)sum_sq + eps_of(w, 1)));
    f[F_RATE] = r->fs / (float)best_lag;
}

/* The right shift of the mid window that keeps every Goertzel state within 2^29 (then coefficient x state and
 * the recursion's sums fit int32): a state is at most (sum |input| + n) / sin(w), the n for the recursion's
 * rounding; the input, rounded and Hann-weighted, has sum |input| <= sum |q| / 2^shift + 2n; and
 * sin(w) >= 4 k / n below a quarter of the rate. cw_vf_init checks that some shift is enough. */
static uint32_t spectrum_shift(const cw_vf_rate_t *r, int64_t sum_abs)
{
    uint32_t shift = 0;
    while ((uint64_t)((sum_abs >> shift) + 3 * (int64_t)r->window + 1) * r->window > (uint64_t)r->bin_lo << 31) {
        ++shift;
    }
    return shift;
}

/* |DFT of x at the bin whose 2 cos(2 pi k / n) is `coeff` (Q30)|^2 by the Goertzel recursion, in int32. */
static double goertzel_power(const int32_t *x, uint32_t n, int32_t coeff)
{
    const int32_t *end = x + n;
    int32_t s1 = 0, s2 = 0;
    for (; x != end; ++x) {
        const int32_t s0 = *x + mul_q30(coeff, s1) - s2;
        s2 = s1;
        s1 = s0;
    }
    return (double)s1 * s1 + (double)s2 * s2 - (double)coeff / (double)Q30_ONE * s1 * s2;
}

/* Spectral features of the mid window, which it overwrites with its Hann-weighted samples shifted right by
 * `shift`: a Goertzel filter per rfft bin of 0.5-30 Hz on integers. F_BW holds the spectral variance (Hz^2):
 * the exported trees compare it with their squared bandwidth splits. */
static void spectrum_features(const cw_vf_rate_t *r, fixed_window_t *w, uint32_t shift, float *f)
{
    int32_t *q = w->q;
    const uint32_t n = w->n;
    uint32_t i, k;
    double total, moment = 0.0, moment2 = 0.0, best = -1.0, vf = 0.0, high = 0.0, dom = 0.0;
    double mean_hz;
    rotation_t hann = rotation(r->hann_step), bin = rotation(r->bin_step);
    w->exponent -= (int)shift;
    total = eps_of(w, 1);
    for (i = 0; i < n; ++i, rotate(&hann)) {
        /* numpy.hanning(n)[i]; 2^30 - c could be 2^31 */
        q[i] = mul_q30(shift_round(q[i], shift), Q30_ONE / 2 - hann.c / 2);
    }
    for (k = 0; k < r->bin_lo; ++k) {
        rotate(&bin);
    }
    for (k = r->bin_lo; k <= r->bin_hi; ++k, rotate(&bin)) {
        const int32_t coeff = 2 * bin.c; /* 2 cos(2 pi k / n) in Q30: below 2^31 since k < n / 4 */
        const double hz = (double)k * (double)r->fs / (double)n;
        const double p = goertzel_power(q, n, coeff);
        total += p;
        moment += p * hz;
        moment2 += p * hz * hz;
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
    f[F_DOM] = (float)dom;
    f[F_MEAN] = (float)mean_hz;
    /* sum p (hz - mean)^2 / total, expanded: double keeps the cancellation far below the splits' spacing */
    f[F_BW] = (float)((moment2 - 2.0 * mean_hz * moment + mean_hz * mean_hz * (total - eps_of(w, 1))) / total);
    f[F_VF_SHARE] = (float)(vf / total);
    f[F_HIGH] = (float)(high / total);
}

void cw_vf_features(const cw_vf_rate_t *r, const float *filt, uint32_t oldest, int32_t *work, float *f)
{
    fixed_window_t w;
    int64_t sum_abs, sum_sq;
    uint8_t i;
    w.q = work;
    w.n = r->window;
    if (!fixed_window(filt, oldest, &w)) {
        float_bits_t nan;
        nan.u = 0x7FC00000u;
        for (i = 0; i < CW_VF_N_FEATURES; ++i) {
            f[i] = nan.f; /* the trees send NaN right, as numpy's comparisons do */
        }
        return;
    }
    amplitude_features(&w, f);
    MARK(CW_VF_STAGE_MOMENTS);
    f[F_LEAKAGE] = leakage(&w);
    MARK(CW_VF_STAGE_LEAKAGE);
    f[F_PSR] = psr(&w, r->psr_delay);
    MARK(CW_VF_STAGE_PSR);
    sum_abs = mid_window(&w, &sum_sq, f);
    MARK(CW_VF_STAGE_MOMENTS);
    acf_features(r, &w, sum_sq, f);
    MARK(CW_VF_STAGE_ACF);
    spectrum_features(r, &w, spectrum_shift(r, sum_abs), f);
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
    quality = window_quality(d->cfg.raw, d->pos, r->window, r->flat_min);
    MARK(CW_VF_STAGE_QUALITY);
    cw_vf_features(r, d->cfg.filt, d->pos, d->cfg.scratch, row);
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
