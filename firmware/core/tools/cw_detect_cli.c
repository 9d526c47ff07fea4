/* cw_detect_cli - run a C detector over a signal, for the C-vs-Python agreement tests.
 *
 *   cw_detect_cli qrs|ppg|ppgq FS_HZ [CUT ...] < samples.i16 > events.txt
 *
 * Reads little-endian int16 samples from stdin and feeds them in chunks whose sizes cycle through the
 * CUT list (default: 1; 0 = an empty call; at least one CUT must be positive), then flushes. Writes one
 * event (beat or pulse) sample index per line; for ppgq (the PPG quality stage) one rated window per
 * line: `start length label` (label as in Python: good, low_perfusion, motion, clipped, flat, missing);
 * there an input of -32768 means no sample (Python's NaN).
 * Exit 2 on bad arguments, 3 when events were lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_params.h"
#include "cw_ppg.h"
#include "cw_ppg_quality.h"
#include "cw_qrs.h"

#define CHUNK_MAX 4096u
#define CUTS_MAX 64

typedef enum { DETECT_QRS, DETECT_PPG, DETECT_PPG_QUALITY } detector_kind_t;

static cw_qrs_t qrs;
static cw_ppg_t ppg;
static cw_beat_t beats[CHUNK_MAX + CW_QRS_HELD];
static int64_t pulses[CHUNK_MAX + 1u];
static cw_ppg_quality_t ppgq;
static cw_ppg_quality_window_t windows[CHUNK_MAX + 1u];

static void run(detector_kind_t kind, const int32_t *x, size_t n, int flush)
{
    size_t k, got;
    if (kind == DETECT_QRS) {
        got = flush ? cw_qrs_flush(&qrs, beats, CHUNK_MAX) : cw_qrs_process(&qrs, x, n, beats, CHUNK_MAX);
        for (k = 0; k < got; ++k) {
            printf("%lld\n", (long long)beats[k].sample);
        }
    } else if (kind == DETECT_PPG_QUALITY) {
        got = flush ? cw_ppg_quality_flush(&ppgq, windows, CHUNK_MAX)
                    : cw_ppg_quality_process(&ppgq, x, n, windows, CHUNK_MAX);
        for (k = 0; k < got; ++k) {
            printf("%lld %u %s\n", (long long)windows[k].start, (unsigned)windows[k].length,
                   cw_ppg_quality_label_name(windows[k].label));
        }
    } else {
        got = flush ? cw_ppg_flush(&ppg, pulses, CHUNK_MAX) : cw_ppg_process(&ppg, x, n, pulses, CHUNK_MAX);
        for (k = 0; k < got; ++k) {
            printf("%lld\n", (long long)pulses[k]);
        }
    }
}

int main(int argc, char **argv)
{
    static int32_t x[CHUNK_MAX];
    unsigned long cuts[CUTS_MAX] = {1};
    int n_cuts = 1, i_cut = 0, any_positive = 0, a;
    detector_kind_t kind;
    uint32_t fs_hz;
    cw_err_t err;
    if (argc < 3 || argc - 3 > CUTS_MAX || (strcmp(argv[1], "qrs") != 0 && strcmp(argv[1], "ppg") != 0 &&
                                           strcmp(argv[1], "ppgq") != 0)) {
        fprintf(stderr, "usage: %s qrs|ppg|ppgq FS_HZ [CUT ...] < int16 samples\n", argv[0]);
        return 2;
    }
    kind = strcmp(argv[1], "qrs") == 0 ? DETECT_QRS : (strcmp(argv[1], "ppg") == 0 ? DETECT_PPG : DETECT_PPG_QUALITY);
    fs_hz = (uint32_t)strtoul(argv[2], NULL, 10);
    if (kind == DETECT_QRS) {
        err = cw_qrs_cfg_for(fs_hz) ? cw_qrs_init(&qrs, cw_qrs_cfg_for(fs_hz)) : CW_ERR_ARG;
    } else if (kind == DETECT_PPG_QUALITY) {
        err = cw_ppg_quality_cfg_for(fs_hz) ? cw_ppg_quality_init(&ppgq, cw_ppg_quality_cfg_for(fs_hz)) : CW_ERR_ARG;
    } else {
        err = cw_ppg_cfg_for(fs_hz) ? cw_ppg_init(&ppg, cw_ppg_cfg_for(fs_hz)) : CW_ERR_ARG;
    }
    if (argc > 3) {
        n_cuts = argc - 3;
        for (a = 0; a < n_cuts; ++a) {
            cuts[a] = strtoul(argv[a + 3], NULL, 10);
            any_positive |= cuts[a] > 0;
            if (cuts[a] > CHUNK_MAX) {
                any_positive = 0;
                break;
            }
        }
    } else {
        any_positive = 1;
    }
    if (err != CW_OK || !any_positive) {
        fprintf(stderr, "no %s configuration for %s Hz (%s), or no CUT in 1..%u\n", argv[1], argv[2],
                cw_err_str(err), CHUNK_MAX);
        return 2;
    }
    for (;;) {
        const size_t want = cuts[i_cut];
        size_t n = 0;
        unsigned char raw[2];
        while (n < want && fread(raw, 1, 2, stdin) == 2) {
            x[n] = (int16_t)(uint16_t)(raw[0] | (raw[1] << 8));
            if (kind == DETECT_PPG_QUALITY && x[n] == INT16_MIN) {
                x[n] = CW_PPG_QUALITY_NO_SAMPLE; /* -32768: no sample (Python's NaN) */
            }
            ++n;
        }
        run(kind, x, n, 0);
        i_cut = (i_cut + 1) % n_cuts;
        if (n < want) {
            break;
        }
    }
    run(kind, x, 0, 1);
    if (kind == DETECT_QRS && qrs.lost) {
        fprintf(stderr, "lost %u candidates or beats\n", (unsigned)qrs.lost);
        return 3;
    }
    return 0;
}
