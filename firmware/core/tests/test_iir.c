#include "test_common.h"
#include "cw_iir.h"

/* y[n] = 0.5 x[n] + 0.5 y[n-1]: its unit-step response is 1 - 0.5^(n+1). */
static const float one_pole[CW_IIR_SOS_ROW] = {0.5f, 0.0f, 0.0f, 1.0f, -0.5f, 0.0f};

static void test_iir_init_should_reject_an_unnormalised_section(void **state)
{
    cw_iir_t f;
    float zi[2];
    const float bad[CW_IIR_SOS_ROW] = {1.0f, 0.0f, 0.0f, 2.0f, 0.0f, 0.0f};
    (void)state;
    assert_int_equal(cw_iir_init(&f, bad, zi, 1), CW_ERR_UNSTABLE);
    assert_int_equal(cw_iir_init(&f, one_pole, zi, 0), CW_ERR_ARG);
    assert_int_equal(cw_iir_init(&f, NULL, zi, 1), CW_ERR_ARG);
}

static void test_iir_should_give_the_analytic_step_response(void **state)
{
    cw_iir_t f;
    float zi[2];
    float expect = 1.0f;
    int n;
    (void)state;
    assert_int_equal(cw_iir_init(&f, one_pole, zi, 1), CW_OK);
    for (n = 0; n < 20; ++n) {
        expect *= 0.5f;
        assert_float_equal(cw_iir_step(&f, 1.0f), 1.0f - expect, 1e-6);
    }
}

static void test_iir_should_equal_one_pass_when_fed_in_chunks(void **state)
{
    /* two sections: a 2nd-order Butterworth high-pass at 0.05 fs and a low-pass at 0.2 fs (scipy) */
    static const float sos[2 * CW_IIR_SOS_ROW] = {
        0.80059240f, -1.60118480f, 0.80059240f, 1.0f, -1.56101808f, 0.64135154f,
        0.20657208f, 0.41314417f, 0.20657208f, 1.0f, -0.36952738f, 0.19581571f,
    };
    cw_iir_t whole, pieces;
    float zw[4], zp[4];
    float x[97], yw[97], yp[97];
    size_t i, at = 0, cut = 1;
    (void)state;
    for (i = 0; i < CW_COUNT_OF(x); ++i) {
        x[i] = (float)((int)(i * 37u % 23u) - 11);
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
    float zi[2];
    float first;
    (void)state;
    assert_int_equal(cw_iir_init(&f, one_pole, zi, 1), CW_OK);
    first = cw_iir_step(&f, 3.0f);
    (void)cw_iir_step(&f, -8.0f);
    cw_iir_reset(&f);
    assert_float_equal(cw_iir_step(&f, 3.0f), first, 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iir_init_should_reject_an_unnormalised_section),
        cmocka_unit_test(test_iir_should_give_the_analytic_step_response),
        cmocka_unit_test(test_iir_should_equal_one_pass_when_fed_in_chunks),
        cmocka_unit_test(test_iir_reset_should_forget_the_past),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
