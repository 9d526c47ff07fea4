/* posix_http.h - one blocking HTTP/1.1 POST over a loopback/LAN socket, for the host tools that play a
 * device (cw_virtual_esp32, cw_thingspeak_cli). Not part of the firmware. */
#ifndef CW_POSIX_HTTP_H
#define CW_POSIX_HTTP_H

#include <stddef.h>
#include <stdint.h>

/**
 * POST `body` to http://host:port/path with the given extra header lines ("Name: value\r\n"..., or "").
 * @return the HTTP status, the response body in `answer` (NUL-terminated, truncated to `cap`); -1 when
 *         the server cannot be reached or answers no HTTP.
 */
int cw_http_post(const char *host, int port, const char *path, const char *headers, const uint8_t *body,
                 size_t len, char *answer, size_t cap);

#endif
