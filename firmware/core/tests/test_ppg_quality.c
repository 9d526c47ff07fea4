#include "test_common.h"
#include "cw_params.h"
#include "cw_ppg_quality.h"

/* 100 Hz, 2 s windows (cw_ppg_quality_cfg_100hz, exported from PpgSignalQuality(fs=100)). */
#define FS 100u
#define WINDOW 200u
#define PERIOD 80u /* 75 bpm */
#define SECONDS 40u
#define N (SECONDS * FS)

static int32_t noise_state = 12345;

static int32_t noise(void)
{
    /* a small deterministic jitter (+-2 counts), so that a live signal never repeats a value for long */
    noise_state = (int32_t)(((uint32_t)noise_state * 1103515245u + 12345u) & 0x7fffffffu);
    return (noise_state >> 16) % 5 - 2;
}

/* A pulse: a fast parabolic upstroke and a slower decay, `amplitude` counts high above `base`. */
static int32_t pulse_at(uint32_t i, int32_t base, int32_t amplitude)
{
    const uint32_t t = i % PERIOD;
    const uint32_t rise = PERIOD / 4u;
    int64_t v;
    if (t < rise) {
        v = (int64_t)amplitude * (int64_t)(t * t) / (int64_t)(rise * rise);
    } else {
        const int64_t d = (int64_t)(PERIOD - t);
        v = (int64_t)amplitude * d * d / (int64_t)((PERIOD - rise) * (PERIOD - rise));
    }
    return base + (int32_t)v + noise();
}

static void make_pulses(int32_t *x, uint32_t n, int32_t base, int32_t amplitude)
{
    uint32_t i;
    noise_state = 12345;
    for (i = 0; i < n; ++i) {
        x[i] = pulse_at(i, base, amplitude);
    }
}

/* Labels of every window of `x` (fed in chunks of `chunk`, 0 = whole), flush included. */
static size_t rate_all(const cw_ppg_quality_cfg_t *cfg, const int32_t *x, size_t n, size_t chunk,
                       cw_ppg_quality_window_t *out, size_t cap)
{
    cw_ppg_quality_t q;
    size_t at = 0, got = 0;
    assert_int_equal(cw_ppg_quality_init(&q, cfg), CW_OK);
    if (chunk == 0) {
        chunk = n;
    }
    while (at < n) {
        const size_t k = chunk < n - at ? chunk : n - at;
        got += cw_ppg_quality_process(&q, x + at, k, out + got, cap - got);
        got += cw_ppg_quality_process(&q, x + at, 0, out + got, cap - got);
        at += k;
    }
    got += cw_ppg_quality_flush(&q, out + got, cap - got);
    return got;
}

static cw_ppg_quality_label_t label_of(const cw_ppg_quality_window_t *w, size_t n, int64_t sample)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        if (w[i].start <= sample && sample < w[i].start + (int64_t)w[i].length) {
            return w[i].label;
        }
    }
    assert_true(0); /* no window holds the sample */
    return CW_PPG_QUALITY_COUNT_;
}

static int32_t x[N];
static cw_ppg_quality_window_t windows[N / WINDOW + 4u];

static void test_ppg_quality_init_should_reject_configurations_it_cannot_hold(void **state)
{
    cw_ppg_quality_t q;
    cw_ppg_quality_cfg_t cfg = cw_ppg_quality_cfg_100hz;
    (void)state;
    assert_int_equal(cfg.window, WINDOW);
    assert_int_equal(cw_ppg_quality_init(NULL, &cfg), CW_ERR_ARG);
    assert_int_equal(cw_ppg_quality_init(&q, NULL), CW_ERR_ARG);
    cfg.reference_windows = CW_PPG_QUALITY_MAX_REFERENCE + 1u;
    assert_int_equal(cw_ppg_quality_init(&q, &cfg), CW_ERR_ARG);
    cfg = cw_ppg_quality_cfg_100hz;
    cfg.window = 3u;
    assert_int_equal(cw_ppg_quality_init(&q, &cfg), CW_ERR_ARG);
    cfg = cw_ppg_quality_cfg_100hz;
    cfg.has_adc_range = 1u;
    cfg.adc_lo = 10;
    cfg.adc_hi = 10;
    assert_int_equal(cw_ppg_quality_init(&q, &cfg), CW_ERR_ARG);
    assert_null(cw_ppg_quality_cfg_for(250u));
    assert_non_null(cw_ppg_quality_cfg_for(125u));
}

