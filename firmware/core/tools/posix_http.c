#define _POSIX_C_SOURCE 200809L
#include "posix_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int cw_http_post(const char *host, int port, const char *path, const char *headers, const uint8_t *body,
                 size_t len, char *answer, size_t cap)
{
    static char response[16384];
    struct sockaddr_in addr;
    char header[1024];
    size_t got = 0;
    ssize_t r;
    int fd, code = -1, n;
    const char *text;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    n = snprintf(header, sizeof header,
                 "POST %s HTTP/1.1\r\nHost: %s:%d\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n", path, host,
                 port, headers, len);
    if (n < 0 || (size_t)n >= sizeof header || send(fd, header, (size_t)n, 0) != n
        || send(fd, body, len, 0) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    while (got + 1 < sizeof response && (r = recv(fd, response + got, sizeof response - 1 - got, 0)) > 0) {
        got += (size_t)r;
    }
    close(fd);
    response[got] = '\0';
    if (sscanf(response, "HTTP/1.%*d %d", &code) != 1) {
        return -1;
    }
    text = strstr(response, "\r\n\r\n");
    text = text ? text + 4 : response + got;
    snprintf(answer, cap, "%s", text);
    return code;
}
