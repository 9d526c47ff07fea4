// spool.h - the offline queue's flash tier on LittleFS (the core's cw_spool does the bookkeeping).
#pragma once

#include "cw_spool.h"

// Mount LittleFS (the default partition table's 1.375 MiB "spiffs" data partition, formatted the first
// time) and open the spool in it; false (logged) when the flash tier is not available.
bool cw_spool_begin(cw_spool_t *spool);