static void test_ppg_quality_should_rate_a_steady_pulse_good_in_every_window(void **state)
{
    size_t n, i;
    cw_ppg_quality_t q;
    (void)state;
    make_pulses(x, N, 2000, 300);
    n = rate_all(&cw_ppg_quality_cfg_100hz, x, N, 0, windows, CW_COUNT_OF(windows));
    assert_int_equal(n, N / WINDOW);
    for (i = 0; i < n; ++i) {
        assert_int_equal(windows[i].start, (int64_t)(i * WINDOW));
        assert_int_equal(windows[i].length, WINDOW);
        assert_int_equal(windows[i].label, CW_PPG_QUALITY_GOOD);
    }
    assert_int_equal(cw_ppg_quality_init(&q, &cw_ppg_quality_cfg_100hz), CW_OK);
    assert_int_equal(cw_ppg_quality_state(&q), CW_SIGNAL_UNKNOWN);
    (void)cw_ppg_quality_process(&q, x, N, windows, CW_COUNT_OF(windows));
    assert_int_equal(cw_ppg_quality_state(&q), CW_SIGNAL_GOOD);
    assert_true(cw_signal_allows_warning(cw_ppg_quality_state(&q)));
}

static void test_ppg_quality_should_see_a_lifted_finger_as_flat_then_settle(void **state)
{
    size_t n, i;
    (void)state;
    make_pulses(x, N, 2000, 300);
    for (i = 10u * FS; i < 14u * FS; ++i) {
        x[i] = 2000; /* finger lifted: a constant reading for 4 s */
    }
    n = rate_all(&cw_ppg_quality_cfg_100hz, x, N, 0, windows, CW_COUNT_OF(windows));
    assert_int_equal(label_of(windows, n, 9 * FS), CW_PPG_QUALITY_GOOD);
    assert_int_equal(label_of(windows, n, 10 * FS), CW_PPG_QUALITY_FLAT);
    assert_int_equal(label_of(windows, n, 12 * FS), CW_PPG_QUALITY_FLAT);
    assert_int_equal(label_of(windows, n, 14 * FS), CW_PPG_QUALITY_MOTION); /* the band-pass still rings */
    assert_int_equal(label_of(windows, n, 20 * FS), CW_PPG_QUALITY_GOOD);
    assert_int_equal(cw_signal_state_of(CW_PPG_QUALITY_FLAT), CW_SIGNAL_NO_FINGER);
    assert_false(cw_signal_allows_warning(CW_SIGNAL_NO_FINGER));
    assert_false(cw_signal_allows_warning(CW_SIGNAL_UNKNOWN));
}

static void test_ppg_quality_should_see_missing_samples_as_missing(void **state)
{
    size_t n, i;
    (void)state;
    make_pulses(x, N, 2000, 300);
    for (i = 10u * FS; i < 12u * FS; ++i) {
        x[i] = (i % 3u) ? CW_PPG_QUALITY_NO_SAMPLE : x[i]; /* two thirds lost */
    }
    n = rate_all(&cw_ppg_quality_cfg_100hz, x, N, 0, windows, CW_COUNT_OF(windows));
    assert_int_equal(label_of(windows, n, 10 * FS), CW_PPG_QUALITY_MISSING);
    assert_int_equal(label_of(windows, n, 12 * FS), CW_PPG_QUALITY_MOTION);
    assert_int_equal(label_of(windows, n, 16 * FS), CW_PPG_QUALITY_GOOD);
    assert_int_equal(cw_signal_state_of(CW_PPG_QUALITY_MISSING), CW_SIGNAL_NO_FINGER);
}

