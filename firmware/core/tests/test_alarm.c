/* test_alarm.c - the device's own warning: lead-off gating, alarm levels, heart-rate expiry, patterns. */
#include "test_common.h"
#include "cw_alarm.h"

#define FS_MHZ 250000u /* 250 Hz */
#define FS 250

static const cw_alarm_input_t good = {0, 0, 0, 0};
static const cw_alarm_input_t in_vf = {0, 0, 0, 1};

static cw_alarm_t make(void)
{
    cw_alarm_t a;
    cw_alarm_cfg_t cfg;
    cw_alarm_cfg_default(&cfg, FS_MHZ);
    assert_int_equal(cw_alarm_init(&a, &cfg), CW_OK);
    return a;
}

/* Beats every `rr` samples from `first` up to `last`; returns the state after the frame ending at `last`. */
static cw_alarm_state_t beats_every(cw_alarm_t *a, int64_t first, int64_t rr, int64_t last, const cw_alarm_input_t *in)
{
    cw_alarm_state_t s = {CW_ALARM_NONE, CW_ALARM_CAUSE_NONE, 0};
    int64_t frame_end;
    int64_t next = first;
    for (frame_end = first + 49; frame_end <= last; frame_end += 50) { /* 200 ms frames */
        int64_t beats[8];
        size_t n = 0;
        while (next <= frame_end && n < CW_COUNT_OF(beats)) {
            beats[n++] = next;
            next += rr;
        }
        s = cw_alarm_update(a, beats, n, frame_end, in);
    }
    return s;
}

static void test_alarm_init_should_reject_bad_configurations(void **state)
{
    cw_alarm_t a;
    cw_alarm_cfg_t cfg;
    (void)state;
    cw_alarm_cfg_default(&cfg, FS_MHZ);
    assert_int_equal(cw_alarm_init(NULL, &cfg), CW_ERR_ARG);
    assert_int_equal(cw_alarm_init(&a, NULL), CW_ERR_ARG);
    cfg.fs_millihz = 0;
    assert_int_equal(cw_alarm_init(&a, &cfg), CW_ERR_ARG);
    cw_alarm_cfg_default(&cfg, FS_MHZ);
    cfg.brady_decibpm = cfg.tachy_decibpm;
    assert_int_equal(cw_alarm_init(&a, &cfg), CW_ERR_ARG);
    cw_alarm_cfg_default(&cfg, FS_MHZ);
    cfg.min_intervals = CW_ALARM_INTERVALS + 1u;
    assert_int_equal(cw_alarm_init(&a, &cfg), CW_ERR_ARG);
}

static void test_alarm_should_report_the_median_rate_and_no_alarm_in_range(void **state)
{
    cw_alarm_t a = make();
    cw_alarm_state_t s;
    (void)state;
    s = beats_every(&a, 100, 250, 100 + 10 * FS, &good); /* 60 bpm for 10 s */
    assert_int_equal(s.level, CW_ALARM_NONE);
    assert_int_equal(s.heart_rate_decibpm, 600);
}

static void test_alarm_should_raise_medium_for_brady_and_tachy(void **state)
{
    cw_alarm_t a = make();
    cw_alarm_state_t s;
    (void)state;
    s = beats_every(&a, 100, 125, 100 + 10 * FS, &good); /* 120 bpm: in range */
    assert_int_equal(s.level, CW_ALARM_NONE);
    a = make();
    s = beats_every(&a, 100, 94, 100 + 10 * FS, &good); /* 160 bpm */
    assert_int_equal(s.level, CW_ALARM_MEDIUM);
    assert_int_equal(s.cause, CW_ALARM_CAUSE_TACHY);
    assert_int_equal(s.heart_rate_decibpm, 1596);
    a = make();
    s = beats_every(&a, 100, 680, 100 + 20 * FS, &good); /* 22 bpm: 2.72 s intervals, under the pause */
    assert_int_equal(s.cause, CW_ALARM_CAUSE_BRADY);
    assert_int_equal(s.level, CW_ALARM_MEDIUM);
}

static void test_alarm_should_need_enough_intervals_before_a_rate_alarm(void **state)
{
    cw_alarm_t a = make();
    const int64_t beats[3] = {10, 100, 190}; /* 167 bpm, two intervals */
    cw_alarm_state_t s;
    (void)state;
    s = cw_alarm_update(&a, beats, 3, 199, &good);
    assert_int_equal(s.level, CW_ALARM_NONE);
    assert_true(s.heart_rate_decibpm > 1500u);
}

