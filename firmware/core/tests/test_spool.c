/* test_spool.c - the flash tier of the offline queue on an in-memory "file system" with fault injection. */
#include "test_common.h"
#include "cw_spool.h"

#define SLOTS 8
#define SLOT_BYTES 8192

typedef struct {
    int present[SLOTS];
    uint32_t id[SLOTS];
    uint32_t size[SLOTS];
    uint8_t data[SLOTS][SLOT_BYTES];
    uint8_t meta[CW_SPOOL_META_BYTES];
    int has_meta;
    int fail_appends; /* the next appends that fail */
    int files;        /* segments present */
} fake_fs_t;

static fake_fs_t fs; /* 64 KB: off the small bare-metal stack */

static int slot_of(fake_fs_t *f, uint32_t seg, int create)
{
    int i;
    for (i = 0; i < SLOTS; ++i) {
        if (f->present[i] && f->id[i] == seg) {
            return i;
        }
    }
    if (!create) {
        return -1;
    }
    for (i = 0; i < SLOTS; ++i) {
        if (!f->present[i]) {
            f->present[i] = 1;
            f->id[i] = seg;
            f->size[i] = 0;
            f->files += 1;
            return i;
        }
    }
    return -1;
}

static int fake_append(void *ctx, uint32_t seg, const uint8_t *data, size_t len)
{
    fake_fs_t *f = (fake_fs_t *)ctx;
    const int s = slot_of(f, seg, 1);
    if (f->fail_appends > 0) {
        f->fail_appends -= 1;
        if (s >= 0 && len > 1u) { /* a power loss mid-write: half of it lands */
            memcpy(f->data[s] + f->size[s], data, len / 2u);
            f->size[s] += (uint32_t)(len / 2u);
        }
        return -1;
    }
    if (s < 0 || f->size[s] + len > SLOT_BYTES) {
        return -1;
    }
    memcpy(f->data[s] + f->size[s], data, len);
    f->size[s] += (uint32_t)len;
    return 0;
}

static int32_t fake_read(void *ctx, uint32_t seg, uint32_t offset, uint8_t *buf, size_t cap)
{
    fake_fs_t *f = (fake_fs_t *)ctx;
    const int s = slot_of(f, seg, 0);
    size_t n;
    if (s < 0) {
        return -1;
    }
    if (offset >= f->size[s]) {
        return 0;
    }
    n = f->size[s] - offset < cap ? f->size[s] - offset : cap;
    memcpy(buf, f->data[s] + offset, n);
    return (int32_t)n;
}

static int32_t fake_size(void *ctx, uint32_t seg)
{
    fake_fs_t *f = (fake_fs_t *)ctx;
    const int s = slot_of(f, seg, 0);
    return s < 0 ? -1 : (int32_t)f->size[s];
}

static int fake_remove(void *ctx, uint32_t seg)
{
    fake_fs_t *f = (fake_fs_t *)ctx;
    const int s = slot_of(f, seg, 0);
    if (s >= 0) {
        f->present[s] = 0;
        f->files -= 1;
    }
    return 0;
}

static int fake_save_meta(void *ctx, const uint8_t *data, size_t len)
{
    fake_fs_t *f = (fake_fs_t *)ctx;
    memcpy(f->meta, data, len);
    f->has_meta = 1;
    return 0;
}

static int32_t fake_load_meta(void *ctx, uint8_t *buf, size_t cap)
{
    fake_fs_t *f = (fake_fs_t *)ctx;
    if (!f->has_meta || cap < CW_SPOOL_META_BYTES) {
        return -1;
    }
    memcpy(buf, f->meta, CW_SPOOL_META_BYTES);
    return (int32_t)CW_SPOOL_META_BYTES;
}

static cw_spool_io_t io_for(fake_fs_t *f)
{
    cw_spool_io_t io;
    io.ctx = f;
    io.append = fake_append;
    io.read = fake_read;
    io.size = fake_size;
    io.remove = fake_remove;
    io.save_meta = fake_save_meta;
    io.load_meta = fake_load_meta;
    return io;
}

