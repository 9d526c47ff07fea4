/* Stub of tzapu/WiFiManager (the captive portal; syntax check only). */
#pragma once
#include <functional>

#include "Arduino.h"
#include "WiFi.h"

// shape: tzapu/WiFiManager@15b8fd5 WiFiManager.h:139
class WiFiManagerParameter {
 public:
  // src: tzapu/WiFiManager@15b8fd5 WiFiManager.h:148
  WiFiManagerParameter(const char *id, const char *label, const char *defaultValue, int length);
  // src: tzapu/WiFiManager@15b8fd5 WiFiManager.h:155
  const char *getValue() const;
};

// shape: tzapu/WiFiManager@15b8fd5 WiFiManager.h:179
class WiFiManager {
 public:
  // src: tzapu/WiFiManager@15b8fd5 WiFiManager.h:183
  WiFiManager();
  // src: tzapu/WiFiManager@15b8fd5 WiFiManager.h:193
  boolean       startConfigPortal(char const *apName, char const *apPassword = NULL);
  // src: tzapu/WiFiManager@15b8fd5 WiFiManager.h:225
  bool          addParameter(WiFiManagerParameter *p);
  // src: tzapu/WiFiManager@15b8fd5 WiFiManager.h:259
  void          setConfigPortalTimeout(unsigned long seconds);
  // src: tzapu/WiFiManager@15b8fd5 WiFiManager.h:384
  String        getWiFiPass(bool persistent = true);
  // src: tzapu/WiFiManager@15b8fd5 WiFiManager.h:387
  String        getWiFiSSID(bool persistent = true);
};
