#include "cw_display.h"

static const cw_layout_t cw_layout = {
    {0, 0, CW_DISPLAY_WIDTH, 24},        /* status bar */
    {0, 24, 150, 96},                    /* heart rate */
    {150, 24, CW_DISPLAY_WIDTH - 150, 96}, /* rhythm + alert */
    {0, 120, CW_DISPLAY_WIDTH, CW_DISPLAY_HEIGHT - 120}, /* sweep */
};

const cw_layout_t *cw_display_layout(void)
{
    return &cw_layout;
}

uint16_t cw_display_alert_color(int32_t level)
{
    /* RGB565 */
    switch (level) {
    case 0:
        return 0x07E0; /* green */
    case 1:
        return 0xFFE0; /* yellow: technical (lead off, no signal) */
    case 2:
        return 0xFD20; /* orange: warning */
    default:
        return 0xF800; /* red: critical, and anything unknown */
    }
}

cw_err_t cw_sweep_init(cw_sweep_t *sw, uint32_t fs_hz, uint32_t seconds, int16_t height)
{
    uint32_t i;
    if (sw == 0 || height <= 0 || fs_hz == 0u || seconds == 0u
        || (uint64_t)fs_hz * seconds < (uint64_t)CW_SWEEP_COLUMNS) {
        return CW_ERR_ARG;
    }
    sw->samples_per_column = (uint32_t)(((uint64_t)fs_hz * seconds) / CW_SWEEP_COLUMNS);
    for (i = 0; i < CW_SWEEP_COLUMNS; ++i) {
        sw->y[i] = (int16_t)(height / 2);
        sw->beat[i] = 0;
    }
    sw->in_column = 0;
    sw->sum = 0;
    sw->lo = 0;
    sw->hi = 0;
    sw->next_lo = INT32_MAX;
    sw->next_hi = INT32_MIN;
    sw->cursor = 0;
    sw->dirty_from = 0;
    sw->n_dirty = 0;
    sw->height = height;
    sw->n = 0;
    sw->pending_beat = -1;
    return CW_OK;
}

static int16_t cw_sweep_row(const cw_sweep_t *sw, int32_t value)
{
    const int32_t margin = 2;
    const int32_t rows = sw->height - 1 - 2 * margin;
    int64_t row;
    if (sw->hi <= sw->lo) {
        return (int16_t)(sw->height / 2); /* no range yet (first screen, or a flat line) */
    }
    if (value < sw->lo) {
        value = sw->lo;
    }
    if (value > sw->hi) {
        value = sw->hi;
    }
    /* larger values higher on the screen: row 0 is the top */
    row = margin + (int64_t)rows - ((int64_t)(value - sw->lo) * rows) / (int64_t)(sw->hi - sw->lo);
    return (int16_t)row;
}

static void cw_sweep_close_column(cw_sweep_t *sw)
{
    const int32_t mean = (int32_t)(sw->sum / (int64_t)sw->in_column);
    const uint16_t x = sw->cursor;
    sw->y[x] = cw_sweep_row(sw, mean);
    /* a beat is marked in the column its sample falls into */
    sw->beat[x] = (uint8_t)(sw->pending_beat >= 0 && sw->pending_beat < sw->n);
    if (sw->beat[x]) {
        sw->pending_beat = -1;
    }
    if (sw->n_dirty == 0u) {
        sw->dirty_from = x;
    }
    if (sw->n_dirty < CW_SWEEP_COLUMNS) {
        sw->n_dirty += 1u;
    }
    sw->in_column = 0;
    sw->sum = 0;
    sw->cursor = (uint16_t)((x + 1u) % CW_SWEEP_COLUMNS);
    if (sw->cursor == 0u) { /* a screen done: its range scales the next one (adapts to gain changes) */
        sw->lo = sw->next_lo;
        sw->hi = sw->next_hi;
        sw->next_lo = INT32_MAX;
        sw->next_hi = INT32_MIN;
    }
}

void cw_sweep_push(cw_sweep_t *sw, const int32_t *x, size_t n)
{
    size_t i;
    if (sw == 0 || x == 0 || sw->samples_per_column == 0u) {
        return;
    }
    for (i = 0; i < n; ++i) {
        if (x[i] < sw->next_lo) {
            sw->next_lo = x[i];
        }
        if (x[i] > sw->next_hi) {
            sw->next_hi = x[i];
        }
        if (sw->hi <= sw->lo && sw->n < (int64_t)sw->samples_per_column * CW_SWEEP_COLUMNS) {
            /* the first screen scales itself as it goes */
            sw->lo = sw->next_lo;
            sw->hi = sw->next_hi;
        }
        sw->sum += x[i];
        sw->in_column += 1u;
        sw->n += 1;
        if (sw->in_column == sw->samples_per_column) {
            cw_sweep_close_column(sw);
        }
    }
}

void cw_sweep_mark(cw_sweep_t *sw, int64_t sample)
{
    if (sw != 0 && sample >= 0) {
        sw->pending_beat = sample;
    }
}

uint16_t cw_sweep_dirty(cw_sweep_t *sw, uint16_t *from)
{
    uint16_t n;
    if (sw == 0 || from == 0 || sw->n_dirty == 0u) {
        return 0;
    }
    *from = sw->dirty_from;
    n = (uint16_t)(sw->n_dirty + CW_SWEEP_GAP);
    if (n > CW_SWEEP_COLUMNS) {
        n = CW_SWEEP_COLUMNS;
    }
    sw->n_dirty = 0;
    return n;
}

int cw_sweep_is_gap(const cw_sweep_t *sw, uint16_t x)
{
    const uint16_t ahead = (uint16_t)((x + CW_SWEEP_COLUMNS - sw->cursor) % CW_SWEEP_COLUMNS);
    return ahead < CW_SWEEP_GAP;
}
