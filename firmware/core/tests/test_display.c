#include "test_common.h"
#include "cw_display.h"

static cw_sweep_t sweep; /* 1 KB: kept off the small bare-metal stack */

static void test_display_layout_should_tile_every_panel_without_overlap(void **state)
{
    /* landscape 240x320 (as rotated), the square 240x240, portrait 240x320, and the smallest */
    const int16_t sizes[4][2] = {{320, 240}, {240, 240}, {240, 320}, {160, 160}};
    size_t i;
    (void)state;
    for (i = 0; i < CW_COUNT_OF(sizes); ++i) {
        cw_layout_t l;
        const int16_t w = sizes[i][0];
        const int16_t h = sizes[i][1];
        assert_int_equal(cw_display_layout_for(w, h, &l), CW_OK);
        assert_int_equal(l.status.y + l.status.h, l.rate.y);
        assert_int_equal(l.rate.x + l.rate.w, l.rhythm.x);
        assert_int_equal(l.rhythm.x + l.rhythm.w, w);
        assert_int_equal(l.rate.y + l.rate.h, l.sweep.y);
        assert_int_equal(l.sweep.y + l.sweep.h, h);
        assert_int_equal(l.sweep.w, w);
        assert_true(l.rate.w >= 112 && l.rate.h >= 56); /* "150" in font 7: 3 x 32 x 48 pixels */
        assert_true(l.rhythm.w >= 48 && l.sweep.h >= 64);
    }
}

static void test_display_layout_should_keep_the_landscape_320x240_proportions(void **state)
{
    cw_layout_t l;
    (void)state;
    assert_int_equal(cw_display_layout_for(320, 240, &l), CW_OK);
    assert_int_equal(l.rate.w, 150);
    assert_int_equal(l.rate.h, 96);
    assert_int_equal(l.sweep.y, 120);
    assert_int_equal(cw_display_layout_for(240, 240, &l), CW_OK);
    assert_int_equal(l.rate.w, 112);
    assert_int_equal(l.sweep.h, 120); /* the 240x240 panel keeps a full-height sweep, 80 rows less than 320 */
}

static void test_display_layout_should_refuse_unsupported_sizes(void **state)
{
    cw_layout_t l;
    (void)state;
    assert_int_equal(cw_display_layout_for(480, 320, &l), CW_ERR_ARG);
    assert_int_equal(cw_display_layout_for(128, 160, &l), CW_ERR_ARG);
    assert_int_equal(cw_display_layout_for(240, 240, NULL), CW_ERR_ARG);
}

static void test_sweep_should_wrap_at_a_narrow_screens_edge(void **state)
{
    int32_t x[480];
    size_t i;
    (void)state;
    for (i = 0; i < CW_COUNT_OF(x); ++i) {
        x[i] = (int32_t)i;
    }
    assert_int_equal(cw_sweep_init(&sweep, 120, 2, 240, 100), CW_OK); /* 1 sample per column on 240 columns */
    cw_sweep_push(&sweep, x, 250);
    assert_int_equal(sweep.cursor, 10);
    assert_true(cw_sweep_is_gap(&sweep, 10));
    assert_true(cw_sweep_is_gap(&sweep, 17));
    assert_false(cw_sweep_is_gap(&sweep, 18));
    assert_false(cw_sweep_is_gap(&sweep, 239));
    assert_int_equal(cw_sweep_init(&sweep, 120, 2, CW_SWEEP_COLUMNS + 1u, 100), CW_ERR_ARG);
    assert_int_equal(cw_sweep_init(&sweep, 120, 2, 0, 100), CW_ERR_ARG);
}

static void test_display_colors_should_rise_with_the_alert_level(void **state)
{
    (void)state;
    assert_int_equal(cw_display_alert_color(0), 0x07E0);
    assert_int_equal(cw_display_alert_color(3), 0xF800);
    assert_int_equal(cw_display_alert_color(4), 0xF81F); /* VF: its own colour */
    assert_int_not_equal(cw_display_alert_color(1), cw_display_alert_color(2));
    assert_int_equal(cw_display_alert_color(9), 0xF800); /* unknown reads as the worst, never as fine */
}

