#include "test_common.h"
#include "cw_ring.h"

static void test_ring_init_should_reject_a_capacity_that_is_not_a_power_of_two(void **state)
{
    cw_ring_t ring;
    int32_t storage[6];
    (void)state;
    assert_int_equal(cw_ring_init(&ring, storage, 6), CW_ERR_ARG);
    assert_int_equal(cw_ring_init(&ring, NULL, 8), CW_ERR_ARG);
    assert_int_equal(cw_ring_init(NULL, storage, 4), CW_ERR_ARG);
}

static void test_ring_should_move_nothing_when_unready(void **state)
{
    cw_ring_t ring;
    int32_t storage[6];
    const int32_t x[2] = {1, 2};
    int32_t out[2];
    (void)state;
    (void)cw_ring_init(&ring, storage, 6);
    assert_int_equal(cw_ring_write(&ring, x, 2), 0);
    assert_int_equal(cw_ring_read(&ring, out, 2), 0);
    assert_int_equal(cw_ring_count(&ring), 0);
    assert_int_equal(cw_ring_write(NULL, x, 2), 0);
}

static void test_ring_should_return_samples_in_order_across_the_wrap(void **state)
{
    cw_ring_t ring;
    int32_t storage[8];
    int32_t out[8];
    int32_t next_in = 0;
    int32_t next_out = 0;
    int round;
    (void)state;
    assert_int_equal(cw_ring_init(&ring, storage, 8), CW_OK);
    for (round = 0; round < 50; ++round) {
        int32_t chunk[5];
        size_t k;
        size_t got;
        for (k = 0; k < 5; ++k) {
            chunk[k] = next_in++;
        }
        assert_int_equal(cw_ring_write(&ring, chunk, 5), 5);
        got = cw_ring_read(&ring, out, 8);
        assert_int_equal(got, 5);
        for (k = 0; k < got; ++k) {
            assert_int_equal(out[k], next_out++);
        }
    }
    assert_int_equal(cw_ring_overflow(&ring), 0);
}

static void test_ring_should_count_samples_lost_when_full(void **state)
{
    cw_ring_t ring;
    int32_t storage[4];
    const int32_t x[6] = {10, 11, 12, 13, 14, 15};
    int32_t out[4];
    (void)state;
    assert_int_equal(cw_ring_init(&ring, storage, 4), CW_OK);
    assert_int_equal(cw_ring_write(&ring, x, 6), 4);
    assert_int_equal(cw_ring_overflow(&ring), 2);
    assert_int_equal(cw_ring_space(&ring), 0);
    assert_int_equal(cw_ring_read(&ring, out, 4), 4);
    /* the oldest samples are kept: the producer cannot move the consumer's index */
    assert_int_equal(out[0], 10);
    assert_int_equal(out[3], 13);
    assert_int_equal(cw_ring_write(&ring, x, 1), 1);
    assert_int_equal(cw_ring_overflow(&ring), 2);
}

static void test_ring_should_survive_index_wraparound_of_uint32(void **state)
{
    cw_ring_t ring;
    int32_t storage[4];
    const int32_t x[3] = {7, 8, 9};
    int32_t out[3];
    (void)state;
    assert_int_equal(cw_ring_init(&ring, storage, 4), CW_OK);
    ring.head = 0xFFFFFFFEu; /* as after ~4e9 samples: 138 days at 360 Hz */
    ring.tail = 0xFFFFFFFEu;
    assert_int_equal(cw_ring_write(&ring, x, 3), 3);
    assert_int_equal(cw_ring_count(&ring), 3);
    assert_int_equal(cw_ring_read(&ring, out, 3), 3);
    assert_int_equal(out[0], 7);
    assert_int_equal(out[2], 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_init_should_reject_a_capacity_that_is_not_a_power_of_two),
        cmocka_unit_test(test_ring_should_move_nothing_when_unready),
        cmocka_unit_test(test_ring_should_return_samples_in_order_across_the_wrap),
        cmocka_unit_test(test_ring_should_count_samples_lost_when_full),
        cmocka_unit_test(test_ring_should_survive_index_wraparound_of_uint32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
