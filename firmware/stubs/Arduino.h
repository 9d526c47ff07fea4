/* Stub of the Arduino-ESP32 3.x core API the cardiowatch glue uses (syntax check only). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#define ESP_ARDUINO_VERSION_MAJOR 3
#define IRAM_ATTR
#define INPUT 0x01
#define OUTPUT 0x03
#define INPUT_PULLUP 0x05
#define LOW 0x0
#define HIGH 0x1

typedef uint8_t byte;
typedef enum { ADC_0db, ADC_2_5db, ADC_6db, ADC_11db, ADC_ATTENDB_MAX } adc_attenuation_t;
#define ADC_ATTEN_DB_12 ADC_11db

void pinMode(uint8_t pin, uint8_t mode);
int digitalRead(uint8_t pin);
void digitalWrite(uint8_t pin, uint8_t val);
uint32_t analogReadMilliVolts(uint8_t pin);
void analogReadResolution(uint8_t bits);
void analogSetPinAttenuation(uint8_t pin, adc_attenuation_t attenuation);
unsigned long millis(void);
unsigned long micros(void);
void delay(uint32_t ms);
void configTime(long gmtOffset_sec, int daylightOffset_sec, const char *server1, const char *server2 = nullptr,
                const char *server3 = nullptr);
void tone(uint8_t pin, unsigned int frequency, unsigned long duration = 0);
void noTone(uint8_t pin);

typedef struct hw_timer_s hw_timer_t;
hw_timer_t *timerBegin(uint32_t frequency);
void timerAttachInterrupt(hw_timer_t *timer, void (*userFunc)(void));
void timerAlarm(hw_timer_t *timer, uint64_t alarm_value, bool autoreload, uint64_t reload_count);

class String {
 public:
  String(const char *s = "");
  String(int value);
  String(unsigned int value);
  String(unsigned long value);
  const char *c_str() const;
  unsigned int length() const;
  String &operator+=(const String &rhs);
  String &operator+=(const char *rhs);
  friend String operator+(const String &lhs, const String &rhs);
  friend String operator+(const String &lhs, const char *rhs);
};

class Print {
 public:
  size_t printf(const char *format, ...) __attribute__((format(printf, 2, 3)));
  size_t println(const char *s);
};

class HardwareSerial : public Print {
 public:
  void begin(unsigned long baud);
};
extern HardwareSerial Serial;

/* esp32-hal-log.h */
#define log_e(format, ...) Serial.printf("[E] " format "\n", ##__VA_ARGS__)
#define log_w(format, ...) Serial.printf("[W] " format "\n", ##__VA_ARGS__)
#define log_i(format, ...) Serial.printf("[I] " format "\n", ##__VA_ARGS__)