static void test_ppg_quality_should_see_a_flattened_peak_as_clipped(void **state)
{
    size_t n, i;
    cw_ppg_quality_cfg_t rails = cw_ppg_quality_cfg_100hz;
    (void)state;
    make_pulses(x, N, 2000, 300);
    for (i = 10u * FS; i < 12u * FS; ++i) {
        x[i] = x[i] > 2150 ? 2150 : x[i]; /* the front end saturates over the top half of each pulse */
    }
    n = rate_all(&cw_ppg_quality_cfg_100hz, x, N, 0, windows, CW_COUNT_OF(windows));
    assert_int_equal(label_of(windows, n, 8 * FS), CW_PPG_QUALITY_GOOD);
    assert_int_equal(label_of(windows, n, 10 * FS), CW_PPG_QUALITY_CLIPPED);
    assert_int_equal(label_of(windows, n, 12 * FS), CW_PPG_QUALITY_MOTION);
    /* with the ADC's rails given, one sample on a rail is enough */
    make_pulses(x, N, 2000, 300);
    x[20u * FS + 7u] = 4095;
    rails.has_adc_range = 1u;
    rails.adc_lo = 0;
    rails.adc_hi = 4095;
    n = rate_all(&rails, x, N, 0, windows, CW_COUNT_OF(windows));
    assert_int_equal(label_of(windows, n, 18 * FS), CW_PPG_QUALITY_GOOD);
    assert_int_equal(label_of(windows, n, 20 * FS), CW_PPG_QUALITY_CLIPPED);
    assert_int_equal(cw_signal_state_of(CW_PPG_QUALITY_CLIPPED), CW_SIGNAL_SATURATED);
}

static void test_ppg_quality_should_see_large_swings_and_baseline_jumps_as_motion(void **state)
{
    size_t n, i;
    (void)state;
    make_pulses(x, N, 2000, 300);
    for (i = 10u * FS; i < 12u * FS; ++i) {
        x[i] = 2000 + 5 * (x[i] - 2000); /* five times the pulse: a shaken sensor */
    }
    for (i = 24u * FS + 50u; i < 26u * FS; ++i) {
        x[i] += 3000; /* pressed harder: the baseline jumps by ten pulse heights */
    }
    n = rate_all(&cw_ppg_quality_cfg_100hz, x, N, 0, windows, CW_COUNT_OF(windows));
    assert_int_equal(label_of(windows, n, 8 * FS), CW_PPG_QUALITY_GOOD);
    assert_int_equal(label_of(windows, n, 10 * FS), CW_PPG_QUALITY_MOTION);
    assert_int_equal(label_of(windows, n, 22 * FS), CW_PPG_QUALITY_GOOD);
    assert_int_equal(label_of(windows, n, 24 * FS), CW_PPG_QUALITY_MOTION);
    assert_int_equal(cw_signal_state_of(CW_PPG_QUALITY_MOTION), CW_SIGNAL_MOTION);
    assert_false(cw_signal_allows_warning(CW_SIGNAL_MOTION));
}

static void test_ppg_quality_should_see_a_sudden_small_pulse_as_low_perfusion(void **state)
{
    size_t n, i;
    cw_ppg_quality_cfg_t floor = cw_ppg_quality_cfg_100hz;
    (void)state;
    make_pulses(x, N, 2000, 300);
    noise_state = 777;
    for (i = 10u * FS; i < 14u * FS; ++i) {
        x[i] = 2000 + (x[i] - 2000) / 10 + noise(); /* a tenth of the pulse: the finger went cold */
    }
    n = rate_all(&cw_ppg_quality_cfg_100hz, x, N, 0, windows, CW_COUNT_OF(windows));
    assert_int_equal(label_of(windows, n, 8 * FS), CW_PPG_QUALITY_GOOD);
    assert_int_equal(label_of(windows, n, 12 * FS), CW_PPG_QUALITY_LOW_PERFUSION);
    /* an absolute floor rates even a steady pulse low when it is too small */
    make_pulses(x, N, 2000, 300);
    floor.min_amplitude = 1000.0;
    n = rate_all(&floor, x, N, 0, windows, CW_COUNT_OF(windows));
    assert_int_equal(label_of(windows, n, 20 * FS), CW_PPG_QUALITY_LOW_PERFUSION);
    assert_int_equal(cw_signal_state_of(CW_PPG_QUALITY_LOW_PERFUSION), CW_SIGNAL_WEAK);
}

