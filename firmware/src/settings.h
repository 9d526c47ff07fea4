// settings.h - the settings a user changes without rebuilding: config.h gives the defaults, NVS holds
// what was set on the serial console (`key=value` lines, checked by the core's cw_settings).
#pragma once

#include "cw_settings.h"

// Load config.h's values, then whatever NVS holds; print how to change them. Call once, first in setup().
void cw_settings_begin();
// The settings in force (loaded at boot; a change takes effect at the next start).
const cw_settings_t &cw_device_settings();
// From loop(): read the serial console, apply and store complete lines.
void cw_settings_poll();
// Check `value` for `which` and store it in NVS (applied at the next start); false when refused or not stored.
bool cw_settings_store(cw_setting_t which, const char *value);
