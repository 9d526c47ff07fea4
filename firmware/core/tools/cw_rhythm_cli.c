/* cw_rhythm_cli - the C rhythm features, AF model and AF state over a beat series, for the agreement tests.
 *
 *   cw_rhythm_cli FS_HZ < beats.txt > windows.txt
 *   cw_rhythm_cli FS_HZ --states < beats.txt > states.txt
 *
 * Reads beat sample indices (one per line, ascending). By default writes one line per window the C tracker
 * completes: the beat that closed it, the AF score and the CW_RHYTHM_FEATURES features (%.9g: a float32
 * round trip). With --states writes one line per beat: the beat and the device's AF state after it
 * (cw_rhythm_in_af, 0 or 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_rhythm.h"

int main(int argc, char **argv)
{
    cw_rhythm_t rt;
    long long sample;
    int states = argc == 3 && strcmp(argv[2], "--states") == 0;
    if ((argc != 2 && !states) || cw_rhythm_init(&rt, strtod(argv[1], NULL)) != CW_OK) {
        fprintf(stderr, "usage: %s FS_HZ [--states] < beat samples\n", argv[0]);
        return 2;
    }
    while (scanf("%lld", &sample) == 1) {
        float p;
        int done = cw_rhythm_beat(&rt, (int64_t)sample, &p);
        if (states) {
            printf("%lld %d\n", sample, cw_rhythm_in_af(&rt));
        } else if (done) {
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