static void test_ppg_quality_should_give_the_same_windows_for_any_chunking(void **state)
{
    static cw_ppg_quality_window_t pieces[CW_COUNT_OF(windows)];
    static const size_t chunks[] = {1u, 7u, 199u, 200u, 201u, 999u};
    size_t n, k, c;
    (void)state;
    make_pulses(x, N, 2000, 300);
    for (k = 5u * FS; k < 7u * FS; ++k) {
        x[k] = 2000;
    }
    for (k = 15u * FS; k < 17u * FS; ++k) {
        x[k] *= 3;
    }
    n = rate_all(&cw_ppg_quality_cfg_100hz, x, N - 37u, 0, windows, CW_COUNT_OF(windows));
    for (c = 0; c < CW_COUNT_OF(chunks); ++c) {
        assert_int_equal(rate_all(&cw_ppg_quality_cfg_100hz, x, N - 37u, chunks[c], pieces, CW_COUNT_OF(pieces)), n);
        assert_memory_equal(pieces, windows, n * sizeof windows[0]);
    }
}

static void test_ppg_quality_flush_should_merge_a_short_tail_and_rate_a_long_one(void **state)
{
    size_t n;
    (void)state;
    make_pulses(x, N, 2000, 300);
    n = rate_all(&cw_ppg_quality_cfg_100hz, x, 2u * WINDOW + 40u, 0, windows, CW_COUNT_OF(windows));
    assert_int_equal(n, 3);
    assert_int_equal(windows[2].start, 2 * WINDOW);
    assert_int_equal(windows[2].length, 40);
    assert_int_equal(windows[2].label, windows[1].label); /* shorter than half a window: not rated */
    n = rate_all(&cw_ppg_quality_cfg_100hz, x, 2u * WINDOW + 150u, 0, windows, CW_COUNT_OF(windows));
    assert_int_equal(n, 3);
    assert_int_equal(windows[2].length, 150);
    assert_int_equal(windows[2].label, CW_PPG_QUALITY_GOOD);
    assert_int_equal(rate_all(&cw_ppg_quality_cfg_100hz, x, 0, 0, windows, CW_COUNT_OF(windows)), 0);
}

static void test_ppg_quality_names_should_match_python_and_the_display(void **state)
{
    (void)state;
    assert_string_equal(cw_ppg_quality_label_name(CW_PPG_QUALITY_LOW_PERFUSION), "low_perfusion");
    assert_string_equal(cw_ppg_quality_label_name(CW_PPG_QUALITY_MISSING), "missing");
    assert_string_equal(cw_ppg_quality_label_name(CW_PPG_QUALITY_COUNT_), "?");
    assert_string_equal(cw_signal_state_name(CW_SIGNAL_NO_FINGER), "no finger");
    assert_string_equal(cw_signal_state_name(CW_SIGNAL_GOOD), "good");
    assert_string_equal(cw_signal_state_name(CW_SIGNAL_UNKNOWN), "-");
}

static void test_signal_good_pct_should_round_and_leave_out_the_unknown(void **state)
{
    (void)state;
    assert_int_equal(cw_signal_good_pct(0u, 0u), -1);
    assert_int_equal(cw_signal_good_pct(8u, 7u), -1);
    assert_int_equal(cw_signal_good_pct(0u, 8u), 0);
    assert_int_equal(cw_signal_good_pct(8u, 8u), 100);
    assert_int_equal(cw_signal_good_pct(7u, 8u), 88); /* 87.5 rounds up */
    assert_int_equal(cw_signal_good_pct(1u, 3u), 33);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ppg_quality_init_should_reject_configurations_it_cannot_hold),
        cmocka_unit_test(test_ppg_quality_should_rate_a_steady_pulse_good_in_every_window),
        cmocka_unit_test(test_ppg_quality_should_see_a_lifted_finger_as_flat_then_settle),
        cmocka_unit_test(test_ppg_quality_should_see_missing_samples_as_missing),
        cmocka_unit_test(test_ppg_quality_should_see_a_flattened_peak_as_clipped),
        cmocka_unit_test(test_ppg_quality_should_see_large_swings_and_baseline_jumps_as_motion),
        cmocka_unit_test(test_ppg_quality_should_see_a_sudden_small_pulse_as_low_perfusion),
        cmocka_unit_test(test_ppg_quality_should_give_the_same_windows_for_any_chunking),
        cmocka_unit_test(test_ppg_quality_flush_should_merge_a_short_tail_and_rate_a_long_one),
        cmocka_unit_test(test_ppg_quality_names_should_match_python_and_the_display),
        cmocka_unit_test(test_signal_good_pct_should_round_and_leave_out_the_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
