/* Stub of the Arduino-ESP32 core API the cardiowatch glue uses (syntax check only; never linked).
 *
 * Every declaration is preceded by the upstream file and line it was read from (`src:` verbatim,
 * `shape:` the same entity with bases, members or an inline body left out, `unverified:` not read here,
 * see MANIFEST).
 * tests/firmware/test_stubs.py checks each one against firmware/stubs/MANIFEST.
 */
#pragma once
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

// unverified: esp-idf-attr
#define IRAM_ATTR

// src: espressif/arduino-esp32@784b78d cores/esp32/esp32-hal-gpio.h:42
#define LOW  0x0
// src: espressif/arduino-esp32@784b78d cores/esp32/esp32-hal-gpio.h:43
#define HIGH 0x1
// src: espressif/arduino-esp32@784b78d cores/esp32/esp32-hal-gpio.h:46
#define INPUT 0x01
// src: espressif/arduino-esp32@784b78d cores/esp32/esp32-hal-gpio.h:49
#define OUTPUT            0x03
// src: espressif/arduino-esp32@784b78d cores/esp32/esp32-hal-gpio.h:51
#define INPUT_PULLUP      0x05
// src: espressif/arduino-esp32@784b78d cores/esp32/esp32-hal-gpio.h:74
void pinMode(uint8_t pin, uint8_t mode);
// src: espressif/arduino-esp32@784b78d cores/esp32/esp32-hal-gpio.h:75
void digitalWrite(uint8_t pin, uint8_t val);
// src: espressif/arduino-esp32@784b78d cores/esp32/esp32-hal-gpio.h:76
int digitalRead(uint8_t pin);

// ESP-IDF's own attenuation enum, which the real Arduino.h also brings in (through the IDF headers):
// passing it to the Arduino API is the error issue 22 item 1 describes.
// unverified: esp-idf-adc
typedef enum { ADC_ATTEN_DB_0 = 0, ADC_ATTEN_DB_2_5 = 1, ADC_ATTEN_DB_6 = 2, ADC_ATTEN_DB_12 = 3, ADC_ATTEN_DB_11 = ADC_ATTEN_DB_12 } adc_atten_t;
// src: espressif/arduino-esp32@04b28da cores/esp32/esp32-hal-adc.h:31
typedef enum {
  ADC_0db,
  ADC_2_5db,
  ADC_6db,
  ADC_11db,
  ADC_ATTENDB_MAX
} adc_attenuation_t;
// src: espressif/arduino-esp32@04b28da cores/esp32/esp32-hal-adc.h:47
uint32_t analogReadMilliVolts(uint8_t pin);
// src: espressif/arduino-esp32@04b28da cores/esp32/esp32-hal-adc.h:56
void analogReadResolution(uint8_t bits);
// src: espressif/arduino-esp32@04b28da cores/esp32/esp32-hal-adc.h:68
void analogSetPinAttenuation(uint8_t pin, adc_attenuation_t attenuation);

// src: espressif/arduino-esp32@05095c5 cores/esp32/esp32-hal-timer.h:32
struct timer_struct_t;
// src: espressif/arduino-esp32@05095c5 cores/esp32/esp32-hal-timer.h:33
typedef struct timer_struct_t hw_timer_t;
// src: espressif/arduino-esp32@05095c5 cores/esp32/esp32-hal-timer.h:35
hw_timer_t *timerBegin(uint32_t frequency);
// src: espressif/arduino-esp32@05095c5 cores/esp32/esp32-hal-timer.h:50
void timerAttachInterrupt(hw_timer_t *timer, void (*userFunc)(void));
// src: espressif/arduino-esp32@05095c5 cores/esp32/esp32-hal-timer.h:55
void timerAlarm(hw_timer_t *timer, uint64_t alarm_value, bool autoreload, uint64_t reload_count);

// src: espressif/arduino-esp32@00d8a39 cores/esp32/esp32-hal.h:136
unsigned long micros();
// src: espressif/arduino-esp32@00d8a39 cores/esp32/esp32-hal.h:137
unsigned long millis();
// src: espressif/arduino-esp32@00d8a39 cores/esp32/esp32-hal.h:138
void delay(uint32_t);

// src: espressif/arduino-esp32@00d8a39 cores/esp32/Arduino.h:132
typedef bool boolean;
// src: espressif/arduino-esp32@00d8a39 cores/esp32/Arduino.h:133
typedef uint8_t byte;
// src: espressif/arduino-esp32@00d8a39 cores/esp32/Arduino.h:211
extern "C" void configTime(long gmtOffset_sec, int daylightOffset_sec,
        const char* server1, const char* server2 = nullptr, const char* server3 = nullptr);
// src: espressif/arduino-esp32@00d8a39 cores/esp32/Arduino.h:217
void tone(uint8_t _pin, unsigned int frequency, unsigned long duration = 0);
// src: espressif/arduino-esp32@00d8a39 cores/esp32/Arduino.h:218
void noTone(uint8_t _pin);

// unverified: wstring
class String {
 public:
  // unverified: wstring
  String(const char *cstr = "");
  // unverified: wstring
  const char *c_str() const;
  // unverified: wstring
  unsigned int length(void) const;
};

// shape: espressif/arduino-esp32@08b6363 cores/esp32/Print.h:34
class Print {
 public:
  // src: espressif/arduino-esp32@08b6363 cores/esp32/Print.h:75
  size_t printf(const char * format, ...)  __attribute__ ((format (printf, 2, 3)));
  // src: espressif/arduino-esp32@08b6363 cores/esp32/Print.h:97
  size_t println(const char[]);
};

// unverified: serial-config
#define SERIAL_8N1 0x800001c

// shape: espressif/arduino-esp32@00b486e cores/esp32/HardwareSerial.h:70
class HardwareSerial: public Print {
 public:
  // src: espressif/arduino-esp32@00b486e cores/esp32/HardwareSerial.h:108
  void begin(unsigned long baud, uint32_t config=SERIAL_8N1, int8_t rxPin=-1, int8_t txPin=-1, bool invert=false, unsigned long timeout_ms = 20000UL, uint8_t rxfifo_full_thrhd = 112);
  // src: espressif/arduino-esp32@00b486e cores/esp32/HardwareSerial.h:111
  int available(void);
  // src: espressif/arduino-esp32@00b486e cores/esp32/HardwareSerial.h:114
  int read(void);
};
// src: espressif/arduino-esp32@00b486e cores/esp32/HardwareSerial.h:197
extern HardwareSerial Serial;

// unverified: hal-log
#define log_e(format, ...) Serial.printf("[E] " format "\n", ##__VA_ARGS__)
// unverified: hal-log
#define log_w(format, ...) Serial.printf("[W] " format "\n", ##__VA_ARGS__)
// unverified: hal-log
#define log_i(format, ...) Serial.printf("[I] " format "\n", ##__VA_ARGS__)
