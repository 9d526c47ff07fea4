/* Stub of ESP-IDF esp_task_wdt.h, the task watchdog (syntax check only). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

// unverified: esp-idf-err
typedef int esp_err_t;
// unverified: esp-idf-err
#define ESP_OK 0

// src: espressif/esp-idf@499625b components/esp_system/include/esp_task_wdt.h:21
typedef struct {
    uint32_t timeout_ms;        /**< TWDT timeout duration in milliseconds */
    uint32_t idle_core_mask;    /**< Bitmask of the core whose idle task should be subscribed */
    bool trigger_panic;         /**< Trigger panic when timeout occurs */
} esp_task_wdt_config_t;
// src: espressif/esp-idf@499625b components/esp_system/include/esp_task_wdt.h:63
esp_err_t esp_task_wdt_reconfigure(const esp_task_wdt_config_t *config);
// src: espressif/esp-idf@499625b components/esp_system/include/esp_task_wdt.h:90
esp_err_t esp_task_wdt_add(TaskHandle_t task_handle);
// src: espressif/esp-idf@499625b components/esp_system/include/esp_task_wdt.h:117
esp_err_t esp_task_wdt_reset(void);
// src: espressif/esp-idf@499625b components/esp_system/include/esp_task_wdt.h:143
esp_err_t esp_task_wdt_delete(TaskHandle_t task_handle);
