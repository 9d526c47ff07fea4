#include "test_common.h"

#include <math.h>

#include "cw_vf.h"
#include "cw_vf_model.h"

#define FS 250.0
#define WINDOW_MAX 1000u

static float raw[WINDOW_MAX], filt[WINDOW_MAX];
static int32_t scratch[WINDOW_MAX];

static cw_vf_cfg_t config(void)
{
    cw_vf_cfg_t cfg;
    cfg.rate = &cw_vf_rate_250;
    cfg.model = &cw_vf_model;
    cfg.raw = raw;
    cfg.filt = filt;
    cfg.scratch = scratch;
    return cfg;
}

/* ~5 Hz with a slowly wandering frequency and amplitude: coarse VF-like (no random numbers needed). */
static float vf_like(long n)
{
    double t = (double)n / FS;
    double phase = 2.0 * 3.14159265358979 * (5.0 * t + 0.3 * sin(0.7 * t));
    return (float)((0.6 + 0.3 * sin(1.9 * t)) * sin(phase));
}

/* Narrow QRS spikes with a T wave at 72 beats/min. */
static float sinus_like(long n)
{
    double t = fmod((double)n / FS, 60.0 / 72.0);
    return (float)(1.2 * exp(-0.5 * pow((t - 0.3) / 0.012, 2.0)) + 0.25 * exp(-0.5 * pow((t - 0.55) / 0.05, 2.0)));
}

/* Feature order of cw_vf_features (cw_vf.h): */
enum { TCSC, MAV, LEAKAGE, DOM_HZ, MEAN_HZ, SPECTRAL_VAR, VF_SHARE, HIGH_SHARE, KURTOSIS, ACF_PEAK, RATE_HZ, PSR };

/* 4 s of a 5 Hz sine at 250 Hz: exactly 20 periods of 50 samples, spectrum bin 20. */
static void sine_window(float *x, double amplitude)
{
    uint32_t i;
    for (i = 0; i < cw_vf_rate_250.window; ++i) {
        x[i] = (float)(amplitude * sin(2.0 * 3.14159265358979 * 5.0 * (double)i / FS));
    }
}

static void test_vf_features_should_find_a_sine_s_frequency_period_and_shape(void **state)
{
    static float x[WINDOW_MAX];
    float f[CW_VF_N_FEATURES];
    uint32_t i, above = 0;
    (void)state;
    sine_window(x, 1.0);
    for (i = 0; i < cw_vf_rate_250.window; ++i) {
        above += fabs((double)x[i]) > 0.2;
    }
    cw_vf_features(&cw_vf_rate_250, x, 0, scratch, f);
    assert_float_equal(f[DOM_HZ], 5.0f, 1e-6);
    assert_float_equal(f[MEAN_HZ], 5.0f, 0.05);
    assert_true(f[VF_SHARE] > 0.99f && f[HIGH_SHARE] < 1e-3f);
    assert_float_equal(f[RATE_HZ], 5.0f, 1e-6);
    assert_float_equal(f[ACF_PEAK], 0.95f, 1e-4); /* biased: 950 of 1000 products at a lag of one period */
    assert_float_equal(f[KURTOSIS], 1.5f, 1e-4);  /* a sine's, before the log */
    assert_float_equal(f[TCSC], (float)above / 1000.0f, 1e-6);
    assert_float_equal(f[MAV], 2.0f / 3.14159265f, 1e-3);
}

static void test_vf_features_should_not_depend_on_the_signal_s_scale(void **state)
{
    static float x[WINDOW_MAX];
    static const double scales[] = {1024.0, 1.0 / 16.0, 1000.0, 3.3e6}; /* far above the 1e-12 guards */
    float unit[CW_VF_N_FEATURES], f[CW_VF_N_FEATURES];
    long n;
    size_t k, i;
    (void)state;
    for (n = 0; n < (long)cw_vf_rate_250.window; ++n) {
        x[n] = vf_like(n);
    }
    cw_vf_features(&cw_vf_rate_250, x, 0, scratch, unit);
    for (k = 0; k < CW_COUNT_OF(scales); ++k) {
        for (n = 0; n < (long)cw_vf_rate_250.window; ++n) {
            x[n] = (float)(scales[k] * vf_like(n)); /* millivolts or ADC counts: the same decisions */
        }
        cw_vf_features(&cw_vf_rate_250, x, 0, scratch, f);
        for (i = 0; i < CW_VF_N_FEATURES; ++i) {
            assert_float_equal(f[i], unit[i], 1e-4f * (1.0f + fabsf(unit[i])));
        }
    }
}

static void test_vf_features_should_survive_zero_tiny_huge_and_infinite_windows(void **state)
{
    static float x[WINDOW_MAX];
    float f[CW_VF_N_FEATURES];
    uint32_t i;
    (void)state;
    memset(x, 0, sizeof x); /* Python's 1e-12 guards decide: nothing above 0.2 of the peak, one box */
    cw_vf_features(&cw_vf_rate_250, x, 0, scratch, f);
    assert_float_equal(f[TCSC], 0.0f, 0.0);
    assert_float_equal(f[LEAKAGE], 0.0f, 0.0);
    assert_float_equal(f[ACF_PEAK], 0.0f, 0.0);
    assert_float_equal(f[RATE_HZ], FS / (float)cw_vf_rate_250.acf_lo, 1e-6);
    assert_float_equal(f[DOM_HZ], 0.5f, 1e-6);
    assert_float_equal(f[PSR], 1.0f / 1600.0f, 1e-9);
    sine_window(x, 1e-30); /* far below the guards, as in Python: no sample counts as large */
    cw_vf_features(&cw_vf_rate_250, x, 0, scratch, f);
    assert_float_equal(f[TCSC], 0.0f, 0.0);
    sine_window(x, 1e30);
    cw_vf_features(&cw_vf_rate_250, x, 0, scratch, f);
    assert_float_equal(f[DOM_HZ], 5.0f, 1e-6);
    x[10] = INFINITY;
    cw_vf_features(&cw_vf_rate_250, x, 0, scratch, f);
    for (i = 0; i < CW_VF_N_FEATURES; ++i) {
        assert_true(f[i] != f[i]); /* NaN: the trees send it right, as numpy does */
    }
}

