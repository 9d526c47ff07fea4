/* Stub of the FreeRTOS types and macros the glue uses (ESP-IDF 5.x flavour; syntax check only). */
#pragma once
#include <stdint.h>
// unverified: freertos
typedef int BaseType_t;
// unverified: freertos
typedef unsigned int UBaseType_t;
// unverified: freertos
typedef uint32_t TickType_t;
// unverified: freertos
typedef struct { volatile uint32_t owner; volatile uint32_t count; } portMUX_TYPE;
// unverified: freertos
#define portMUX_INITIALIZER_UNLOCKED {0, 0}
// unverified: freertos
#define pdTRUE 1
// unverified: freertos
#define pdFALSE 0
// unverified: freertos
#define pdPASS 1
// unverified: freertos
#define portMAX_DELAY ((TickType_t)0xffffffffUL)
// unverified: freertos
#define pdMS_TO_TICKS(ms) ((TickType_t)(ms))
// unverified: freertos
void vPortEnterCritical(portMUX_TYPE *mux);
// unverified: freertos
void vPortExitCritical(portMUX_TYPE *mux);
// unverified: freertos
#define portENTER_CRITICAL(mux) vPortEnterCritical(mux)
// unverified: freertos
#define portEXIT_CRITICAL(mux) vPortExitCritical(mux)
// unverified: freertos
void vPortYieldFromISR(void);
// unverified: freertos
#define portYIELD_FROM_ISR(woken) do { if (woken) vPortYieldFromISR(); } while (0)
