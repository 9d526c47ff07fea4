/* Stub of ESP-IDF esp_timer.h (syntax check only). */
#pragma once
#include <stdint.h>
// unverified: esp-idf-timer
int64_t esp_timer_get_time(void);
