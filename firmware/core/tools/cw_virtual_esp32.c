/* cw_virtual_esp32 - the firmware core as a virtual ESP32 on a POSIX host: streams a recorded signal to
 * a cardiowatch server over the real protocol (HTTP, docs/protocol.md), through the same code the
 * device runs: frames (cw_frame), the offline queue (cw_queue), the server's answers (cw_ack) and the
 * on-device detector (cw_qrs / cw_ppg).
 *
 *   cw_virtual_esp32 HOST PORT DEVICE_ID TOKEN SENSOR FS_HZ [SPEED] < samples.i16
 *
 * SENSOR is ecg or ppg; samples are little-endian int16. SPEED 0 (default) sends as fast as the server
 * answers; 1 paces the frames in real time. A failed POST leaves the frames queued; they are resent
 * with the next batch (the queue drops the oldest when full, counted). Prints a JSON summary on stdout.
 * Exit 0 when every frame was acknowledged, 1 otherwise, 2 on bad arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "posix_http.h"

#include "cw_ack.h"
#include "cw_frame.h"
#include "cw_params.h"
#include "cw_ppg.h"
#include "cw_qrs.h"
#include "cw_queue.h"

#define BATCH_FRAMES 8u
#define FRAMES_PER_SECOND 5u
#define MAX_ROUNDS_AT_END 200

typedef struct {
    const char *host;
    int port;
    const char *token;
    unsigned long sends;
    unsigned long failures;
    unsigned long acked;
} link_t;

static uint8_t queue_arena[256u * 1024u];
static cw_queue_t queue;

static void sleep_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static uint32_t frame_seq(const uint8_t *frame)
{
    return (uint32_t)frame[12] | ((uint32_t)frame[13] << 8) | ((uint32_t)frame[14] << 16) | ((uint32_t)frame[15] << 24);
}

/* Send the oldest frames; drop those the server answered for. 1 when the POST got an answer. */
static int send_batch(link_t *link)
{
    static uint8_t body[BATCH_FRAMES * CW_FRAME_MAX_BYTES];
    static uint8_t front[CW_FRAME_MAX_BYTES];
    static char answer[16384];
    uint32_t done[64];
    size_t used = 0, n_done = 0, i, k;
    int code;
    for (i = 0; i < BATCH_FRAMES; ++i) {
        const size_t len = cw_queue_peek_at(&queue, i, body + used, sizeof body - used);
        if (len == 0) {
            break;
        }
        used += len;
    }
    if (used == 0) {
        return 1;
    }
    link->sends += 1;
    {
        char headers[160];
        snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n",
                 link->token);
        code = cw_http_post(link->host, link->port, "/api/v1/ingest/frames", headers, body, used, answer,
                            sizeof answer);
    }
    if (code != 200 && code != 400 && code != 409) {
        link->failures += 1;
        return 0;
    }
    if (cw_ack_parse(answer, strlen(answer), done, 64, &n_done) == CW_ERR_FORMAT) {
        link->failures += 1;
        return 0;
    }
    while (cw_queue_peek(&queue, front, sizeof front) > 0) {
        int acked = 0;
        for (k = 0; k < n_done && k < 64; ++k) {
            acked |= done[k] == frame_seq(front);
        }
        if (!acked) {
            break;
        }
        cw_queue_pop(&queue);
        link->acked += 1;
    }
    return 1;
}

int main(int argc, char **argv)
{
    static int32_t x[1024];
    static cw_qrs_t qrs;
    static cw_ppg_t ppg;
    static cw_beat_t beats[1024 + CW_QRS_HELD];
    static int64_t pulses[1024];
    static uint8_t frame[CW_FRAME_MAX_BYTES];
    link_t link = {0, 0, 0, 0, 0, 0};
    cw_frame_header_t h;
    uint32_t fs_hz, device_id, seq = 0;
    unsigned long frames = 0, events = 0;
    size_t per_frame, len;
    uint64_t first = 0;
    int ecg, speed = 0, rounds;
    unsigned char raw[2];
    if (argc < 7 || argc > 8) {
        fprintf(stderr, "usage: %s HOST PORT DEVICE_ID TOKEN ecg|ppg FS_HZ [SPEED] < int16 samples\n", argv[0]);
        return 2;
    }
    link.host = argv[1];
    link.port = atoi(argv[2]);
    device_id = (uint32_t)strtoul(argv[3], NULL, 10);
    link.token = argv[4];
    ecg = strcmp(argv[5], "ecg") == 0;
    fs_hz = (uint32_t)strtoul(argv[6], NULL, 10);
    speed = argc == 8 ? atoi(argv[7]) : 0;
    per_frame = fs_hz / FRAMES_PER_SECOND;
    if ((ecg ? cw_qrs_init(&qrs, cw_qrs_cfg_for(fs_hz)) : cw_ppg_init(&ppg, cw_ppg_cfg_for(fs_hz))) != CW_OK
        || per_frame == 0 || per_frame > 1024 || cw_queue_init(&queue, queue_arena, sizeof queue_arena) != CW_OK) {
        fprintf(stderr, "no %s detector configuration for %u Hz\n", argv[5], (unsigned)fs_hz);
        return 2;
    }
    memset(&h, 0, sizeof h);
    h.device_id = device_id;
    h.fs_millihz = fs_hz * 1000u;
    h.sensor = (uint8_t)(ecg ? CW_SENSOR_ECG : CW_SENSOR_PPG_ANALOG);
    h.encoding = CW_ENCODING_INT16;
    for (;;) {
        size_t n = 0;
        while (n < per_frame && fread(raw, 1, 2, stdin) == 2) {
            x[n++] = (int16_t)(uint16_t)(raw[0] | (raw[1] << 8));
        }
        if (n == 0) {
            break;
        }
        events += ecg ? cw_qrs_process(&qrs, x, n, beats, sizeof beats / sizeof beats[0])
                      : cw_ppg_process(&ppg, x, n, pulses, sizeof pulses / sizeof pulses[0]);
        h.seq = seq++;
        h.n_samples = (uint16_t)n;
        h.t_us = first * 1000000u / fs_hz; /* device clock: time since "boot", from the sample count */
        first += n;
        if (cw_frame_encode(&h, x, frame, sizeof frame, &len) != CW_OK) {
            fprintf(stderr, "frame %u not encoded\n", (unsigned)h.seq);
            return 1;
        }
        cw_queue_push(&queue, frame, len);
        frames += 1;
        (void)send_batch(&link);
        if (speed > 0) {
            sleep_ms(1000L / FRAMES_PER_SECOND);
        }
    }
    for (rounds = 0; cw_queue_count(&queue) > 0 && rounds < MAX_ROUNDS_AT_END; ++rounds) {
        if (!send_batch(&link)) {
            sleep_ms(50);
        }
    }
    events += ecg ? cw_qrs_flush(&qrs, beats, sizeof beats / sizeof beats[0])
                  : cw_ppg_flush(&ppg, pulses, sizeof pulses / sizeof pulses[0]);
    printf("{\"frames\": %lu, \"acked\": %lu, \"posts\": %lu, \"failed_posts\": %lu, \"dropped\": %u, "
           "\"queued\": %zu, \"events\": %lu}\n",
           frames, link.acked, link.sends, link.failures, (unsigned)cw_queue_dropped(&queue), cw_queue_count(&queue),
           events);
    return cw_queue_count(&queue) == 0 && cw_queue_dropped(&queue) == 0 ? 0 : 1;
}
