/* cw_rhythm_cli - the C rhythm features and AF model over a beat series, for the agreement tests.
 *
 *   cw_rhythm_cli FS_HZ < beats.txt > windows.txt
 *
 * Reads beat sample indices (one per line, ascending) and writes one line per window the C tracker
 * completes: the beat that closed it, the AF score and the CW_RHYTHM_FEATURES features (%.9g: a float32 round trip).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cw_rhythm.h"

int main(int argc, char **argv)
{
    cw_rhythm_t rt;
    long long sample;
    if (argc != 2 || cw_rhythm_init(&rt, strtod(argv[1], NULL)) != CW_OK) {
        fprintf(stderr, "usage: %s FS_HZ < beat samples\n", argv[0]);
        return 2;
    }
    while (scanf("%lld", &sample) == 1) {
        float p;
        if (cw_rhythm_beat(&rt, (int64_t)sample, &p)) {
            size_t i;
            printf("%lld %.9g", sample, (double)p);
            for (i = 0; i < CW_RHYTHM_FEATURES; ++i) {
                printf(" %.9g", (double)rt.features[i]);
            }
            printf("\n");
        }
    }
    return 0;
}
