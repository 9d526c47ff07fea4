/* cw_qrs_cli - run the C QRS detector over a signal, for the C-vs-Python agreement tests.
 *
 *   cw_qrs_cli FS_HZ [CUT ...] < samples.i16 > beats.txt
 *
 * Reads little-endian int16 samples from stdin and feeds them in chunks whose sizes cycle through the
 * CUT list (default: 1; 0 = an empty call; at least one CUT must be positive), then flushes. Writes one
 * beat sample index per line. Exit 2 on bad arguments, 3 when beats or candidates were lost.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cw_params.h"
#include "cw_qrs.h"

#define CHUNK_MAX 4096u
#define CUTS_MAX 64

static void emit(const cw_beat_t *beats, size_t n)
{
    size_t k;
    for (k = 0; k < n; ++k) {
        printf("%lld\n", (long long)beats[k].sample);
    }
}

int main(int argc, char **argv)
{
    static cw_qrs_t det;
    static int32_t x[CHUNK_MAX];
    static cw_beat_t beats[CHUNK_MAX + CW_QRS_HELD];
    unsigned long cuts[CUTS_MAX] = {1};
    int n_cuts = 1, i_cut = 0, any_positive = 0, a;
    const cw_qrs_cfg_t *cfg;
    if (argc < 2 || argc - 2 > CUTS_MAX) {
        fprintf(stderr, "usage: %s FS_HZ [CUT ...] < int16 samples\n", argv[0]);
        return 2;
    }
    cfg = cw_qrs_cfg_for((uint32_t)strtoul(argv[1], NULL, 10));
    if (argc > 2) {
        n_cuts = argc - 2;
        for (a = 0; a < n_cuts; ++a) {
            cuts[a] = strtoul(argv[a + 2], NULL, 10);
            any_positive |= cuts[a] > 0;
            if (cuts[a] > CHUNK_MAX) {
                any_positive = 0;
                break;
            }
        }
    } else {
        any_positive = 1;
    }
    if (cfg == NULL || !any_positive || cw_qrs_init(&det, cfg) != CW_OK) {
        fprintf(stderr, "no QRS configuration for %s Hz, or no CUT in 1..%u\n", argv[1], CHUNK_MAX);
        return 2;
    }
    for (;;) {
        const size_t want = cuts[i_cut];
        size_t n = 0;
        unsigned char raw[2];
        while (n < want && fread(raw, 1, 2, stdin) == 2) {
            x[n++] = (int16_t)(uint16_t)(raw[0] | (raw[1] << 8));
        }
        emit(beats, cw_qrs_process(&det, x, n, beats, sizeof beats / sizeof beats[0]));
        i_cut = (i_cut + 1) % n_cuts;
        if (n < want) {
            break;
        }
    }
    emit(beats, cw_qrs_flush(&det, beats, sizeof beats / sizeof beats[0]));
    if (det.lost) {
        fprintf(stderr, "lost %u candidates or beats\n", (unsigned)det.lost);
        return 3;
    }
    return 0;
}