#define SEGMENT (CW_SPOOL_MAX_FRAME + CW_SPOOL_RECORD_OVERHEAD) /* 3 frames of 600 B per segment */

static void frame_of(uint32_t k, uint8_t *out, size_t len)
{
    size_t i;
    for (i = 0; i < len; ++i) {
        out[i] = (uint8_t)(k * 31u + i);
    }
}

static void push_k(cw_spool_t *sp, uint32_t k)
{
    uint8_t frame[600];
    frame_of(k, frame, sizeof frame);
    assert_int_equal(cw_spool_push(sp, frame, sizeof frame), CW_OK);
}

/* Pops one frame and checks it is frame k. */
static void expect_k(cw_spool_t *sp, uint32_t k)
{
    uint8_t frame[600];
    uint8_t got[CW_SPOOL_MAX_FRAME];
    frame_of(k, frame, sizeof frame);
    assert_int_equal(cw_spool_peek_at(sp, 0, got, sizeof got), sizeof frame);
    assert_memory_equal(got, frame, sizeof frame);
    assert_int_equal(cw_spool_pop(sp), CW_OK);
}

static cw_spool_t open_fresh(uint32_t max_segments)
{
    cw_spool_t sp;
    cw_spool_io_t io;
    memset(&fs, 0, sizeof fs);
    io = io_for(&fs);
    assert_int_equal(cw_spool_open(&sp, &io, SEGMENT, max_segments), CW_OK);
    return sp;
}

static void test_spool_should_return_frames_oldest_first_across_segments(void **state)
{
    cw_spool_t sp = open_fresh(8);
    uint8_t got[CW_SPOOL_MAX_FRAME];
    uint32_t k;
    (void)state;
    assert_true(cw_spool_empty(&sp));
    assert_int_equal(cw_spool_pop(&sp), CW_ERR_EMPTY);
    for (k = 0; k < 10; ++k) {
        push_k(&sp, k);
    }
    assert_int_equal(sp.last - sp.first + 1u, 4); /* 3 + 3 + 3 + 1 */
    assert_int_equal(cw_spool_peek_at(&sp, 4, got, sizeof got), 600); /* in the second segment */
    assert_int_equal(cw_spool_peek_at(&sp, 10, got, sizeof got), 0);
    assert_int_equal(cw_spool_peek_at(&sp, 0, got, 100), 0); /* does not fit */
    for (k = 0; k < 10; ++k) {
        expect_k(&sp, k);
    }
    assert_true(cw_spool_empty(&sp));
    assert_int_equal(fs.files, 0); /* all sent: the flash is freed */
}

static void test_spool_should_keep_unsent_frames_across_a_reboot(void **state)
{
    cw_spool_t sp = open_fresh(8);
    cw_spool_t again;
    cw_spool_io_t io = io_for(&fs);
    uint32_t k;
    (void)state;
    for (k = 0; k < 7; ++k) {
        push_k(&sp, k);
    }
    expect_k(&sp, 0);
    expect_k(&sp, 1);
    expect_k(&sp, 2);
    expect_k(&sp, 3); /* segment 0 used up and removed; 4 and 5 left in segment 1, 6 in segment 2 */
    assert_int_equal(cw_spool_open(&again, &io, SEGMENT, 8), CW_OK); /* the reboot */
    expect_k(&again, 3); /* its segment is read from the start again: the server answers "duplicate" */
    for (k = 4; k < 7; ++k) {
        expect_k(&again, k);
    }
    push_k(&again, 7);
    expect_k(&again, 7);
    assert_true(cw_spool_empty(&again));
}

static void test_spool_should_drop_the_oldest_segment_when_full_and_count_it(void **state)
{
    cw_spool_t sp = open_fresh(3);
    uint32_t k;
    (void)state;
    for (k = 0; k < 12; ++k) {
        push_k(&sp, k);
    }
    /* 12 frames need 4 segments; 3 are allowed: the first (frames 0-2) went */
    assert_int_equal(sp.dropped_frames, 3);
    for (k = 3; k < 12; ++k) {
        expect_k(&sp, k);
    }
    assert_true(cw_spool_empty(&sp));
}

