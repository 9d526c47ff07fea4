#include "cw_iir.h"

cw_err_t cw_iir_init(cw_iir_t *f, const double *sos, double *state, size_t n_sections)
{
    size_t s;
    if (f == 0 || sos == 0 || state == 0 || n_sections == 0) {
        return CW_ERR_ARG;
    }
    for (s = 0; s < n_sections; ++s) {
        if (sos[s * CW_IIR_SOS_ROW + 3u] != 1.0) {
            return CW_ERR_UNSTABLE;
        }
    }
    f->sos = sos;
    f->state = state;
    f->n_sections = n_sections;
    cw_iir_reset(f);
    return CW_OK;
}

void cw_iir_reset(cw_iir_t *f)
{
    size_t i;
    for (i = 0; i < f->n_sections * CW_IIR_STATE_ROW; ++i) {
        f->state[i] = 0.0;
    }
}

void cw_iir_start(cw_iir_t *f, const double *zi_unit, double x0)
{
    size_t i;
    for (i = 0; i < f->n_sections * CW_IIR_STATE_ROW; ++i) {
        f->state[i] = zi_unit[i] * x0;
    }
}

double cw_iir_step(cw_iir_t *f, double x)
{
    size_t s;
    for (s = 0; s < f->n_sections; ++s) {
        const double *c = &f->sos[s * CW_IIR_SOS_ROW];
        double *z = &f->state[s * CW_IIR_STATE_ROW];
        const double y = c[0] * x + z[0];
        z[0] = c[1] * x - c[4] * y + z[1];
        z[1] = c[2] * x - c[5] * y;
        x = y;
    }
    return x;
}

void cw_iir_process(cw_iir_t *f, const double *x, double *y, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        y[i] = cw_iir_step(f, x[i]);
    }
}
