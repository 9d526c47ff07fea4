/* Stub of FreeRTOS task.h (ESP-IDF 5.x flavour; syntax check only). */
#pragma once
#include "FreeRTOS.h"
// unverified: freertos
typedef void *TaskHandle_t;
// unverified: freertos
typedef void (*TaskFunction_t)(void *);
// unverified: freertos
BaseType_t xTaskCreatePinnedToCore(TaskFunction_t pxTaskCode, const char *const pcName, const uint32_t usStackDepth,
                                   void *const pvParameters, UBaseType_t uxPriority, TaskHandle_t *const pxCreatedTask,
                                   const BaseType_t xCoreID);
// unverified: freertos
void vTaskNotifyGiveFromISR(TaskHandle_t xTaskToNotify, BaseType_t *pxHigherPriorityTaskWoken);
// unverified: freertos
uint32_t ulTaskNotifyTake(BaseType_t xClearCountOnExit, TickType_t xTicksToWait);
// unverified: freertos
void vTaskDelay(const TickType_t xTicksToDelay);
// unverified: freertos
TickType_t xTaskGetTickCount(void);
// unverified: freertos
UBaseType_t uxTaskGetStackHighWaterMark(TaskHandle_t xTask);