static void test_spool_should_skip_a_record_cut_by_a_power_loss(void **state)
{
    cw_spool_t sp = open_fresh(8);
    cw_spool_t again;
    cw_spool_io_t io = io_for(&fs);
    uint8_t frame[600];
    (void)state;
    push_k(&sp, 0);
    fs.fail_appends = 1; /* the next record's header is half written, then the power goes */
    frame_of(1, frame, sizeof frame);
    assert_int_equal(cw_spool_push(&sp, frame, sizeof frame), CW_ERR_CAPACITY);
    assert_int_equal(sp.io_errors, 1);
    assert_int_equal(cw_spool_open(&again, &io, SEGMENT, 8), CW_OK);
    push_k(&again, 2); /* goes to a new segment, after the cut one */
    expect_k(&again, 0);
    expect_k(&again, 2);
    assert_true(cw_spool_empty(&again));
}

static void test_spool_should_not_send_a_corrupted_record(void **state)
{
    cw_spool_t sp = open_fresh(8);
    uint32_t k;
    (void)state;
    for (k = 0; k < 6; ++k) {
        push_k(&sp, k);
    }
    fs.data[0][CW_SPOOL_RECORD_OVERHEAD + 604 + 10] ^= 0x40u; /* a bit of frame 1 flips on flash */
    expect_k(&sp, 0);
    expect_k(&sp, 3); /* frames 1 and 2 (the rest of that segment) are not trusted */
    expect_k(&sp, 4);
    expect_k(&sp, 5);
    assert_true(cw_spool_empty(&sp));
}

static void test_spool_should_continue_after_a_failed_write(void **state)
{
    cw_spool_t sp = open_fresh(8);
    uint8_t frame[600];
    (void)state;
    push_k(&sp, 0);
    fs.fail_appends = 2;
    frame_of(1, frame, sizeof frame);
    assert_int_equal(cw_spool_push(&sp, frame, sizeof frame), CW_ERR_CAPACITY);
    frame_of(2, frame, sizeof frame);
    assert_int_equal(cw_spool_push(&sp, frame, sizeof frame), CW_ERR_CAPACITY); /* again, in a new segment */
    assert_int_equal(sp.io_errors, 2);
    push_k(&sp, 3);
    expect_k(&sp, 0);
    expect_k(&sp, 3);
    assert_true(cw_spool_empty(&sp));
}

static void test_spool_should_refuse_bad_arguments(void **state)
{
    cw_spool_t sp;
    cw_spool_io_t io = io_for(&fs);
    uint8_t big[CW_SPOOL_MAX_FRAME + 1u];
    (void)state;
    memset(&fs, 0, sizeof fs);
    memset(big, 1, sizeof big);
    assert_int_equal(cw_spool_open(&sp, &io, 100, 8), CW_ERR_ARG); /* under one largest record */
    assert_int_equal(cw_spool_open(&sp, &io, SEGMENT, 1), CW_ERR_ARG);
    io.read = NULL;
    assert_int_equal(cw_spool_open(&sp, &io, SEGMENT, 8), CW_ERR_ARG);
    io = io_for(&fs);
    assert_int_equal(cw_spool_open(&sp, &io, SEGMENT, 8), CW_OK);
    assert_int_equal(cw_spool_push(&sp, big, sizeof big), CW_ERR_ARG);
    assert_int_equal(cw_spool_push(&sp, big, 0), CW_ERR_ARG);
    assert_int_equal(cw_spool_push(NULL, big, 10), CW_ERR_ARG);
    assert_true(cw_spool_empty(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spool_should_return_frames_oldest_first_across_segments),
        cmocka_unit_test(test_spool_should_keep_unsent_frames_across_a_reboot),
        cmocka_unit_test(test_spool_should_drop_the_oldest_segment_when_full_and_count_it),
        cmocka_unit_test(test_spool_should_skip_a_record_cut_by_a_power_loss),
        cmocka_unit_test(test_spool_should_not_send_a_corrupted_record),
        cmocka_unit_test(test_spool_should_continue_after_a_failed_write),
        cmocka_unit_test(test_spool_should_refuse_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
