/* cw_thingspeak_cli - standalone mode's ThingSpeak client (cw_thingspeak) against a (fake) ThingSpeak.
 *
 *   cw_thingspeak_cli HOST PORT WRITE_KEY < script
 *
 * Each script line is "T_MS HR_DECIBPM RHYTHM ALERT QUALITY BATTERY" (negative = unknown): a summary at
 * device time T_MS. When the limiter allows, it is posted to /update and the line printed is
 * "sent STATUS OUTCOME NEXT_AT_MS"; otherwise "wait NEXT_AT_MS". Output is flushed per line, so a test
 * can move the fake's clock between lines. The write key is never printed.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "cw_thingspeak.h"
#include "posix_http.h"

#define INTERVAL_MS 16000u   /* ThingSpeak free tier: 15 s, plus 1 s for clock skew */
#define MAX_BACKOFF_MS 600000u

int main(int argc, char **argv)
{
    static const char *const outcome_names[] = {"accepted", "retry", "refused"};
    cw_ts_limiter_t lim;
    unsigned long t_ms;
    long hr, rhythm, alert, quality, battery;
    if (argc != 4 || cw_ts_limiter_init(&lim, INTERVAL_MS, MAX_BACKOFF_MS) != CW_OK) {
        fprintf(stderr, "usage: %s HOST PORT WRITE_KEY < script\n", argv[0]);
        return 2;
    }
    while (scanf("%lu %ld %ld %ld %ld %ld", &t_ms, &hr, &rhythm, &alert, &quality, &battery) == 6) {
        const cw_ts_summary_t s = {(int32_t)hr, (int32_t)rhythm, (int32_t)alert, (int32_t)quality, (int32_t)battery};
        char body[512], answer[256];
        size_t len = 0;
        int status;
        cw_ts_outcome_t outcome;
        if (!cw_ts_due(&lim, (uint32_t)t_ms)) {
            printf("wait %lu\n", (unsigned long)lim.next_at_ms);
            fflush(stdout);
            continue;
        }
        if (cw_ts_build_update(argv[3], &s, body, sizeof body, &len) != CW_OK) {
            printf("invalid\n");
            fflush(stdout);
            continue;
        }
        status = cw_http_post(argv[1], atoi(argv[2]), "/update", "Content-Type: application/x-www-form-urlencoded\r\n",
                              (const uint8_t *)body, len, answer, sizeof answer);
        outcome = cw_ts_outcome(status, answer);
        cw_ts_on_outcome(&lim, (uint32_t)t_ms, outcome);
        printf("sent %d %s %lu\n", status, outcome_names[outcome], (unsigned long)lim.next_at_ms);
        fflush(stdout);
    }
    return 0;
}
