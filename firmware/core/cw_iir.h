/* cw_iir.h - IIR filter as cascaded second-order sections, in scipy's SOS layout.
 *
 * Python designs the filter (`scipy.signal.butter(..., output="sos")`) and exports the coefficients; C
 * runs them. Each row is [b0 b1 b2 a0 a1 a2] with a0 == 1, and the state is the transposed direct form II
 * state of `scipy.signal.sosfilt` (two values per section), in double as numpy computes, so filtering
 * here equals `sosfilt` to rounding. The caller owns the struct, the coefficients and the state. `cw_iir_init` checks once; the
 * per-sample call does not re-check.
 *
 * References: scipy.signal.sosfilt; emlearn eml_iir.h.
 */
#ifndef CW_IIR_H
#define CW_IIR_H

#include <stddef.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Values per section row: b0 b1 b2 a0 a1 a2. */
#define CW_IIR_SOS_ROW 6u
/** State values per section. */
#define CW_IIR_STATE_ROW 2u

typedef struct {
    const double *sos;  /**< n_sections * CW_IIR_SOS_ROW coefficients, caller-owned */
    double *state;      /**< n_sections * CW_IIR_STATE_ROW state values, caller-owned */
    size_t n_sections;
} cw_iir_t;

/**
 * Attach coefficients and state storage and zero the state.
 * @return CW_ERR_ARG for NULL pointers or zero sections; CW_ERR_UNSTABLE when a row's a0 is not 1.
 */
cw_err_t cw_iir_init(cw_iir_t *f, const double *sos, double *state, size_t n_sections);

/** Zero the state (scipy's `zi=None`). */
void cw_iir_reset(cw_iir_t *f);

/**
 * Set the state to `zi_unit * x0`, where `zi_unit` is `scipy.signal.sosfilt_zi(sos)` (n_sections x 2):
 * the steady state for a constant input `x0`, so a signal's offset causes no start-up step.
 */
void cw_iir_start(cw_iir_t *f, const double *zi_unit, double x0);

/** Filter one sample. */
double cw_iir_step(cw_iir_t *f, double x);

/** Filter `n` samples from `x` into `y` (`y` may equal `x`). */
void cw_iir_process(cw_iir_t *f, const double *x, double *y, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* CW_IIR_H */