static void test_sweep_should_put_one_column_per_samples_per_column(void **state)
{
    int32_t x[100];
    uint16_t from = 99;
    size_t i;
    (void)state;
    assert_int_equal(cw_sweep_init(&sweep, 100, 8, CW_SWEEP_COLUMNS, 120), CW_OK); /* 800 samples on 320 columns: 2 each */
    assert_int_equal(sweep.samples_per_column, 2);
    for (i = 0; i < CW_COUNT_OF(x); ++i) {
        x[i] = (int32_t)i;
    }
    cw_sweep_push(&sweep, x, 99);
    assert_int_equal(sweep.cursor, 49);
    assert_int_equal(cw_sweep_dirty(&sweep, &from), 49 + CW_SWEEP_GAP);
    assert_int_equal(from, 0);
    assert_int_equal(cw_sweep_dirty(&sweep, &from), 0); /* nothing new: nothing to draw */
    cw_sweep_push(&sweep, x + 99, 1);
    assert_int_equal(cw_sweep_dirty(&sweep, &from), 1 + CW_SWEEP_GAP);
    assert_int_equal(from, 49);
}

static void test_sweep_should_scale_any_gain_into_its_area(void **state)
{
    int32_t x[4 * 320];
    size_t i;
    int16_t top = 999, bottom = -1;
    (void)state;
    assert_int_equal(cw_sweep_init(&sweep, 160, 2, CW_SWEEP_COLUMNS, 100), CW_OK); /* 1 sample per column */
    for (i = 0; i < CW_COUNT_OF(x); ++i) {
        const int32_t gain = i < 2 * 320 ? 1 : 1000; /* the gain jumps 1000-fold after two screens */
        x[i] = gain * (int32_t)((i % 40) < 20 ? (i % 40) : 40 - (i % 40));
    }
    cw_sweep_push(&sweep, x, CW_COUNT_OF(x));
    for (i = 0; i < CW_SWEEP_COLUMNS; ++i) {
        top = sweep.y[i] < top ? sweep.y[i] : top;
        bottom = sweep.y[i] > bottom ? sweep.y[i] : bottom;
    }
    assert_in_range(top, 0, 10);        /* the last screen spans the area... */
    assert_in_range(bottom, 89, 99);    /* ...and stays inside it */
}

static void test_sweep_should_mark_a_beat_in_its_column(void **state)
{
    int32_t x[40] = {0};
    (void)state;
    assert_int_equal(cw_sweep_init(&sweep, 100, 8, CW_SWEEP_COLUMNS, 120), CW_OK);
    cw_sweep_mark(&sweep, 31); /* sample 31 lands in column 15 (2 samples per column) */
    cw_sweep_push(&sweep, x, 40);
    assert_int_equal(sweep.beat[15], 1);
    assert_int_equal(sweep.beat[14] + sweep.beat[16], 0);
}

static void test_sweep_gap_should_run_ahead_of_the_cursor_across_the_wrap(void **state)
{
    int32_t x[2 * 318] = {0};
    (void)state;
    assert_int_equal(cw_sweep_init(&sweep, 100, 8, CW_SWEEP_COLUMNS, 120), CW_OK);
    cw_sweep_push(&sweep, x, CW_COUNT_OF(x)); /* cursor at column 318 */
    assert_true(cw_sweep_is_gap(&sweep, 318));
    assert_true(cw_sweep_is_gap(&sweep, 2));
    assert_false(cw_sweep_is_gap(&sweep, 317));
    assert_false(cw_sweep_is_gap(&sweep, 10));
}

static void test_sweep_init_should_refuse_a_too_short_sweep(void **state)
{
    (void)state;
    assert_int_equal(cw_sweep_init(&sweep, 100, 1, CW_SWEEP_COLUMNS, 120), CW_ERR_ARG); /* 100 samples < 320 columns */
    assert_int_equal(cw_sweep_init(&sweep, 100, 8, CW_SWEEP_COLUMNS, 0), CW_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_display_layout_should_tile_every_panel_without_overlap),
        cmocka_unit_test(test_display_layout_should_keep_the_landscape_320x240_proportions),
        cmocka_unit_test(test_display_layout_should_refuse_unsupported_sizes),
        cmocka_unit_test(test_sweep_should_wrap_at_a_narrow_screens_edge),
        cmocka_unit_test(test_display_colors_should_rise_with_the_alert_level),
        cmocka_unit_test(test_sweep_should_put_one_column_per_samples_per_column),
        cmocka_unit_test(test_sweep_should_scale_any_gain_into_its_area),
        cmocka_unit_test(test_sweep_should_mark_a_beat_in_its_column),
        cmocka_unit_test(test_sweep_gap_should_run_ahead_of_the_cursor_across_the_wrap),
        cmocka_unit_test(test_sweep_init_should_refuse_a_too_short_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
