#include "cw_ack.h"

#define CW_ACK_MAX_DEPTH 8

typedef enum { KEY_OTHER = 0, KEY_STORED, KEY_DUPLICATE, KEY_REJECTED, KEY_SEQ } cw_ack_key_t;

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static cw_ack_key_t key_of(const char *s, size_t n)
{
    static const struct {
        const char *name;
        size_t len;
        cw_ack_key_t key;
    } keys[] = {
        {"stored", 6, KEY_STORED},
        {"duplicate", 9, KEY_DUPLICATE},
        {"rejected", 8, KEY_REJECTED},
        {"seq", 3, KEY_SEQ},
    };
    size_t k, i;
    for (k = 0; k < sizeof keys / sizeof keys[0]; ++k) {
        if (keys[k].len == n) {
            for (i = 0; i < n && s[i] == keys[k].name[i]; ++i) {
            }
            if (i == n) {
                return keys[k].key;
            }
        }
    }
    return KEY_OTHER;
}

cw_err_t cw_ack_parse(const char *json, size_t len, uint32_t *done, size_t cap, size_t *n_done)
{
    char open[CW_ACK_MAX_DEPTH];        /* '{' or '[' at each depth */
    cw_ack_key_t key[CW_ACK_MAX_DEPTH]; /* the last key read in the object at each depth */
    size_t depth = 0;
    size_t i = 0;
    size_t found = 0;
    int started = 0;
    if (json == 0 || n_done == 0 || (done == 0 && cap != 0)) {
        return CW_ERR_ARG;
    }
    *n_done = 0;
    while (i < len) {
        const char c = json[i];
        if (is_space(c) || c == ',' || c == ':') {
            ++i;
        } else if (c == '{' || c == '[') {
            if (depth == CW_ACK_MAX_DEPTH || (depth == 0 && (started || c != '{'))) {
                return CW_ERR_FORMAT;
            }
            open[depth] = c;
            key[depth] = KEY_OTHER;
            ++depth;
            started = 1;
            ++i;
        } else if (c == '}' || c == ']') {
            if (depth == 0 || open[depth - 1] != (c == '}' ? '{' : '[')) {
                return CW_ERR_FORMAT;
            }
            --depth;
            ++i;
        } else if (c == '"') {
            size_t start = ++i;
            size_t j;
            while (i < len && json[i] != '"') {
                i += (json[i] == '\\') ? 2u : 1u;
            }
            if (i >= len) {
                return CW_ERR_FORMAT;
            }
            j = i + 1;
            while (j < len && is_space(json[j])) {
                ++j;
            }
            if (depth > 0 && open[depth - 1] == '{' && j < len && json[j] == ':') {
                key[depth - 1] = key_of(json + start, i - start);
            }
            ++i;
        } else if (c >= '0' && c <= '9') {
            uint32_t value = 0;
            int wanted = (depth == 2 && open[1] == '[' && (key[0] == KEY_STORED || key[0] == KEY_DUPLICATE))
                         || (depth == 3 && open[1] == '[' && key[0] == KEY_REJECTED && key[2] == KEY_SEQ);
            while (i < len && json[i] >= '0' && json[i] <= '9') {
                value = value * 10u + (uint32_t)(json[i] - '0');
                ++i;
            }
            if (wanted) {
                if (found < cap) {
                    done[found] = value;
                }
                ++found;
            }
        } else if (depth > 0) {
            ++i; /* the letters of true/false/null, a sign, a fraction: nothing we collect */
        } else {
            return CW_ERR_FORMAT;
        }
    }
    if (depth != 0 || !started) {
        return CW_ERR_FORMAT;
    }
    *n_done = found;
    return found > cap ? CW_ERR_CAPACITY : CW_OK;
}
