// portal.h - the captive portal for the settings (WiFiManager), opened only at start.
#pragma once

// When the settings are incomplete, or the BOOT button (GPIO0) is held at power-on: open the Wi-Fi
// access point "cardiowatch-setup" with its settings page for up to 5 minutes, then store what was
// entered (checked like the console's). Blocks; call in setup() before sampling starts (an access point
// puts spikes on the ADC, so it never runs while measuring).
void cw_portal_run_if_needed();