static void test_vf_init_should_reject_missing_buffers(void **state)
{
    cw_vf_t det;
    cw_vf_cfg_t cfg = config();
    (void)state;
    cfg.scratch = NULL;
    assert_int_equal(cw_vf_init(&det, &cfg), CW_ERR_ARG);
    assert_int_equal(cw_vf_init(NULL, &cfg), CW_ERR_ARG);
}

static void test_vf_should_enter_vf_on_a_vf_like_wave_and_not_on_sinus(void **state)
{
    cw_vf_t det;
    cw_vf_cfg_t cfg = config();
    cw_vf_window_t w;
    long n, entered = -1, windows = 0;
    (void)state;
    assert_int_equal(cw_vf_init(&det, &cfg), CW_OK);
    for (n = 0; n < (long)(30 * FS); ++n) {
        float x = n < (long)(12 * FS) ? sinus_like(n) : vf_like(n);
        if (cw_vf_push(&det, x, &w)) {
            ++windows;
            assert_int_equal(w.end - w.start, (int64_t)cw_vf_rate_250.window);
            if (w.in_vf && entered < 0) {
                entered = (long)w.end;
            }
        }
    }
    assert_int_equal(windows, 27); /* ends at 4, 5, ..., 30 s */
    assert_true(entered >= (long)(12 * FS) && entered <= (long)(22 * FS));
}

static void test_vf_should_flag_a_flat_line_and_never_call_it_vf(void **state)
{
    cw_vf_t det;
    cw_vf_cfg_t cfg = config();
    cw_vf_window_t w;
    long n;
    (void)state;
    assert_int_equal(cw_vf_init(&det, &cfg), CW_OK);
    for (n = 0; n < (long)(8 * FS); ++n) {
        if (cw_vf_push(&det, 0.3f, &w)) {
            assert_int_equal(w.quality, CW_VF_QUALITY_FLAT);
            assert_int_equal(w.shockable, 0);
            assert_int_equal(w.in_vf, 0);
        }
    }
}

static void test_vf_should_not_judge_a_window_of_missing_samples(void **state)
{
    cw_vf_t det;
    cw_vf_cfg_t cfg = config();
    cw_vf_window_t w;
    long n, judged = 0;
    (void)state;
    assert_int_equal(cw_vf_init(&det, &cfg), CW_OK);
    for (n = 0; n < (long)(12 * FS); ++n) {
        float x = (n / (long)FS) % 4 == 3 ? NAN : vf_like(n); /* a quarter of every window missing */
        if (cw_vf_push(&det, x, &w)) {
            assert_int_equal(w.quality, CW_VF_QUALITY_MISSING);
            assert_int_equal(w.in_vf, 0);
            ++judged;
        }
    }
    assert_int_equal(judged, 9);
}

static void test_vf_reset_should_make_a_used_detector_behave_like_a_new_one(void **state)
{
    cw_vf_t a, b;
    cw_vf_cfg_t cfg_a = config();
    static float raw_b[WINDOW_MAX], filt_b[WINDOW_MAX];
    static int32_t scratch_b[WINDOW_MAX];
    cw_vf_cfg_t cfg_b = config();
    cw_vf_window_t wa, wb;
    long n;
    (void)state;
    cfg_b.raw = raw_b;
    cfg_b.filt = filt_b;
    cfg_b.scratch = scratch_b;
    assert_int_equal(cw_vf_init(&a, &cfg_a), CW_OK);
    assert_int_equal(cw_vf_init(&b, &cfg_b), CW_OK);
    for (n = 0; n < (long)(6 * FS); ++n) {
        (void)cw_vf_push(&b, vf_like(n), &wb);
    }
    cw_vf_reset(&b);
    for (n = 0; n < (long)(10 * FS); ++n) {
        int ra = cw_vf_push(&a, sinus_like(n), &wa);
        int rb = cw_vf_push(&b, sinus_like(n), &wb);
        assert_int_equal(ra, rb);
        if (ra) {
            assert_int_equal(wa.end, wb.end);
            assert_float_equal(wa.logit, wb.logit, 0.0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vf_features_should_find_a_sine_s_frequency_period_and_shape),
        cmocka_unit_test(test_vf_features_should_not_depend_on_the_signal_s_scale),
        cmocka_unit_test(test_vf_features_should_survive_zero_tiny_huge_and_infinite_windows),
        cmocka_unit_test(test_vf_init_should_reject_missing_buffers),
        cmocka_unit_test(test_vf_should_enter_vf_on_a_vf_like_wave_and_not_on_sinus),
        cmocka_unit_test(test_vf_should_flag_a_flat_line_and_never_call_it_vf),
        cmocka_unit_test(test_vf_should_not_judge_a_window_of_missing_samples),
        cmocka_unit_test(test_vf_reset_should_make_a_used_detector_behave_like_a_new_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
