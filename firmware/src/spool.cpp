// spool.cpp - cw_spool's segment files on LittleFS: /q/<segment>.seg and /q/meta.
//
// Only the sender task calls these. One file is kept open for reading (the segment being sent), since
// the sender reads the same segment record after record; it is closed before that segment is appended
// to or removed, so a read never sees a stale size.
#include "spool.h"

#include <Arduino.h>
#include <LittleFS.h>
#include <inttypes.h>

namespace {

// 16 KiB segments: about 2 minutes of ECG each, so a full one is rarely dropped for a few frames.
const uint32_t kSegmentBytes = 16384;
const char kMetaPath[] = "/q/meta";

File g_reader;
uint32_t g_reader_seg = 0;
bool g_reading = false;

void segment_path(uint32_t seg, char *out, size_t cap) { snprintf(out, cap, "/q/%08" PRIx32 ".seg", seg); }

void close_reader(uint32_t seg) {
  if (g_reading && g_reader_seg == seg) {
    g_reader.close();
    g_reading = false;
  }
}

int fs_append(void *, uint32_t seg, const uint8_t *data, size_t len) {
  char path[32];
  segment_path(seg, path, sizeof path);
  close_reader(seg);
  File f = LittleFS.open(path, FILE_APPEND, true);
  if (!f) {
    return -1;
  }
  const size_t written = f.write(data, len);
  f.close();
  return written == len ? 0 : -1;
}

int32_t fs_read(void *, uint32_t seg, uint32_t offset, uint8_t *buf, size_t cap) {
  if (!g_reading || g_reader_seg != seg) {
    close_reader(g_reader_seg);
    char path[32];
    segment_path(seg, path, sizeof path);
    if (!LittleFS.exists(path)) {
      return -1;
    }
    g_reader = LittleFS.open(path, FILE_READ);
    if (!g_reader) {
      return -1;
    }
    g_reader_seg = seg;
    g_reading = true;
  }
  if (offset >= g_reader.size()) {
    return 0;
  }
  if (!g_reader.seek(offset)) {
    return -1;
  }
  return (int32_t)g_reader.read(buf, cap);
}

int32_t fs_size(void *, uint32_t seg) {
  char path[32];
  segment_path(seg, path, sizeof path);
  if (!LittleFS.exists(path)) {
    return -1;
  }
  File f = LittleFS.open(path, FILE_READ);
  if (!f) {
    return -1;
  }
  const size_t size = f.size();
  f.close();
  return (int32_t)size;
}

int fs_remove(void *, uint32_t seg) {
  char path[32];
  segment_path(seg, path, sizeof path);
  close_reader(seg);
  if (!LittleFS.exists(path)) {
    return 0;
  }
  return LittleFS.remove(path) ? 0 : -1;
}

int fs_save_meta(void *, const uint8_t *data, size_t len) {
  File f = LittleFS.open(kMetaPath, FILE_WRITE, true);
  if (!f) {
    return -1;
  }
  const size_t written = f.write(data, len);
  f.close();
  return written == len ? 0 : -1;
}

int32_t fs_load_meta(void *, uint8_t *buf, size_t cap) {
  if (!LittleFS.exists(kMetaPath)) {
    return -1;
  }
  File f = LittleFS.open(kMetaPath, FILE_READ);
  if (!f) {
    return -1;
  }
  const size_t n = f.read(buf, cap);
  f.close();
  return (int32_t)n;
}

}  // namespace

bool cw_spool_begin(cw_spool_t *spool) {
  if (!LittleFS.begin(true)) {
    log_e("spool: LittleFS not mounted (no \"spiffs\" partition?): frames are kept in RAM only");
    return false;
  }
  LittleFS.mkdir("/q");
  // three quarters of the partition: LittleFS needs free blocks for its own copy-on-write metadata
  const uint32_t segments = (uint32_t)(LittleFS.totalBytes() * 3u / 4u / kSegmentBytes);
  cw_spool_io_t io = {nullptr, fs_append, fs_read, fs_size, fs_remove, fs_save_meta, fs_load_meta};
  if (cw_spool_open(spool, &io, kSegmentBytes, segments) != CW_OK) {
    log_e("spool: not opened (%" PRIu32 " segments of %" PRIu32 " bytes): frames are kept in RAM only", segments,
          kSegmentBytes);
    return false;
  }
  log_i("spool: %" PRIu32 " segments of %" PRIu32 " bytes on flash", segments, kSegmentBytes);
  return true;
}
