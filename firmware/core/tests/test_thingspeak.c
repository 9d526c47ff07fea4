#include "test_common.h"
#include "cw_thingspeak.h"

static void test_thingspeak_update_should_carry_known_fields_and_leave_unknown_ones_out(void **state)
{
    const cw_ts_summary_t s = {723, CW_RHYTHM_AFIB, 2, 97, -1};
    char body[256];
    size_t len = 0;
    (void)state;
    assert_int_equal(cw_ts_build_update("KEY 1&2", &s, body, sizeof body, &len), CW_OK);
    assert_string_equal(body, "api_key=KEY+1%262&field1=72.3&field2=4&field3=2&field4=97&status=atrial+fibrillation");
    assert_int_equal(len, strlen(body));
}

static void test_thingspeak_update_should_refuse_an_empty_key_and_a_short_buffer(void **state)
{
    const cw_ts_summary_t s = {600, CW_RHYTHM_N, 0, 100, 80};
    char body[16];
    size_t len = 0;
    (void)state;
    assert_int_equal(cw_ts_build_update("", &s, body, sizeof body, &len), CW_ERR_ARG);
    assert_int_equal(cw_ts_build_update("WRITEKEY", &s, body, sizeof body, &len), CW_ERR_CAPACITY);
}

static void test_thingspeak_limiter_should_keep_one_update_per_interval(void **state)
{
    cw_ts_limiter_t lim;
    (void)state;
    assert_int_equal(cw_ts_limiter_init(&lim, 16000, 600000), CW_OK);
    assert_true(cw_ts_due(&lim, 5));
    cw_ts_on_outcome(&lim, 5, cw_ts_outcome(200, "17\n"));
    assert_false(cw_ts_due(&lim, 16004));
    assert_true(cw_ts_due(&lim, 16005));
    assert_int_equal(lim.posted, 1);
}

static void test_thingspeak_limiter_should_back_off_doubling_on_zero_and_429(void **state)
{
    cw_ts_limiter_t lim;
    (void)state;
    assert_int_equal(cw_ts_limiter_init(&lim, 16000, 100000), CW_OK);
    cw_ts_on_outcome(&lim, 0, cw_ts_outcome(200, "0"));
    assert_int_equal(lim.next_at_ms, 32000);
    cw_ts_on_outcome(&lim, 32000, cw_ts_outcome(429, "Too Many Requests"));
    assert_int_equal(lim.next_at_ms, 32000 + 64000);
    cw_ts_on_outcome(&lim, 96000, cw_ts_outcome(-1, 0));
    assert_int_equal(lim.next_at_ms, 96000 + 100000); /* capped */
    cw_ts_on_outcome(&lim, 196000, cw_ts_outcome(200, "18"));
    assert_int_equal(lim.next_at_ms, 196000 + 16000); /* success resets the backoff */
    assert_int_equal(lim.retried, 3);
}

static void test_thingspeak_outcome_should_refuse_a_wrong_key_without_retry(void **state)
{
    cw_ts_limiter_t lim;
    (void)state;
    assert_int_equal(cw_ts_outcome(401, "Unauthorized"), CW_TS_REFUSED);
    assert_int_equal(cw_ts_outcome(200, " 12 "), CW_TS_ACCEPTED);
    assert_int_equal(cw_ts_outcome(200, "12a"), CW_TS_RETRY);
    assert_int_equal(cw_ts_limiter_init(&lim, 16000, 60000), CW_OK);
    cw_ts_on_outcome(&lim, 1000, CW_TS_REFUSED);
    assert_int_equal(lim.refused, 1);
    assert_int_equal(lim.failures, 0);
}

static void test_thingspeak_limiter_should_survive_the_millisecond_clock_wrap(void **state)
{
    cw_ts_limiter_t lim;
    (void)state;
    assert_int_equal(cw_ts_limiter_init(&lim, 16000, 60000), CW_OK);
    cw_ts_on_outcome(&lim, 0xFFFFF000u, CW_TS_ACCEPTED);
    assert_false(cw_ts_due(&lim, 0xFFFFFF00u));
    assert_false(cw_ts_due(&lim, 1000u));
    assert_true(cw_ts_due(&lim, 0xFFFFF000u + 16000u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thingspeak_update_should_carry_known_fields_and_leave_unknown_ones_out),
        cmocka_unit_test(test_thingspeak_update_should_refuse_an_empty_key_and_a_short_buffer),
        cmocka_unit_test(test_thingspeak_limiter_should_keep_one_update_per_interval),
        cmocka_unit_test(test_thingspeak_limiter_should_back_off_doubling_on_zero_and_429),
        cmocka_unit_test(test_thingspeak_outcome_should_refuse_a_wrong_key_without_retry),
        cmocka_unit_test(test_thingspeak_limiter_should_survive_the_millisecond_clock_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
