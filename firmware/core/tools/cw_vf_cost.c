/* cw_vf_cost - instructions the VF detector executes per second of ECG on rv32imc (the ESP32-C3 ISA).
 *
 * Run under QEMU with an exact instruction counter (`-icount shift=0`: minstret counts retired
 * instructions); `python firmware/tools/fwbuild.py --vf-cost` builds it for rv32imc (soft float) and
 * rv32imafc (float in hardware, as on the ESP32) and runs both. It feeds 60 s at 250 Hz
 * (30 s sinus-like, then 30 s VF-like: the cost does not depend much on the signal) one sample at a time
 * and prints the instructions of all pushes, per second of signal, and of the dearest window, and those of
 * each stage of cw_vf_push (cw_vf_stage_t: cw_vf.c is built with CW_VF_PROFILE, which marks each stage's end).
 * The soft-float helpers run as libgcc's (the ESP32-C3 has no FPU; its ROM holds the same helpers).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "cw_vf.h"
#include "cw_vf_model.h"

#define FS 250.0
#define SECONDS 60L

static float raw[CW_VF_WINDOW_250], filt[CW_VF_WINDOW_250];
static int32_t scratch[CW_VF_WINDOW_250];

static const char *const stage_names[CW_VF_N_STAGES] = {"filter", "quality", "moments", "leakage", "acf", "psr",
                                                         "spectrum", "model"};
static uint64_t stage_cost[CW_VF_N_STAGES];
static uint32_t last_mark;

static uint32_t instret(void)
{
    uint32_t n;
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstret\n.option pop" : "=r"(n));
    return n;
}

/* Instructions since the previous mark go to `stage` (the marks themselves cost a few each). */
void cw_vf_profile_mark(cw_vf_stage_t stage)
{
    const uint32_t now = instret();
    stage_cost[stage] += now - last_mark;
    last_mark = now;
}

static float vf_like(long n)
{
    double t = (double)n / FS;
    double phase = 2.0 * 3.14159265358979 * (5.0 * t + 0.3 * sin(0.7 * t));
    return (float)(400.0 * (0.6 + 0.3 * sin(1.9 * t)) * sin(phase));
}

static float sinus_like(long n)
{
    double t = fmod((double)n / FS, 60.0 / 72.0);
    return (float)(500.0 * exp(-0.5 * pow((t - 0.3) / 0.012, 2.0)) + 100.0 * exp(-0.5 * pow((t - 0.55) / 0.05, 2.0)));
}

int main(void)
{
    const cw_vf_cfg_t cfg = {&cw_vf_rate_250, &cw_vf_model, raw, filt, scratch};
    cw_vf_t det;
    cw_vf_window_t w;
    uint64_t total = 0;
    uint32_t dearest = 0, windows = 0, vf_windows = 0;
    long n;
    int s;
    if (cw_vf_init(&det, &cfg) != CW_OK) {
        return 1;
    }
    for (n = 0; n < SECONDS * (long)FS; ++n) {
        const float x = n < SECONDS * (long)FS / 2 ? sinus_like(n) : vf_like(n);
        const uint32_t before = last_mark = instret();
        const int judged = cw_vf_push(&det, x, &w);
        const uint32_t spent = instret() - before;
        cw_vf_profile_mark(judged ? CW_VF_STAGE_MODEL : CW_VF_STAGE_FILTER); /* the rest of the push */
        total += spent;
        if (judged) {
            ++windows;
            vf_windows += w.in_vf;
            dearest = spent > dearest ? spent : dearest;
        }
    }
    printf("seconds %ld\nwindows %lu\nvf_windows %lu\ninstructions %llu\nper_second %llu\ndearest_window %lu\n",
           SECONDS, (unsigned long)windows, (unsigned long)vf_windows, (unsigned long long)total,
           (unsigned long long)(total / (uint64_t)SECONDS), (unsigned long)dearest);
    for (s = 0; s < (int)CW_VF_N_STAGES; ++s) {
        printf("stage_%s %llu\n", stage_names[s], (unsigned long long)(stage_cost[s] / (uint64_t)SECONDS));
    }
    return 0;
}
