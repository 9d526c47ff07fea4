#include "cw_display.h"

#define CW_STATUS_HEIGHT 24
#define CW_RATE_MIN_WIDTH 112 /* three 32-pixel font-7 digits and a margin */

static cw_rect_t cw_rect(int32_t x, int32_t y, int32_t w, int32_t h)
{
    cw_rect_t r;
    r.x = (int16_t)x;
    r.y = (int16_t)y;
    r.w = (int16_t)w;
    r.h = (int16_t)h;
    return r;
}

cw_err_t cw_display_layout_for(int16_t width, int16_t height, cw_layout_t *out)
{
    int32_t rate_w;
    int32_t top_h;
    if (out == 0 || width < CW_DISPLAY_MIN_SIDE || height < CW_DISPLAY_MIN_SIDE || width > CW_DISPLAY_MAX_WIDTH) {
        return CW_ERR_ARG;
    }
    rate_w = (int32_t)width * 15 / 32;
    if (rate_w < CW_RATE_MIN_WIDTH) {
        rate_w = CW_RATE_MIN_WIDTH;
    }
    top_h = (int32_t)height * 2 / 5;
    out->status = cw_rect(0, 0, width, CW_STATUS_HEIGHT);
    out->rate = cw_rect(0, CW_STATUS_HEIGHT, rate_w, top_h);
    out->rhythm = cw_rect(rate_w, CW_STATUS_HEIGHT, width - rate_w, top_h);
    out->sweep = cw_rect(0, CW_STATUS_HEIGHT + top_h, width, height - CW_STATUS_HEIGHT - top_h);
    return CW_OK;
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
    case 4:
        return 0xF81F; /* magenta: a shockable rhythm (VF / flutter), unlike a pause's red */
    default:
        return 0xF800; /* red: critical, and anything unknown */
    }
}

cw_err_t cw_sweep_init(cw_sweep_t *sw, uint32_t fs_hz, uint32_t seconds, uint16_t columns, int16_t height)
{
    uint32_t i;
    if (sw == 0 || height <= 0 || fs_hz == 0u || seconds == 0u || columns == 0u || columns > CW_SWEEP_COLUMNS
        || (uint64_t)fs_hz * seconds < (uint64_t)columns) {
        return CW_ERR_ARG;
    }
    sw->columns = columns;
    sw->samples_per_column = (uint32_t)(((uint64_t)fs_hz * seconds) / columns);
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
    if (sw->n_dirty < sw->columns) {
        sw->n_dirty += 1u;
    }
    sw->in_column = 0;
    sw->sum = 0;
    sw->cursor = (uint16_t)((x + 1u) % sw->columns);
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
        if (sw->hi <= sw->lo && sw->n < (int64_t)sw->samples_per_column * sw->columns) {
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
    if (n > sw->columns) {
        n = sw->columns;
    }
    sw->n_dirty = 0;
    return n;
}

int cw_sweep_is_gap(const cw_sweep_t *sw, uint16_t x)
{
    const uint16_t ahead = (uint16_t)((x + sw->columns - sw->cursor) % sw->columns);
    return ahead < CW_SWEEP_GAP;
}
