/* cw_spool.c - the offline queue's flash tier (see cw_spool.h). */
#include "cw_spool.h"

#include "cw_crc.h"

#define CW_SPOOL_CHUNK 64u
#define CW_SPOOL_NO_BOUND 0xFFFFFFFFu

static const uint8_t cw_spool_magic[4] = {'C', 'W', 'S', 'P'};

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void spool_save(cw_spool_t *sp)
{
    uint8_t meta[CW_SPOOL_META_BYTES];
    unsigned i;
    for (i = 0; i < 4u; ++i) {
        meta[i] = cw_spool_magic[i];
    }
    put_u32(meta + 4, sp->first);
    put_u32(meta + 8, sp->last);
    if (sp->io.save_meta(sp->io.ctx, meta, sizeof meta) != 0) {
        sp->io_errors += 1u;
    }
}

/*
 * The record at `offset` of `seg`, checked: 1 and its frame length in `*len` (copied into `out` when it
 * fits `cap`), or 0 at the end of the segment, at `bound`, or at a record cut short or corrupted.
 */
static int spool_record(cw_spool_t *sp, uint32_t seg, uint32_t offset, uint32_t bound, uint8_t *out, size_t cap,
                        uint32_t *len)
{
    uint8_t head[CW_SPOOL_RECORD_OVERHEAD];
    uint8_t chunk[CW_SPOOL_CHUNK];
    uint16_t crc = CW_CRC16_INIT;
    uint32_t n;
    uint32_t done = 0;
    const int copy = out != NULL;
    if (bound != CW_SPOOL_NO_BOUND && (offset >= bound || bound - offset < CW_SPOOL_RECORD_OVERHEAD)) {
        return 0;
    }
    if (sp->io.read(sp->io.ctx, seg, offset, head, sizeof head) != (int32_t)sizeof head) {
        return 0;
    }
    n = (uint32_t)head[0] | ((uint32_t)head[1] << 8);
    if (n == 0u || n > CW_SPOOL_MAX_FRAME
        || (bound != CW_SPOOL_NO_BOUND && bound - offset - CW_SPOOL_RECORD_OVERHEAD < n)) {
        return 0;
    }
    while (done < n) {
        const uint32_t want = n - done < CW_SPOOL_CHUNK ? n - done : CW_SPOOL_CHUNK;
        uint8_t *dst = (copy && n <= cap) ? out + done : chunk;
        if (sp->io.read(sp->io.ctx, seg, offset + CW_SPOOL_RECORD_OVERHEAD + done, dst, want) != (int32_t)want) {
            return 0;
        }
        crc = cw_crc16_update(crc, dst, want);
        done += want;
    }
    if (crc != (uint16_t)((uint32_t)head[2] | ((uint32_t)head[3] << 8))) {
        return 0;
    }
    *len = n;
    return 1;
}

static uint32_t spool_bound(const cw_spool_t *sp, uint32_t seg)
{
    return seg == sp->last ? sp->head_bytes : CW_SPOOL_NO_BOUND;
}

cw_err_t cw_spool_open(cw_spool_t *sp, const cw_spool_io_t *io, uint32_t segment_bytes, uint32_t max_segments)
{
    uint8_t meta[CW_SPOOL_META_BYTES];
    uint32_t off = 0;
    uint32_t len = 0;
    int32_t size;
    if (sp == NULL || io == NULL || io->append == NULL || io->read == NULL || io->size == NULL
        || io->remove == NULL || io->save_meta == NULL || io->load_meta == NULL
        || segment_bytes < CW_SPOOL_MAX_FRAME + CW_SPOOL_RECORD_OVERHEAD || max_segments < 2u) {
        return CW_ERR_ARG;
    }
    sp->io = *io;
    sp->segment_bytes = segment_bytes;
    sp->max_segments = max_segments;
    sp->dropped_frames = 0;
    sp->io_errors = 0;
    sp->read_offset = 0;
    if (io->load_meta(io->ctx, meta, sizeof meta) == (int32_t)sizeof meta && meta[0] == cw_spool_magic[0]
        && meta[1] == cw_spool_magic[1] && meta[2] == cw_spool_magic[2] && meta[3] == cw_spool_magic[3]
        && get_u32(meta + 8) - get_u32(meta + 4) < max_segments) {
        sp->first = get_u32(meta + 4);
        sp->last = get_u32(meta + 8);
    } else {
        sp->first = 0;
        sp->last = 0;
        (void)io->remove(io->ctx, 0); /* a segment left without its numbers cannot be trusted */
        spool_save(sp);
    }
    /* append after the last whole record; a cut or corrupted tail ends that segment for good */
    while (spool_record(sp, sp->last, off, CW_SPOOL_NO_BOUND, NULL, 0, &len)) {
        off += CW_SPOOL_RECORD_OVERHEAD + len;
    }
    size = io->size(io->ctx, sp->last);
    sp->head_bytes = off;
    if (size > 0 && (uint32_t)size > off) {
        sp->last += 1u;
        sp->head_bytes = 0;
        (void)io->remove(io->ctx, sp->last);
        spool_save(sp);
    }
    return CW_OK;
}

