#include "test_common.h"
#include "cw_iir.h"

/* y[n] = 0.5 x[n] + 0.5 y[n-1]: its unit-step response is 1 - 0.5^(n+1). */
static const double one_pole[CW_IIR_SOS_ROW] = {0.5, 0.0, 0.0, 1.0, -0.5, 0.0};

static void test_iir_init_should_reject_an_unnormalised_section(void **state)
{
    cw_iir_t f;
    double zi[2];
    const double bad[CW_IIR_SOS_ROW] = {1.0, 0.0, 0.0, 2.0, 0.0, 0.0};
    (void)state;
    assert_int_equal(cw_iir_init(&f, bad, zi, 1), CW_ERR_UNSTABLE);
    assert_int_equal(cw_iir_init(&f, one_pole, zi, 0), CW_ERR_ARG);
    assert_int_equal(cw_iir_init(&f, NULL, zi, 1), CW_ERR_ARG);
}

static void test_iir_should_give_the_analytic_step_response(void **state)
{
    cw_iir_t f;
    double zi[2];
    double expect = 1.0;
    int n;
    (void)state;
    assert_int_equal(cw_iir_init(&f, one_pole, zi, 1), CW_OK);
    for (n = 0; n < 20; ++n) {
        expect *= 0.5;
        assert_float_equal(cw_iir_step(&f, 1.0), 1.0 - expect, 1e-6);
    }
}

static void test_iir_should_equal_one_pass_when_fed_in_chunks(void **state)
{
    /* two sections: a 2nd-order Butterworth high-pass at 0.05 fs and a low-pass at 0.2 fs (scipy) */
    static const double sos[2 * CW_IIR_SOS_ROW] = {
        0.80059240, -1.60118480, 0.80059240, 1.0, -1.56101808, 0.64135154,
        0.20657208, 0.41314417, 0.20657208, 1.0, -0.36952738, 0.19581571,
    };
    cw_iir_t whole, pieces;
    double zw[4], zp[4];
    double x[97], yw[97], yp[97];
    size_t i, at = 0, cut = 1;
    (void)state;
    for (i = 0; i < CW_COUNT_OF(x); ++i) {
        x[i] = (double)((int)(i * 37u % 23u) - 11);
    }
    assert_int_equal(cw_iir_init(&whole, sos, zw, 2), CW_OK);
    assert_int_equal(cw_iir_init(&pieces, sos, zp, 2), CW_OK);
    cw_iir_process(&whole, x, yw, CW_COUNT_OF(x));
    while (at < CW_COUNT_OF(x)) {
        size_t n = cut < CW_COUNT_OF(x) - at ? cut : CW_COUNT_OF(x) - at;
        cw_iir_process(&pieces, x + at, yp + at, n);
        at += n;
        cut = (cut * 7u) % 11u; /* cuts 1, 7, 5, 2, 3, 10, 4, 6, 9, 8, 1, ...; an empty chunk after each */
        cw_iir_process(&pieces, x + at, yp + at, 0);
    }
    assert_memory_equal(yw, yp, sizeof yw);
}

static void test_iir_reset_should_forget_the_past(void **state)
{
    cw_iir_t f;
    double zi[2];
    double first;
    (void)state;
    assert_int_equal(cw_iir_init(&f, one_pole, zi, 1), CW_OK);
    first = cw_iir_step(&f, 3.0);
    (void)cw_iir_step(&f, -8.0);
    cw_iir_reset(&f);
    assert_float_equal(cw_iir_step(&f, 3.0), first, 0.0);
}

static void test_iir_start_should_remove_the_start_up_step_of_an_offset(void **state)
{
    cw_iir_t f;
    double zi[2];
    const double zi_unit[2] = {0.5, 0.0}; /* scipy.signal.sosfilt_zi(one_pole) */
    int n;
    (void)state;
    assert_int_equal(cw_iir_init(&f, one_pole, zi, 1), CW_OK);
    cw_iir_start(&f, zi_unit, 4.0);
    for (n = 0; n < 5; ++n) {
        assert_float_equal(cw_iir_step(&f, 4.0), 4.0, 1e-12);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iir_init_should_reject_an_unnormalised_section),
        cmocka_unit_test(test_iir_should_give_the_analytic_step_response),
        cmocka_unit_test(test_iir_should_equal_one_pass_when_fed_in_chunks),
        cmocka_unit_test(test_iir_reset_should_forget_the_past),
        cmocka_unit_test(test_iir_start_should_remove_the_start_up_step_of_an_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
