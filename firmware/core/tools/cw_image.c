/* cw_image - a firmware-shaped program for measuring what the core costs on the target.
 *
 * Built three times for rv32 (CMake targets cw_image_base, cw_image_ecg, cw_image_ppg) and linked with
 * --gc-sections: the base image has the same skeleton without the core, so (ecg - base) is the flash
 * the core, the AF model, the VF detector and model (ECG only, 250 Hz tables) and the soft-float helpers
 * they pull in take in an ECG device, and likewise for PPG. Inputs come from volatile memory so that
 * nothing is optimised away. Never run.
 */
#include <stdint.h>

#if !defined(CW_IMAGE_BASE)
#include "cw_ack.h"
#include "cw_alarm.h"
#include "cw_frame.h"
#include "cw_params.h"
#include "cw_queue.h"
#include "cw_rhythm.h"
#include "cw_ring.h"
#include "cw_settings.h"
#include "cw_spool.h"
#if defined(CW_IMAGE_ECG)
#include "cw_qrs.h"
#include "cw_vf.h"
#include "cw_vf_model.h"
#else
#include "cw_ppg.h"
#include "cw_ppg_quality.h"
#endif
#endif

volatile int32_t cw_image_input[64];
volatile uint32_t cw_image_sink;

#if !defined(CW_IMAGE_BASE)
static int32_t ring_storage[512];
static uint8_t queue_arena[2048];
static cw_ring_t ring;
static cw_queue_t queue;
static cw_rhythm_t rhythm;
static cw_alarm_t alarm;
static cw_settings_t settings;
static cw_spool_t spool;
#if defined(CW_IMAGE_ECG)
static cw_qrs_t detector;
static cw_beat_t events[64 + CW_QRS_HELD];
static cw_vf_t vf; /* the 250 Hz build: only that rate's tables are linked */
static float vf_raw[CW_VF_WINDOW_250], vf_filt[CW_VF_WINDOW_250];
static int32_t vf_scratch[CW_VF_WINDOW_250];
#else
static cw_ppg_t detector;
static int64_t events[64];
static cw_ppg_quality_t quality;
static cw_ppg_quality_window_t windows[2];
#endif
#endif

int main(void)
{
    int32_t x[64];
    uint32_t i;
    for (i = 0; i < 64u; ++i) {
        x[i] = cw_image_input[i];
    }
#if defined(CW_IMAGE_BASE)
    cw_image_sink = (uint32_t)x[0];
#else
    {
        uint8_t frame[CW_FRAME_MAX_BYTES];
        cw_frame_header_t h = {1u, 0u, 0u, 250000u, 0u, 50u, CW_SENSOR_ECG, 0u, CW_ENCODING_INT16};
        uint32_t done[8];
        size_t n = 0, len = 0, k;
        float p = 0.0f;
        int shockable = 0;
        cw_ring_init(&ring, ring_storage, 512);
        cw_queue_init(&queue, queue_arena, sizeof queue_arena);
        cw_ring_write(&ring, x, 64);
        cw_ring_read(&ring, x, 64);
        cw_rhythm_init(&rhythm, 250.0);
#if defined(CW_IMAGE_ECG)
        cw_qrs_init(&detector, cw_qrs_cfg_for(250u));
        n = cw_qrs_process(&detector, x, 64, events, 64 + CW_QRS_HELD);
        n += cw_qrs_flush(&detector, events, 64);
        for (k = 0; k < n; ++k) {
            cw_rhythm_beat(&rhythm, events[k].sample, &p);
        }
        {
            const cw_vf_cfg_t vf_cfg = {&cw_vf_rate_250, &cw_vf_model, vf_raw, vf_filt, vf_scratch};
            cw_vf_window_t w;
            if (cw_vf_init(&vf, &vf_cfg) == CW_OK) {
                for (k = 0; k < 64u; ++k) {
                    if (cw_vf_push(&vf, (float)x[k], &w)) {
                        shockable = w.in_vf;
                    }
                }
            }
        }
#else
        cw_ppg_init(&detector, cw_ppg_cfg_for(100u));
        cw_ppg_quality_init(&quality, cw_ppg_quality_cfg_for(100u));
        n = cw_ppg_process(&detector, x, 64, events, 64);
        n += cw_ppg_flush(&detector, events, 64);
        n += cw_ppg_quality_process(&quality, x, 64, windows, 2) + (size_t)cw_ppg_quality_state(&quality);
        for (k = 0; k < n; ++k) {
            cw_rhythm_beat(&rhythm, events[k], &p);
        }
#endif
        {
            cw_alarm_cfg_t alarm_cfg;
            const cw_alarm_input_t in = {0, 0, cw_rhythm_in_af(&rhythm), shockable};
            cw_alarm_state_t st;
            cw_alarm_cfg_default(&alarm_cfg, 250000u);
            cw_alarm_init(&alarm, &alarm_cfg);
            st = cw_alarm_update(&alarm, NULL, 0, (int64_t)x[0], &in);
            n += (size_t)cw_alarm_output(st.level, (uint32_t)x[1]).buzzer_on + st.heart_rate_decibpm;
        }
        {
            cw_setting_t which;
            char shown[8];
            n += (size_t)cw_settings_apply_line(&settings, (const char *)x, (size_t)x[2] & 63u, &which);
            n += (size_t)cw_settings_show(&settings, which, shown, sizeof shown) + (size_t)cw_settings_complete(&settings);
        }
        {
            /* the spool's callbacks are the glue's (LittleFS): here the core's part only */
            cw_spool_io_t io = {0, 0, 0, 0, 0, 0, 0};
            n += (size_t)cw_spool_open(&spool, &io, 4096u, 4u);
            n += (size_t)cw_spool_push(&spool, (const uint8_t *)x, 8u) + (size_t)cw_spool_empty(&spool);
            n += cw_spool_peek_at(&spool, 0, (uint8_t *)x, 8u) + (size_t)cw_spool_pop(&spool);
        }
        cw_frame_encode(&h, x, frame, sizeof frame, &len);
        cw_queue_push(&queue, frame, len);
        len = cw_queue_peek(&queue, frame, sizeof frame);
        cw_queue_pop(&queue);
        cw_ack_parse((const char *)frame, len, done, 8, &k);
        cw_image_sink = (uint32_t)(n + len + k) + (uint32_t)cw_rhythm_in_af(&rhythm) + (uint32_t)(p * 100.0f)
                        + cw_ring_overflow(&ring) + cw_queue_dropped(&queue) + (uint32_t)*cw_err_str(CW_OK);
    }
#endif
    return 0;
}
