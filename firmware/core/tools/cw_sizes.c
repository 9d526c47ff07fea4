/* cw_sizes - prints the RAM each core state struct takes on the target it was built for
 * (the struct sizes plus their caller-owned state arrays are the core's RAM beyond sample buffers). */
#include <stdio.h>

#include "cw_alarm.h"
#include "cw_iir.h"
#include "cw_ppg.h"
#include "cw_ppg_quality.h"
#include "cw_qrs.h"
#include "cw_rhythm.h"
#include "cw_queue.h"
#include "cw_ring.h"
#include "cw_settings.h"
#include "cw_spool.h"
#include "cw_vf.h"
#include "cw_vf_model.h"

int main(void)
{
    printf("cw_ring_t %u\n", (unsigned)sizeof(cw_ring_t));
    printf("cw_queue_t %u\n", (unsigned)sizeof(cw_queue_t));
    printf("cw_iir_t %u\n", (unsigned)sizeof(cw_iir_t));
    printf("cw_qrs_t %u\n", (unsigned)sizeof(cw_qrs_t));
    printf("cw_ppg_t %u\n", (unsigned)sizeof(cw_ppg_t));
    printf("cw_ppg_quality_t %u\n", (unsigned)sizeof(cw_ppg_quality_t));
    printf("cw_rhythm_t %u\n", (unsigned)sizeof(cw_rhythm_t));
    printf("cw_alarm_t %u\n", (unsigned)sizeof(cw_alarm_t));
    printf("cw_settings_t %u\n", (unsigned)sizeof(cw_settings_t));
    printf("cw_spool_t %u\n", (unsigned)sizeof(cw_spool_t));
    printf("cw_vf_t %u\n", (unsigned)sizeof(cw_vf_t));
    /* the VF detector's three caller-owned sample buffers (raw, filtered, scratch) at 250 Hz */
    printf("cw_vf_buffers_250 %u\n", (unsigned)(CW_VF_WINDOW_250 * (2u * sizeof(float) + sizeof(int32_t))));
    return 0;
}