static void test_alarm_should_raise_high_for_a_pause_and_expire_the_rate(void **state)
{
    cw_alarm_t a = make();
    cw_alarm_state_t s;
    (void)state;
    s = beats_every(&a, 100, 200, 2149, &good); /* 75 bpm, last beat at 2100 */
    assert_int_equal(s.level, CW_ALARM_NONE);
    s = cw_alarm_update(&a, NULL, 0, 2100 + 3 * FS, &good); /* exactly 3 s: not yet */
    assert_int_equal(s.level, CW_ALARM_NONE);
    assert_int_equal(s.heart_rate_decibpm, 750);
    s = cw_alarm_update(&a, NULL, 0, 2100 + 3 * FS + 1, &good);
    assert_int_equal(s.level, CW_ALARM_HIGH);
    assert_int_equal(s.cause, CW_ALARM_CAUSE_PAUSE);
    assert_int_equal(s.heart_rate_decibpm, 750); /* still shown: within 5 s */
    s = cw_alarm_update(&a, NULL, 0, 2100 + 5 * FS + 1, &good);
    assert_int_equal(s.heart_rate_decibpm, 0); /* expired: the screen shows "--" */
    assert_int_equal(s.level, CW_ALARM_HIGH);
}

static void test_alarm_should_not_raise_a_pause_before_the_first_beat(void **state)
{
    cw_alarm_t a = make();
    cw_alarm_state_t s;
    (void)state;
    s = cw_alarm_update(&a, NULL, 0, 60 * FS, &good); /* a minute of learning, no beat */
    assert_int_equal(s.level, CW_ALARM_NONE);
    assert_int_equal(s.heart_rate_decibpm, 0);
}

static void test_alarm_should_gate_every_physiological_alarm_while_the_leads_are_off(void **state)
{
    cw_alarm_t a = make();
    const cw_alarm_input_t off = {1, 0, 1, 1}; /* leads off; the AF model says irregular, the VF detector VF */
    cw_alarm_state_t s;
    (void)state;
    s = beats_every(&a, 100, 94, 100 + 10 * FS, &good); /* tachy */
    assert_int_equal(s.level, CW_ALARM_MEDIUM);
    s = beats_every(&a, 100 + 10 * FS + 50, 40, 100 + 20 * FS, &off); /* noise "beats" at 375 bpm, 10 s off */
    assert_int_equal(s.level, CW_ALARM_TECHNICAL);
    assert_int_equal(s.cause, CW_ALARM_CAUSE_LEAD_OFF);
    assert_int_equal(s.heart_rate_decibpm, 0);
}

static void test_alarm_should_not_report_the_lead_off_time_as_a_pause_after_reattaching(void **state)
{
    cw_alarm_t a = make();
    const cw_alarm_input_t off = {1, 0, 0, 0};
    cw_alarm_state_t s;
    int64_t t;
    (void)state;
    s = beats_every(&a, 100, 200, 2100, &good);
    for (t = 2149; t < 2100 + 20 * FS; t += 50) {
        s = cw_alarm_update(&a, NULL, 0, t, &off); /* 20 s with the leads off */
    }
    s = cw_alarm_update(&a, NULL, 0, t, &good); /* reattached, no beat yet */
    assert_int_equal(s.level, CW_ALARM_NONE);
    s = cw_alarm_update(&a, NULL, 0, t + 2 * FS, &good); /* the detector still learning */
    assert_int_equal(s.level, CW_ALARM_NONE);
    {
        const int64_t late[2] = {t - 10, t + 2 * FS + 10}; /* a beat from before the reattach is ignored */
        s = cw_alarm_update(&a, late, 2, t + 2 * FS + 49, &good);
    }
    assert_int_equal(s.level, CW_ALARM_NONE);
    assert_int_equal(s.heart_rate_decibpm, 0); /* one beat, no interval yet */
    s = cw_alarm_update(&a, NULL, 0, t + 2 * FS + 10 + 3 * FS + 1, &good); /* then a real pause */
    assert_int_equal(s.level, CW_ALARM_HIGH);
}

