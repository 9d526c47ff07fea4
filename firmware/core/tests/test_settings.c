/* test_settings.c - settings set over the console: checked before they are stored, never truncated. */
#include "test_common.h"
#include "cw_settings.h"

static cw_settings_t fresh(void)
{
    cw_settings_t s;
    memset(&s, 0, sizeof s);
    s.server_port = 8000;
    s.mqtt_port = 1883;
    s.device_id = 1;
    return s;
}

static cw_err_t apply(cw_settings_t *s, const char *line, cw_setting_t *which)
{
    return cw_settings_apply_line(s, line, strlen(line), which);
}

static void test_settings_should_apply_a_console_line_for_each_key(void **state)
{
    cw_settings_t s = fresh();
    cw_setting_t which = CW_SETTING_COUNT_;
    (void)state;
    assert_int_equal(apply(&s, "wifi=Home Net\r\n", &which), CW_OK);
    assert_int_equal(which, CW_SETTING_WIFI_SSID);
    assert_string_equal(s.wifi_ssid, "Home Net");
    assert_int_equal(apply(&s, "  wifi_pass = secret pass  \n", &which), CW_OK);
    assert_string_equal(s.wifi_password, "secret pass");
    assert_int_equal(apply(&s, "ts_key=ABCDEF0123456789", &which), CW_OK);
    assert_int_equal(which, CW_SETTING_THINGSPEAK_KEY);
    assert_string_equal(s.thingspeak_key, "ABCDEF0123456789");
    assert_int_equal(apply(&s, "server=192.168.1.50", &which), CW_OK);
    assert_int_equal(apply(&s, "server_port=8080", &which), CW_OK);
    assert_int_equal(s.server_port, 8080);
    assert_int_equal(apply(&s, "device_id=4294967295", &which), CW_OK);
    assert_int_equal(s.device_id, 4294967295u);
    assert_int_equal(apply(&s, "token=abc-123_XYZ", &which), CW_OK);
    assert_int_equal(apply(&s, "ota_pass=longenough", &which), CW_OK);
    assert_int_equal(apply(&s, "mqtt=broker.local", &which), CW_OK);
    assert_int_equal(apply(&s, "mqtt_port=1884", &which), CW_OK);
    assert_int_equal(s.mqtt_port, 1884);
}

static void test_settings_should_refuse_bad_values_and_leave_the_old_one(void **state)
{
    cw_settings_t s = fresh();
    cw_setting_t which;
    (void)state;
    assert_int_equal(apply(&s, "ts_key=ABCDEF0123456789", &which), CW_OK);
    assert_int_equal(apply(&s, "ts_key=abcdef0123456789", &which), CW_ERR_FORMAT); /* lower case */
    assert_int_equal(apply(&s, "ts_key=ABCDEF012345678", &which), CW_ERR_FORMAT);  /* 15 characters */
    assert_string_equal(s.thingspeak_key, "ABCDEF0123456789");
    assert_int_equal(apply(&s, "wifi=", &which), CW_ERR_FORMAT);
    assert_int_equal(apply(&s, "wifi=Caf\xc3\xa9 Wi-Fi", &which), CW_OK); /* a UTF-8 network name */
    assert_int_equal(apply(&s, "wifi=a\x01b", &which), CW_ERR_FORMAT);
    assert_string_equal(s.wifi_ssid, "Caf\xc3\xa9 Wi-Fi");
    assert_int_equal(apply(&s, "wifi_pass=p\xc3\xa4ssword1", &which), CW_ERR_FORMAT); /* WPA2: ASCII only */
    assert_int_equal(apply(&s, "wifi=123456789012345678901234567890123", &which), CW_ERR_FORMAT); /* 33 bytes */
    assert_int_equal(apply(&s, "wifi_pass=short", &which), CW_ERR_FORMAT);
    assert_int_equal(apply(&s, "server_port=0", &which), CW_ERR_FORMAT);
    assert_int_equal(apply(&s, "server_port=65536", &which), CW_ERR_FORMAT);
    assert_int_equal(apply(&s, "server_port=80a", &which), CW_ERR_FORMAT);
    assert_int_equal(s.server_port, 8000);
    assert_int_equal(apply(&s, "device_id=4294967296", &which), CW_ERR_FORMAT);
    assert_int_equal(apply(&s, "device_id=0", &which), CW_ERR_FORMAT);
    assert_int_equal(apply(&s, "server=http://x", &which), CW_ERR_FORMAT); /* a host, not a URL */
    assert_int_equal(apply(&s, "ota_pass=short", &which), CW_ERR_FORMAT);
    {
        const char tab[] = "token=a\tb";
        assert_int_equal(apply(&s, tab, &which), CW_ERR_FORMAT);
    }
}

