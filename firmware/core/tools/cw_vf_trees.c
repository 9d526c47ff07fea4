/* cw_vf_trees.c - the packed trees of a generated model header on rows of float32 inputs from stdin
 * (CW_VF_N_FEATURES x (1 + lags) each), one log-odds per line. Build with -DCW_VF_TREES_HEADER="file.h"
 * (not a CMake target: the test compiles it).
 * tests/firmware/test_vf_agreement.py checks the packing against the node arrays on random ensembles.
 */
#include <stdio.h>

#include "cw_vf.h"
#include CW_VF_TREES_HEADER

int main(void)
{
    float row[CW_VF_N_FEATURES * (1u + CW_VF_MAX_LAGS)];
    cw_vf_bin_t bins[1u + CW_VF_MAX_LAGS][CW_VF_N_FEATURES];
    const cw_vf_bin_t *slots[1u + CW_VF_MAX_LAGS];
    const size_t n = CW_VF_N_FEATURES * (1u + (size_t)cw_vf_model.n_lags);
    uint8_t s;
    while (fread(row, sizeof(float), n, stdin) == n) {
        for (s = 0; s <= cw_vf_model.n_lags; ++s) {
            cw_vf_model_bins(&cw_vf_model, row + (size_t)s * CW_VF_N_FEATURES, bins[s]);
            slots[s] = bins[s];
        }
        printf("%.9g\n", (double)cw_vf_model_logit(&cw_vf_model, slots));
    }
    return 0;
}
