/* cw_ack.h - read the server's answer to sent frames (docs/protocol.md section 3).
 *
 * The answer is `{"stored": [seq...], "duplicate": [seq...], "rejected": [{"index": i, "seq": s|null,
 * "error": "...", "detail": "..."}]}`, over HTTP as the body and over MQTT on the `ack` topic. A seq
 * that is stored or a duplicate is durably stored; a rejected one will be rejected again. Either way
 * the device drops it from its offline queue, so the parser returns all of them as "done".
 */
#ifndef CW_ACK_H
#define CW_ACK_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Collect the seqs of `json` the device may drop: every number of the top-level "stored" and
 * "duplicate" arrays and every numeric "seq" of the "rejected" objects (in that textual order).
 * Strings are skipped with their escapes, unknown keys ignored.
 * @param done    where the seqs go (at most `cap`; more set CW_ERR_CAPACITY but are still counted)
 * @param n_done  how many seqs were found
 * @return CW_OK; CW_ERR_FORMAT for text that is not a well-nested JSON object; CW_ERR_CAPACITY.
 */
cw_err_t cw_ack_parse(const char *json, size_t len, uint32_t *done, size_t cap, size_t *n_done);

#ifdef __cplusplus
}
#endif
#endif /* CW_ACK_H */
