/* cw_vf_cli.c - run the C VF detector over float32 samples on stdin, one line per window on stdout:
 *   end logit shockable in_vf quality
 * Usage: cw_vf_cli FS   (FS: a rate of cw_vf_model.h, 250 or 360). The agreement test
 * (tests/firmware/test_vf_agreement.py) compares these lines with the Python detector's windows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_vf.h"
#include "cw_vf_model.h"

#define MAX_WINDOW 2048u

int main(int argc, char **argv)
{
    static float raw[MAX_WINDOW], filt[MAX_WINDOW];
    static int32_t scratch[MAX_WINDOW];
    const cw_vf_rate_t *rate;
    cw_vf_cfg_t cfg;
    cw_vf_t det;
    cw_vf_window_t w;
    float x;
    if (argc != 2) {
        fprintf(stderr, "usage: %s FS < samples.f32\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "250") == 0) {
        rate = &cw_vf_rate_250;
    } else if (strcmp(argv[1], "360") == 0) {
        rate = &cw_vf_rate_360;
    } else {
        fprintf(stderr, "no constants for fs %s\n", argv[1]);
        return 2;
    }
    if (rate->window > MAX_WINDOW) {
        return 2;
    }
    cfg.rate = rate;
    cfg.model = &cw_vf_model;
    cfg.raw = raw;
    cfg.filt = filt;
    cfg.scratch = scratch;
    if (cw_vf_init(&det, &cfg) != CW_OK) {
        fprintf(stderr, "cw_vf_init failed\n");
        return 1;
    }
    while (fread(&x, sizeof x, 1, stdin) == 1) {
        if (cw_vf_push(&det, x, &w)) {
            printf("%lld %.6f %u %u %u\n", (long long)w.end, (double)w.logit, w.shockable, w.in_vf, w.quality);
        }
    }
    return 0;
}
