/* cw_alarm.h - the device's own warning: heart rate, alarm level and the LED/buzzer pattern (issue 22).
 *
 * It works with the network down. Its inputs each frame are the beats found in it (sample indices), the
 * current sample index, and the signal's condition: electrodes off (ECG lead-off) or a PPG signal that is
 * not good (no finger, motion, saturated, weak) is a *technical* alarm, and while it lasts no beat is
 * trusted, no physiological alarm is raised and the interval history is dropped, so that reattaching the
 * leads never reports a pause that was only the time they were off. The shown heart rate expires when no
 * beat has come for `bpm_expiry_ms` (a stale number on the screen would read as a live one).
 *
 * Levels follow the IEC 60601-1-8 priorities: technical (signal), medium (rate out of range or an
 * irregular rhythm) and high (a pause: no beat for `pause_ms` on a good signal, counted from a beat seen
 * since the signal became usable, so a detector still learning never raises it); each has its own LED and
 * buzzer pattern, so a lead-off does not sound like a pause. Above them, critical: the VF detector holds a
 * shockable rhythm. While it holds, no heart rate is shown and no beat is counted (beats the QRS detector
 * finds in VF are not beats); when it ends the interval history starts afresh and the pause clock runs
 * from its end, so VF turning into asystole still raises the pause. Leads off or a bad signal take
 * precedence: the VF detector cannot judge what the electrodes do not see. Not a medical device.
 *
 * References
 * ----------
 * IEC 60601-1-8:2006+A1:2012, Medical electrical equipment - alarm systems (priorities and their
 * distinct auditory/visual signals).
 */
#ifndef CW_ALARM_H
#define CW_ALARM_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Alarm level; the numbers are the display's alert levels (cw_display_alert_color). */
typedef enum {
    CW_ALARM_NONE = 0,
    CW_ALARM_TECHNICAL = 1, /**< the signal cannot be judged (leads off, PPG not good) */
    CW_ALARM_MEDIUM = 2,    /**< rate out of range or an irregular rhythm */
    CW_ALARM_HIGH = 3,      /**< a pause: no beat for pause_ms on a good signal */
    CW_ALARM_CRITICAL = 4   /**< a shockable rhythm (VF / flutter): above every other, its own pattern */
} cw_alarm_level_t;

/** Why the level is what it is. */
typedef enum {
    CW_ALARM_CAUSE_NONE = 0,
    CW_ALARM_CAUSE_LEAD_OFF,
    CW_ALARM_CAUSE_SIGNAL,
    CW_ALARM_CAUSE_BRADY,
    CW_ALARM_CAUSE_TACHY,
    CW_ALARM_CAUSE_IRREGULAR,
    CW_ALARM_CAUSE_PAUSE,
    CW_ALARM_CAUSE_VF
} cw_alarm_cause_t;

/** Number of intervals the heart rate is the median of. */
#define CW_ALARM_INTERVALS 8u

typedef struct {
    uint32_t fs_millihz;     /**< sample rate of the beat indices */
    uint32_t brady_decibpm;  /**< medium alarm below this rate (400 = 40 bpm) */
    uint32_t tachy_decibpm;  /**< medium alarm above this rate */
    uint32_t pause_ms;       /**< high alarm after this long without a beat */
    uint32_t bpm_expiry_ms;  /**< the heart rate is shown as unknown after this long without a beat */
    uint32_t min_intervals;  /**< intervals needed before a rate alarm (1..CW_ALARM_INTERVALS) */
} cw_alarm_cfg_t;

typedef struct {
    cw_alarm_cfg_t cfg;
    int64_t rr[CW_ALARM_INTERVALS]; /* the last intervals, samples */
    uint32_t n_rr;                  /* intervals seen since the signal became usable (saturates) */
    int64_t last_beat;              /* sample of the last beat, -1 none */
    int64_t usable_since;           /* sample the signal became usable; the pause clock starts no earlier */
    int64_t vf_ended;               /* last sample of a shockable rhythm with no beat since, -1 none */
    int usable;                     /* the signal was usable at the last update */
} cw_alarm_t;

/** The signal's condition for one update. */
typedef struct {
    int lead_off;    /**< ECG electrodes off */
    int signal_bad;  /**< PPG rated not good (no finger, motion, saturated, weak) */
    int irregular;   /**< the on-device AF model calls the rhythm irregular */
    int shockable;   /**< the on-device VF detector holds a shockable rhythm (cw_vf's in_vf) */
} cw_alarm_input_t;

typedef struct {
    cw_alarm_level_t level;
    cw_alarm_cause_t cause;
    uint32_t heart_rate_decibpm; /**< median of the last intervals, 0 unknown (too few, expired or no signal) */
} cw_alarm_state_t;

/** The defaults: 40-150 bpm, pause 3 s, heart rate shown for 5 s after the last beat, 4 intervals. */
void cw_alarm_cfg_default(cw_alarm_cfg_t *cfg, uint32_t fs_millihz);

/** @return CW_ERR_ARG for a zero rate, brady >= tachy, a zero pause or expiry, or min_intervals out of range. */
cw_err_t cw_alarm_init(cw_alarm_t *a, const cw_alarm_cfg_t *cfg);

/**
 * One frame: the beats found in it (`beats`, `n`, increasing sample indices, none later than `now`),
 * `now` the index of the frame's last sample, and the signal's condition. Beats are ignored while the
 * signal is not usable. A NULL `a` or `in` gives CW_ALARM_NONE with no heart rate.
 */
cw_alarm_state_t cw_alarm_update(cw_alarm_t *a, const int64_t *beats, size_t n, int64_t now,
                                 const cw_alarm_input_t *in);

/** LED and buzzer at one instant of an alarm. */
typedef struct {
    int led_on;
    int buzzer_on;
} cw_alarm_output_t;

/**
 * The pattern of `level`, `ms_since_onset` after it began: critical: LED blinking at 4 Hz, beeps without
 * a break; high: LED blinking at 2 Hz, bursts of 5 beeps every 3 s; medium: LED on, 3 beeps every 8 s;
 * technical: LED blinking at 0.5 Hz, 1 beep every 15 s; none: off. Beeps are 150 ms on, 100 ms off.
 */
cw_alarm_output_t cw_alarm_output(cw_alarm_level_t level, uint32_t ms_since_onset);

/** Short words for a cause ("lead off", "pause", ...; "" for none). */
const char *cw_alarm_cause_name(cw_alarm_cause_t cause);

#ifdef __cplusplus
}
#endif
#endif /* CW_ALARM_H */
