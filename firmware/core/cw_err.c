#include "cw_err.h"

/* Designated initializers keep the table in step with the enum, whatever its order. */
static const char *const cw_err_text[CW_ERR_COUNT_] = {
    [CW_OK] = "ok",
    [CW_ERR_ARG] = "invalid argument",
    [CW_ERR_CAPACITY] = "capacity too small",
    [CW_ERR_UNSTABLE] = "filter section not normalised (a0 != 1)",
    [CW_ERR_TRUNCATED] = "frame truncated",
    [CW_ERR_MAGIC] = "bad frame magic",
    [CW_ERR_VERSION] = "unsupported protocol version",
    [CW_ERR_CRC] = "crc mismatch",
    [CW_ERR_FORMAT] = "invalid frame field",
    [CW_ERR_OVERSIZED] = "frame over the maximum size",
    [CW_ERR_ENVELOPE] = "malformed envelope",
    [CW_ERR_EMPTY] = "empty",
};

const char *cw_err_str(cw_err_t err)
{
    if ((unsigned)err >= (unsigned)CW_ERR_COUNT_ || cw_err_text[err] == 0) {
        return "unknown error";
    }
    return cw_err_text[err];
}
