/* cw_display.h - what the optional ST7789 shows, decided in portable code (issue 10).
 *
 * The TFT_eSPI calls stay in firmware/src/display.cpp; this unit decides what goes where: the layout of
 * the screen the panel reports (tft.width() x tft.height(): 320 x 240, 240 x 240, 240 x 320), the colour
 * of each alert level, the text of the status line, and the
 * sweep: the last seconds of the waveform, one pixel column per few samples, scaled to its area, with
 * beat marks, drawn left to right with a gap ahead of the cursor, as bedside monitors do. Drawing is
 * bounded: each frame redraws only the columns that changed since the last one (`cw_sweep_dirty`).
 */
#ifndef CW_DISPLAY_H
#define CW_DISPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Screen sizes the layout supports (pixels, after rotation). */
#define CW_DISPLAY_MIN_SIDE 160
#define CW_DISPLAY_MAX_WIDTH 320
/** Most columns a sweep has (it spans the screen width). */
#define CW_SWEEP_COLUMNS CW_DISPLAY_MAX_WIDTH
/** Blank columns ahead of the cursor. */
#define CW_SWEEP_GAP 8

typedef struct {
    int16_t x, y, w, h;
} cw_rect_t;

/** Where each part goes (pixels). */
typedef struct {
    cw_rect_t status; /**< top bar: Wi-Fi, server, ThingSpeak, signal quality */
    cw_rect_t rate;   /**< heart rate, large digits */
    cw_rect_t rhythm; /**< rhythm in words and the alert */
    cw_rect_t sweep;  /**< the waveform */
} cw_layout_t;

/**
 * The layout of a `width` x `height` screen: a 24-pixel status bar, below it the heart rate (15/32 of the
 * width, at least 112 pixels: three font-7 digits) beside the rhythm box, 2/5 of the height together, and
 * the sweep across the full width below.
 * @return CW_ERR_ARG when a side is under CW_DISPLAY_MIN_SIDE or the width over CW_DISPLAY_MAX_WIDTH.
 */
cw_err_t cw_display_layout_for(int16_t width, int16_t height, cw_layout_t *out);

/** RGB565 colour of an alert level (0 none: green, 1 technical: yellow, 2 warning: orange, 3 high: red,
 * 4 shockable rhythm: magenta; anything else: red). */
uint16_t cw_display_alert_color(int32_t level);

typedef struct {
    int16_t y[CW_SWEEP_COLUMNS];    /* pixel row inside the sweep area, per column */
    uint8_t beat[CW_SWEEP_COLUMNS]; /* 1: a beat (or pulse) fell in this column */
    uint32_t samples_per_column;
    uint32_t in_column;   /* samples accumulated in the current column */
    int64_t sum;          /* of those samples */
    int32_t lo, hi;       /* value range of the previous screen, for scaling this one */
    int32_t next_lo, next_hi;
    uint16_t columns;     /* of the sweep area (<= CW_SWEEP_COLUMNS) */
    uint16_t cursor;      /* next column to write */
    uint16_t dirty_from;  /* first column changed since the last cw_sweep_dirty */
    uint16_t n_dirty;
    int16_t height;       /* of the sweep area */
    int64_t n;            /* samples pushed */
    int64_t pending_beat; /* a beat sample not yet reached by the sweep, -1 none */
} cw_sweep_t;

/**
 * Start a sweep showing `seconds` of a signal sampled at `fs_hz` in an area `columns` pixels wide and
 * `height` pixels high.
 * @return CW_ERR_ARG when fewer than one sample would fall in a column, the height is not positive or the
 * columns are 0 or more than CW_SWEEP_COLUMNS.
 */
cw_err_t cw_sweep_init(cw_sweep_t *sw, uint32_t fs_hz, uint32_t seconds, uint16_t columns, int16_t height);

/** Push samples (the raw values: the sweep scales them itself, from the range of the previous screen). */
void cw_sweep_push(cw_sweep_t *sw, const int32_t *x, size_t n);

/** Mark a beat at absolute sample `sample` (shown in the column that sample lands in). */
void cw_sweep_mark(cw_sweep_t *sw, int64_t sample);

/**
 * The columns to redraw since the last call: `*from` and the count (columns wrap at the right edge;
 * the gap columns ahead of the cursor are included so they are blanked). 0 when nothing changed.
 */
uint16_t cw_sweep_dirty(cw_sweep_t *sw, uint16_t *from);

/** 1 when column `x` lies in the blank gap ahead of the cursor. */
int cw_sweep_is_gap(const cw_sweep_t *sw, uint16_t x);

#ifdef __cplusplus
}
#endif
#endif /* CW_DISPLAY_H */