static void test_alarm_should_treat_a_bad_ppg_signal_as_technical(void **state)
{
    cw_alarm_t a = make();
    const cw_alarm_input_t bad = {0, 1, 0, 0};
    cw_alarm_state_t s;
    (void)state;
    s = beats_every(&a, 100, 94, 100 + 10 * FS, &bad);
    assert_int_equal(s.level, CW_ALARM_TECHNICAL);
    assert_int_equal(s.cause, CW_ALARM_CAUSE_SIGNAL);
    assert_int_equal(s.heart_rate_decibpm, 0);
}

static void test_alarm_should_raise_medium_for_an_irregular_rhythm_and_high_for_a_pause_first(void **state)
{
    cw_alarm_t a = make();
    const cw_alarm_input_t irregular = {0, 0, 1, 0};
    cw_alarm_state_t s;
    (void)state;
    s = beats_every(&a, 100, 200, 2100, &irregular);
    assert_int_equal(s.level, CW_ALARM_MEDIUM);
    assert_int_equal(s.cause, CW_ALARM_CAUSE_IRREGULAR);
    s = cw_alarm_update(&a, NULL, 0, 2100 + 4 * FS, &irregular);
    assert_int_equal(s.cause, CW_ALARM_CAUSE_PAUSE);
}

static void test_alarm_update_should_survive_null_arguments(void **state)
{
    cw_alarm_t a = make();
    cw_alarm_state_t s;
    (void)state;
    s = cw_alarm_update(NULL, NULL, 0, 0, &good);
    assert_int_equal(s.level, CW_ALARM_NONE);
    s = cw_alarm_update(&a, NULL, 5, 100, NULL);
    assert_int_equal(s.level, CW_ALARM_NONE);
    s = cw_alarm_update(&a, NULL, 5, 100, &good);
    assert_int_equal(s.level, CW_ALARM_NONE);
}

static void test_alarm_should_raise_critical_for_vf_with_no_heart_rate_and_no_beats(void **state)
{
    cw_alarm_t a = make();
    cw_alarm_state_t s;
    (void)state;
    s = beats_every(&a, 100, 250, 100 + 10 * FS, &good); /* 60 bpm */
    assert_int_equal(s.heart_rate_decibpm, 600);
    /* VF: the QRS detector still "finds" beats at 300 / min; they are no heart rate and no tachycardia */
    s = beats_every(&a, 100 + 10 * FS + 50, 50, 100 + 20 * FS, &in_vf);
    assert_int_equal(s.level, CW_ALARM_CRITICAL);
    assert_int_equal(s.cause, CW_ALARM_CAUSE_VF);
    assert_int_equal(s.heart_rate_decibpm, 0);
    assert_string_equal(cw_alarm_cause_name(s.cause), "VF / flutter");
}

static void test_alarm_should_start_afresh_after_vf_and_raise_a_pause_if_no_beat_follows(void **state)
{
    cw_alarm_t a = make();
    cw_alarm_state_t s;
    const int64_t vf_end = 100 + 20 * FS;
    (void)state;
    (void)beats_every(&a, 100, 250, 100 + 10 * FS, &good);
    (void)beats_every(&a, 100 + 10 * FS, 50, vf_end, &in_vf);
    /* sinus again: the rate comes from beats after VF only (75 bpm), none of the VF "beats" */
    s = beats_every(&a, vf_end + 1, 200, vf_end + 10 * FS, &good);
    assert_int_equal(s.level, CW_ALARM_NONE);
    assert_int_equal(s.heart_rate_decibpm, 750);
    /* VF again, then nothing: asystole after VF is a pause, timed from the end of VF */
    (void)beats_every(&a, vf_end + 10 * FS + 1, 50, vf_end + 20 * FS, &in_vf);
    s = cw_alarm_update(&a, NULL, 0, vf_end + 20 * FS + 2 * FS, &good);
    assert_int_equal(s.level, CW_ALARM_NONE);
    s = cw_alarm_update(&a, NULL, 0, vf_end + 20 * FS + 4 * FS, &good);
    assert_int_equal(s.level, CW_ALARM_HIGH);
    assert_int_equal(s.cause, CW_ALARM_CAUSE_PAUSE);
}

