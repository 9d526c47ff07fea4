#include "test_common.h"
#include "cw_crc.h"

static const uint8_t check_input[] = "123456789";

static void test_crc32_should_match_the_catalogue_check_value(void **state)
{
    (void)state;
    assert_int_equal(cw_crc32_update(CW_CRC32_INIT, check_input, 9), 0xCBF43926u);
}

static void test_crc32_should_equal_one_pass_when_chained_over_pieces(void **state)
{
    uint32_t c;
    (void)state;
    c = cw_crc32_update(CW_CRC32_INIT, check_input, 4);
    c = cw_crc32_update(c, check_input + 4, 5);
    assert_int_equal(c, 0xCBF43926u);
}

static void test_crc32_should_be_zero_on_no_bytes(void **state)
{
    (void)state;
    assert_int_equal(cw_crc32_update(CW_CRC32_INIT, check_input, 0), 0u);
}

static void test_crc16_should_match_the_catalogue_check_value(void **state)
{
    (void)state;
    assert_int_equal(cw_crc16_update(CW_CRC16_INIT, check_input, 9), 0x29B1u);
}

static void test_crc16_should_detect_a_single_flipped_bit(void **state)
{
    uint8_t copy[9];
    (void)state;
    memcpy(copy, check_input, 9);
    copy[3] ^= 0x10u;
    assert_int_not_equal(cw_crc16_update(CW_CRC16_INIT, copy, 9), 0x29B1u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_should_match_the_catalogue_check_value),
        cmocka_unit_test(test_crc32_should_equal_one_pass_when_chained_over_pieces),
        cmocka_unit_test(test_crc32_should_be_zero_on_no_bytes),
        cmocka_unit_test(test_crc16_should_match_the_catalogue_check_value),
        cmocka_unit_test(test_crc16_should_detect_a_single_flipped_bit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