static void test_settings_should_refuse_unknown_keys_and_lines_without_a_value(void **state)
{
    cw_settings_t s = fresh();
    cw_setting_t which;
    (void)state;
    assert_int_equal(apply(&s, "wif=x", &which), CW_ERR_FORMAT);
    assert_int_equal(apply(&s, "wifix=x", &which), CW_ERR_FORMAT);
    assert_int_equal(apply(&s, "show", &which), CW_ERR_FORMAT);
    assert_int_equal(apply(&s, "", &which), CW_ERR_FORMAT);
    assert_int_equal(cw_settings_apply_line(NULL, "wifi=x", 6, &which), CW_ERR_ARG);
    assert_int_equal(cw_settings_apply_line(&s, NULL, 0, &which), CW_ERR_ARG);
}

static void test_settings_should_clear_the_optional_ones_with_an_empty_value(void **state)
{
    cw_settings_t s = fresh();
    cw_setting_t which;
    (void)state;
    assert_int_equal(apply(&s, "server=10.0.0.2", &which), CW_OK);
    assert_int_equal(apply(&s, "server=", &which), CW_OK);
    assert_string_equal(s.server_host, "");
    assert_int_equal(apply(&s, "ts_key=", &which), CW_OK);
    assert_int_equal(apply(&s, "wifi_pass=", &which), CW_OK); /* an open network */
}

static void test_settings_show_should_mask_secrets(void **state)
{
    cw_settings_t s = fresh();
    cw_setting_t which;
    char out[80];
    (void)state;
    assert_int_equal(cw_settings_show(&s, CW_SETTING_THINGSPEAK_KEY, out, sizeof out), CW_OK);
    assert_string_equal(out, "(empty)");
    assert_int_equal(apply(&s, "ts_key=ABCDEF0123456789", &which), CW_OK);
    assert_int_equal(cw_settings_show(&s, CW_SETTING_THINGSPEAK_KEY, out, sizeof out), CW_OK);
    assert_string_equal(out, "(set)");
    assert_int_equal(apply(&s, "wifi=Net", &which), CW_OK);
    assert_int_equal(cw_settings_show(&s, CW_SETTING_WIFI_SSID, out, sizeof out), CW_OK);
    assert_string_equal(out, "Net");
    assert_int_equal(cw_settings_show(&s, CW_SETTING_SERVER_PORT, out, sizeof out), CW_OK);
    assert_string_equal(out, "8000");
    assert_int_equal(cw_settings_show(&s, CW_SETTING_SERVER_PORT, out, 4), CW_ERR_CAPACITY);
    assert_int_equal(cw_settings_show(&s, CW_SETTING_COUNT_, out, sizeof out), CW_ERR_ARG);
    assert_string_equal(cw_setting_key(CW_SETTING_OTA_PASSWORD), "ota_pass");
    assert_null(cw_setting_key(CW_SETTING_COUNT_));
}

static void test_settings_should_be_complete_with_wifi_and_a_destination(void **state)
{
    cw_settings_t s = fresh();
    cw_setting_t which;
    (void)state;
    assert_false(cw_settings_complete(&s));
    assert_int_equal(apply(&s, "wifi=Net", &which), CW_OK);
    assert_false(cw_settings_complete(&s));
    assert_int_equal(apply(&s, "ts_key=ABCDEF0123456789", &which), CW_OK); /* ThingSpeak only: enough */
    assert_true(cw_settings_complete(&s));
    assert_false(cw_settings_complete(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_should_apply_a_console_line_for_each_key),
        cmocka_unit_test(test_settings_should_refuse_bad_values_and_leave_the_old_one),
        cmocka_unit_test(test_settings_should_refuse_unknown_keys_and_lines_without_a_value),
        cmocka_unit_test(test_settings_should_clear_the_optional_ones_with_an_empty_value),
        cmocka_unit_test(test_settings_show_should_mask_secrets),
        cmocka_unit_test(test_settings_should_be_complete_with_wifi_and_a_destination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
