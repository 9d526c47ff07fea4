#include "test_common.h"
#include "cw_queue.h"

static void fill(uint8_t *frame, size_t len, uint8_t tag)
{
    size_t i;
    for (i = 0; i < len; ++i) {
        frame[i] = (uint8_t)(tag + i);
    }
}

static void test_queue_should_return_frames_oldest_first(void **state)
{
    cw_queue_t q;
    uint8_t arena[64];
    uint8_t a[5], b[9], out[16];
    (void)state;
    assert_int_equal(cw_queue_init(&q, arena, sizeof arena), CW_OK);
    fill(a, sizeof a, 1);
    fill(b, sizeof b, 100);
    assert_int_equal(cw_queue_push(&q, a, sizeof a), CW_OK);
    assert_int_equal(cw_queue_push(&q, b, sizeof b), CW_OK);
    assert_int_equal(cw_queue_count(&q), 2);
    assert_int_equal(cw_queue_peek(&q, out, sizeof out), sizeof a);
    assert_memory_equal(out, a, sizeof a);
    assert_int_equal(cw_queue_pop(&q), CW_OK);
    assert_int_equal(cw_queue_peek(&q, out, sizeof out), sizeof b);
    assert_memory_equal(out, b, sizeof b);
    assert_int_equal(cw_queue_pop(&q), CW_OK);
    assert_int_equal(cw_queue_pop(&q), CW_ERR_EMPTY);
}

static void test_queue_should_drop_and_count_the_oldest_when_full(void **state)
{
    cw_queue_t q;
    uint8_t arena[30]; /* three frames of 8 bytes + 2 length bytes each */
    uint8_t frame[8], out[8];
    uint8_t tag;
    (void)state;
    assert_int_equal(cw_queue_init(&q, arena, sizeof arena), CW_OK);
    for (tag = 0; tag < 5; ++tag) {
        fill(frame, sizeof frame, (uint8_t)(tag * 16));
        assert_int_equal(cw_queue_push(&q, frame, sizeof frame), CW_OK);
    }
    assert_int_equal(cw_queue_count(&q), 3);
    assert_int_equal(cw_queue_dropped(&q), 2);
    assert_int_equal(cw_queue_peek(&q, out, sizeof out), 8);
    fill(frame, sizeof frame, 2 * 16); /* frames 0 and 1 were dropped: frame 2 is the oldest */
    assert_memory_equal(out, frame, sizeof frame);
}

static void test_queue_should_keep_frames_intact_across_the_arena_wrap(void **state)
{
    cw_queue_t q;
    uint8_t arena[23];
    uint8_t frame[7], out[7];
    int i;
    (void)state;
    assert_int_equal(cw_queue_init(&q, arena, sizeof arena), CW_OK);
    for (i = 0; i < 40; ++i) {
        fill(frame, sizeof frame, (uint8_t)(i * 3));
        assert_int_equal(cw_queue_push(&q, frame, sizeof frame), CW_OK);
        if (i % 2 == 1) {
            fill(frame, sizeof frame, (uint8_t)((i - 1) * 3));
            assert_int_equal(cw_queue_front_len(&q), sizeof frame);
            assert_int_equal(cw_queue_peek(&q, out, sizeof out), sizeof out);
            assert_int_equal(cw_queue_pop(&q), CW_OK);
        }
    }
    assert_true(cw_queue_count(&q) >= 1);
}

static void test_queue_should_refuse_a_frame_larger_than_the_arena(void **state)
{
    cw_queue_t q;
    uint8_t arena[16], frame[15], small[3];
    (void)state;
    assert_int_equal(cw_queue_init(&q, arena, sizeof arena), CW_OK);
    fill(small, sizeof small, 9);
    assert_int_equal(cw_queue_push(&q, small, sizeof small), CW_OK);
    fill(frame, sizeof frame, 0);
    assert_int_equal(cw_queue_push(&q, frame, sizeof frame), CW_ERR_CAPACITY);
    assert_int_equal(cw_queue_count(&q), 1);
    assert_int_equal(cw_queue_dropped(&q), 0);
    assert_int_equal(cw_queue_push(&q, frame, 0), CW_ERR_ARG);
}

static void test_queue_peek_should_copy_nothing_into_a_short_buffer(void **state)
{
    cw_queue_t q;
    uint8_t arena[32], frame[10], out[4];
    (void)state;
    assert_int_equal(cw_queue_init(&q, arena, sizeof arena), CW_OK);
    fill(frame, sizeof frame, 1);
    assert_int_equal(cw_queue_push(&q, frame, sizeof frame), CW_OK);
    assert_int_equal(cw_queue_peek(&q, out, sizeof out), 0);
    assert_int_equal(cw_queue_front_len(&q), 10);
    assert_int_equal(cw_queue_count(&q), 1);
}

static void test_queue_peek_at_should_reach_every_frame_in_order(void **state)
{
    cw_queue_t q;
    uint8_t arena[40], frame[6], out[6];
    uint8_t tag;
    (void)state;
    assert_int_equal(cw_queue_init(&q, arena, sizeof arena), CW_OK);
    for (tag = 0; tag < 7; ++tag) { /* 5 fit (8 bytes each): frames 2..6 stay, wrapped around */
        fill(frame, sizeof frame, (uint8_t)(tag * 10));
        assert_int_equal(cw_queue_push(&q, frame, sizeof frame), CW_OK);
    }
    assert_int_equal(cw_queue_count(&q), 5);
    for (tag = 0; tag < 5; ++tag) {
        assert_int_equal(cw_queue_peek_at(&q, tag, out, sizeof out), sizeof out);
        fill(frame, sizeof frame, (uint8_t)((tag + 2) * 10));
        assert_memory_equal(out, frame, sizeof frame);
    }
    assert_int_equal(cw_queue_peek_at(&q, 5, out, sizeof out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_should_return_frames_oldest_first),
        cmocka_unit_test(test_queue_should_drop_and_count_the_oldest_when_full),
        cmocka_unit_test(test_queue_should_keep_frames_intact_across_the_arena_wrap),
        cmocka_unit_test(test_queue_should_refuse_a_frame_larger_than_the_arena),
        cmocka_unit_test(test_queue_peek_should_copy_nothing_into_a_short_buffer),
        cmocka_unit_test(test_queue_peek_at_should_reach_every_frame_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