/* Unsent records of segment `seg` from `offset`. */
static uint32_t spool_count(cw_spool_t *sp, uint32_t seg, uint32_t offset)
{
    uint32_t n = 0;
    uint32_t len = 0;
    while (spool_record(sp, seg, offset, spool_bound(sp, seg), NULL, 0, &len)) {
        offset += CW_SPOOL_RECORD_OVERHEAD + len;
        n += 1u;
    }
    return n;
}

cw_err_t cw_spool_push(cw_spool_t *sp, const uint8_t *frame, size_t len)
{
    uint8_t head[CW_SPOOL_RECORD_OVERHEAD];
    uint16_t crc;
    const uint32_t record = (uint32_t)len + CW_SPOOL_RECORD_OVERHEAD;
    if (sp == NULL || frame == NULL || len == 0u || len > CW_SPOOL_MAX_FRAME) {
        return CW_ERR_ARG;
    }
    if (sp->head_bytes > 0u && sp->head_bytes + record > sp->segment_bytes) {
        sp->last += 1u;
        sp->head_bytes = 0;
        (void)sp->io.remove(sp->io.ctx, sp->last);
        if (sp->last - sp->first + 1u > sp->max_segments) { /* full: the oldest segment makes room */
            sp->dropped_frames += spool_count(sp, sp->first, sp->read_offset);
            (void)sp->io.remove(sp->io.ctx, sp->first);
            sp->first += 1u;
            sp->read_offset = 0;
        }
        spool_save(sp);
    }
    crc = cw_crc16_update(CW_CRC16_INIT, frame, len);
    head[0] = (uint8_t)len;
    head[1] = (uint8_t)(len >> 8);
    head[2] = (uint8_t)crc;
    head[3] = (uint8_t)(crc >> 8);
    if (sp->io.append(sp->io.ctx, sp->last, head, sizeof head) != 0
        || sp->io.append(sp->io.ctx, sp->last, frame, len) != 0) {
        /* part of a record may be on flash: close this segment, the next frame starts a new one */
        sp->io_errors += 1u;
        sp->head_bytes = sp->segment_bytes;
        return CW_ERR_CAPACITY;
    }
    sp->head_bytes += record;
    return CW_OK;
}

/* Segment and offset of the `index`-th unsent record; 0 when there is none. */
static int spool_locate(cw_spool_t *sp, size_t index, uint32_t *seg_out, uint32_t *off_out, uint32_t *len_out)
{
    uint32_t seg = sp->first;
    uint32_t off = sp->read_offset;
    uint32_t len = 0;
    size_t i = 0;
    for (;;) {
        if (!spool_record(sp, seg, off, spool_bound(sp, seg), NULL, 0, &len)) {
            if (seg == sp->last) {
                return 0;
            }
            seg += 1u;
            off = 0;
            continue;
        }
        if (i == index) {
            *seg_out = seg;
            *off_out = off;
            *len_out = len;
            return 1;
        }
        off += CW_SPOOL_RECORD_OVERHEAD + len;
        i += 1u;
    }
}

int cw_spool_empty(cw_spool_t *sp)
{
    uint32_t seg;
    uint32_t off;
    uint32_t len;
    return sp == NULL || !spool_locate(sp, 0, &seg, &off, &len);
}

size_t cw_spool_peek_at(cw_spool_t *sp, size_t index, uint8_t *out, size_t cap)
{
    uint32_t seg;
    uint32_t off;
    uint32_t len;
    if (sp == NULL || out == NULL || !spool_locate(sp, index, &seg, &off, &len) || len > cap) {
        return 0;
    }
    return spool_record(sp, seg, off, spool_bound(sp, seg), out, cap, &len) ? (size_t)len : 0u;
}

cw_err_t cw_spool_pop(cw_spool_t *sp)
{
    uint32_t len = 0;
    if (sp == NULL) {
        return CW_ERR_ARG;
    }
    for (;;) {
        if (spool_record(sp, sp->first, sp->read_offset, spool_bound(sp, sp->first), NULL, 0, &len)) {
            break;
        }
        if (sp->first == sp->last) {
            return CW_ERR_EMPTY;
        }
        (void)sp->io.remove(sp->io.ctx, sp->first); /* used up */
        sp->first += 1u;
        sp->read_offset = 0;
        spool_save(sp);
    }
    sp->read_offset += CW_SPOOL_RECORD_OVERHEAD + len;
    if (sp->first == sp->last && sp->read_offset >= sp->head_bytes) { /* all sent: start over, flash freed */
        (void)sp->io.remove(sp->io.ctx, sp->first);
        sp->first += 1u;
        sp->last = sp->first;
        sp->read_offset = 0;
        sp->head_bytes = 0;
        (void)sp->io.remove(sp->io.ctx, sp->first);
        spool_save(sp);
    }
    return CW_OK;
}
