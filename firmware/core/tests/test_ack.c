#include "test_common.h"
#include "cw_ack.h"

static void test_ack_should_collect_stored_duplicate_and_rejected_seqs(void **state)
{
    const char *json = "{\"stored\": [12, 13], \"duplicate\": [11],"
                       " \"rejected\": [{\"index\": 3, \"seq\": 14, \"error\": \"CrcMismatch\","
                       " \"detail\": \"device 7 seq 14: crc 0x1234, expected [0x99] \\\"x\\\"\"}]}";
    uint32_t done[8];
    size_t n = 0;
    (void)state;
    assert_int_equal(cw_ack_parse(json, strlen(json), done, 8, &n), CW_OK);
    assert_int_equal(n, 4);
    assert_int_equal(done[0], 12);
    assert_int_equal(done[1], 13);
    assert_int_equal(done[2], 11);
    assert_int_equal(done[3], 14);
}

static void test_ack_should_skip_a_rejected_frame_without_seq_and_other_numbers(void **state)
{
    const char *json = "{\"rejected\":[{\"index\":0,\"seq\":null,\"error\":\"TruncatedFrame\"}],"
                       "\"stored\":[],\"duplicate\":[],\"other\":[5,6]}";
    uint32_t done[4];
    size_t n = 99;
    (void)state;
    assert_int_equal(cw_ack_parse(json, strlen(json), done, 4, &n), CW_OK);
    assert_int_equal(n, 0);
}

static void test_ack_should_handle_seqs_up_to_uint32_max(void **state)
{
    const char *json = "{\"stored\":[4294967295]}";
    uint32_t done[1];
    size_t n = 0;
    (void)state;
    assert_int_equal(cw_ack_parse(json, strlen(json), done, 1, &n), CW_OK);
    assert_int_equal(done[0], 4294967295u);
}

static void test_ack_should_refuse_text_that_is_not_a_json_object(void **state)
{
    const char *bad[] = {"", "[1,2]", "{\"stored\":[1,2}", "{\"stored\":\"open", "Unauthorized", "{}{}"};
    uint32_t done[4];
    size_t n, k;
    (void)state;
    for (k = 0; k < CW_COUNT_OF(bad); ++k) {
        assert_int_equal(cw_ack_parse(bad[k], strlen(bad[k]), done, 4, &n), CW_ERR_FORMAT);
    }
}

static void test_ack_should_report_more_seqs_than_fit(void **state)
{
    const char *json = "{\"stored\":[1,2,3]}";
    uint32_t done[2];
    size_t n = 0;
    (void)state;
    assert_int_equal(cw_ack_parse(json, strlen(json), done, 2, &n), CW_ERR_CAPACITY);
    assert_int_equal(n, 3);
    assert_int_equal(done[1], 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_should_collect_stored_duplicate_and_rejected_seqs),
        cmocka_unit_test(test_ack_should_skip_a_rejected_frame_without_seq_and_other_numbers),
        cmocka_unit_test(test_ack_should_handle_seqs_up_to_uint32_max),
        cmocka_unit_test(test_ack_should_refuse_text_that_is_not_a_json_object),
        cmocka_unit_test(test_ack_should_report_more_seqs_than_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