static void test_alarm_should_let_lead_off_take_precedence_over_vf(void **state)
{
    cw_alarm_t a = make();
    const cw_alarm_input_t off_vf = {1, 0, 0, 1};
    cw_alarm_state_t s;
    (void)state;
    s = cw_alarm_update(&a, NULL, 0, 1000, &off_vf);
    assert_int_equal(s.level, CW_ALARM_TECHNICAL);
    assert_int_equal(s.cause, CW_ALARM_CAUSE_LEAD_OFF);
}

static unsigned beeps_in(cw_alarm_level_t level, uint32_t window_ms)
{
    unsigned onsets = 0;
    int was = 0;
    uint32_t t;
    for (t = 0; t < window_ms; t += 10u) {
        const int on = cw_alarm_output(level, t).buzzer_on;
        onsets += (on && !was) ? 1u : 0u;
        was = on;
    }
    return onsets;
}

static void test_alarm_patterns_should_tell_the_levels_apart(void **state)
{
    (void)state;
    /* beeps per minute: none 0; technical 4 (1 every 15 s); medium 24 (3 every 8 s); high 100 (5 every 3 s) */
    assert_int_equal(beeps_in(CW_ALARM_NONE, 60000u), 0);
    assert_int_equal(beeps_in(CW_ALARM_TECHNICAL, 60000u), 4);
    assert_int_equal(beeps_in(CW_ALARM_MEDIUM, 64000u), 24);
    assert_int_equal(beeps_in(CW_ALARM_HIGH, 60000u), 100);
    /* critical (VF): beeps without a break, 240 a minute, and the LED at 4 Hz: unlike any other level */
    assert_int_equal(beeps_in(CW_ALARM_CRITICAL, 60000u), 240);
    assert_true(cw_alarm_output(CW_ALARM_CRITICAL, 100u).led_on);
    assert_false(cw_alarm_output(CW_ALARM_CRITICAL, 200u).led_on);
    assert_true(cw_alarm_output(CW_ALARM_CRITICAL, 2000u).buzzer_on); /* where high is silent */
    assert_false(cw_alarm_output(CW_ALARM_HIGH, 2000u).buzzer_on);
    assert_true(cw_alarm_output(CW_ALARM_MEDIUM, 7000u).led_on);
    assert_false(cw_alarm_output(CW_ALARM_NONE, 7000u).led_on);
    assert_true(cw_alarm_output(CW_ALARM_HIGH, 100u).led_on);
    assert_false(cw_alarm_output(CW_ALARM_HIGH, 300u).led_on);
    assert_false(cw_alarm_output(CW_ALARM_TECHNICAL, 1500u).led_on);
    assert_string_equal(cw_alarm_cause_name(CW_ALARM_CAUSE_LEAD_OFF), "lead off");
    assert_string_equal(cw_alarm_cause_name(CW_ALARM_CAUSE_NONE), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alarm_init_should_reject_bad_configurations),
        cmocka_unit_test(test_alarm_should_report_the_median_rate_and_no_alarm_in_range),
        cmocka_unit_test(test_alarm_should_raise_medium_for_brady_and_tachy),
        cmocka_unit_test(test_alarm_should_need_enough_intervals_before_a_rate_alarm),
        cmocka_unit_test(test_alarm_should_raise_high_for_a_pause_and_expire_the_rate),
        cmocka_unit_test(test_alarm_should_not_raise_a_pause_before_the_first_beat),
        cmocka_unit_test(test_alarm_should_gate_every_physiological_alarm_while_the_leads_are_off),
        cmocka_unit_test(test_alarm_should_not_report_the_lead_off_time_as_a_pause_after_reattaching),
        cmocka_unit_test(test_alarm_should_treat_a_bad_ppg_signal_as_technical),
        cmocka_unit_test(test_alarm_should_raise_medium_for_an_irregular_rhythm_and_high_for_a_pause_first),
        cmocka_unit_test(test_alarm_update_should_survive_null_arguments),
        cmocka_unit_test(test_alarm_should_raise_critical_for_vf_with_no_heart_rate_and_no_beats),
        cmocka_unit_test(test_alarm_should_start_afresh_after_vf_and_raise_a_pause_if_no_beat_follows),
        cmocka_unit_test(test_alarm_should_let_lead_off_take_precedence_over_vf),
        cmocka_unit_test(test_alarm_patterns_should_tell_the_levels_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
