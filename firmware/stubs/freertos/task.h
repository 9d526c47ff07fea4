/* Stub of FreeRTOS task.h (ESP-IDF flavour; syntax check only). */
#pragma once
#include "FreeRTOS.h"
typedef void *TaskHandle_t;
typedef void (*TaskFunction_t)(void *);
BaseType_t xTaskCreatePinnedToCore(TaskFunction_t fn, const char *name, uint32_t stack_depth, void *param,
                                   UBaseType_t priority, TaskHandle_t *created, BaseType_t core_id);
void vTaskNotifyGiveFromISR(TaskHandle_t task, BaseType_t *higher_priority_task_woken);
uint32_t ulTaskNotifyTake(BaseType_t clear_on_exit, TickType_t ticks_to_wait);
void vTaskDelay(TickType_t ticks);
TickType_t xTaskGetTickCount(void);
