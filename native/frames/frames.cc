#include "frames/frames.h"

#include <cstring>

#include "blake3/blake3.h"
#include "crc32c/crc32c.h"

namespace stemedb {

static_assert(kFrameHashSize == blake3::kOutLen, "a frame carries a default-length BLAKE3 digest");

namespace {

constexpr size_t kGroup = 64;  // frames hashed together in one hash_many_inputs call

inline void store_u32le(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

}  // namespace

uint32_t frame_crc(uint32_t len, const uint8_t* hash, const uint8_t* payload, bool bound,
                   uint64_t offset) {
  // One 12-byte extend for the prefix: the binding costs no extra call.
  uint8_t prefix[12];
  size_t n = 0;
  if (bound) {
    store_u32le(prefix, static_cast<uint32_t>(offset));
    store_u32le(prefix + 4, static_cast<uint32_t>(offset >> 32));
    n = 8;
  }
  store_u32le(prefix + n, len);
  uint32_t crc = crc32c_extend(0, prefix, n + 4);
  crc = crc32c_extend(crc, hash, blake3::kOutLen);
  return crc32c_extend(crc, payload, len);
}

VerifyResult verify_frames(const uint8_t* buf, size_t start, size_t end, uint64_t max_len,
                           uint64_t max_count, FrameBinding binding) {
  VerifyResult r;
  r.pos = start;
  const uint8_t* group_ptr[kGroup];
  size_t group_len[kGroup];
  size_t group_pos[kGroup];
  size_t group_n = 0;
  uint8_t digests[kGroup * blake3::kOutLen];
  size_t pos = start;
  uint32_t stop = kFrameOk;

  // Checks the hashes of the pending group; on a mismatch, moves the result to it.
  auto flush = [&]() -> bool {
    if (group_n == 0) return true;
    blake3::hash_many_inputs(group_ptr, group_len, group_n, digests);
    for (size_t i = 0; i < group_n; i++) {
      const uint8_t* stored = buf + group_pos[i] + kFrameHashAt;
      if (std::memcmp(stored, digests + i * blake3::kOutLen, blake3::kOutLen) != 0) {
        r.pos = group_pos[i];
        r.status = kFrameHashMismatch;
        group_n = 0;
        return false;
      }
      r.count++;
      r.pos = group_pos[i] + kFrameHeader + group_len[i];
    }
    group_n = 0;
    return true;
  };

  uint64_t seen = 0;
  while (seen < max_count) {
    size_t left = end - pos;
    if (left == 0) break;
    if (left < kFrameHeader) {
      stop = all_zero(buf + pos, left) ? kFrameZeros : kFrameTruncatedHeader;
      break;
    }
    const uint8_t* h = buf + pos;
    uint32_t len = load_frame_len(h);
    uint32_t stored_crc = load_u32le(h + kFrameCrcAt);
    if (len == 0 && stored_crc == 0 && all_zero(h + kFrameHashAt, kFrameHashSize)) {
      stop = kFrameZeros;
      break;
    }
    // Rule 3: bound the length by max_len and by what is left before trusting it.
    if (len > max_len) {
      stop = kFrameTooLarge;
      break;
    }
    if (len > left - kFrameHeader) {
      stop = kFrameTruncatedPayload;
      break;
    }
    if (frame_crc(len, h + kFrameHashAt, h + kFrameHeader, binding.bound,
                  binding.offset + (pos - start)) != stored_crc) {
      stop = kFrameCrcMismatch;
      break;
    }
    group_ptr[group_n] = h + kFrameHeader;
    group_len[group_n] = len;
    group_pos[group_n] = pos;
    group_n++;
    pos += kFrameHeader + len;
    seen++;
    if (group_n == kGroup && !flush()) return r;
  }
  if (!flush()) return r;
  r.status = stop;
  return r;
}

size_t seal_frames(uint8_t* buf, size_t size, size_t count, FrameBinding binding) {
  const uint8_t* group_ptr[kGroup];
  size_t group_len[kGroup];
  uint8_t* group_frame[kGroup];
  uint8_t digests[kGroup * blake3::kOutLen];
  size_t group_n = 0;
  size_t pos = 0;
  auto flush = [&]() {
    if (group_n == 0) return;
    blake3::hash_many_inputs(group_ptr, group_len, group_n, digests);
    for (size_t i = 0; i < group_n; i++) {
      uint8_t* f = group_frame[i];
      std::memcpy(f + kFrameHashAt, digests + i * blake3::kOutLen, blake3::kOutLen);
      store_u32le(f + kFrameCrcAt,
                  frame_crc(static_cast<uint32_t>(group_len[i]), f + kFrameHashAt, f + kFrameHeader,
                            binding.bound, binding.offset + static_cast<uint64_t>(f - buf)));
    }
    group_n = 0;
  };
  for (size_t i = 0; i < count; i++) {
    if (size - pos < kFrameHeader) return SIZE_MAX;
    uint32_t len = load_frame_len(buf + pos);
    if (len > size - pos - kFrameHeader) return SIZE_MAX;
    group_frame[group_n] = buf + pos;
    group_ptr[group_n] = buf + pos + kFrameHeader;
    group_len[group_n] = len;
    group_n++;
    pos += kFrameHeader + len;
    if (group_n == kGroup) flush();
  }
  flush();
  return pos;
}

void frame_batch(const uint8_t* data, const uint32_t* lens, size_t n, uint8_t* hashes,
                 uint32_t* crcs, FrameBinding binding) {
  const uint8_t* ptrs[kGroup];
  size_t group_len[kGroup];
  size_t off = 0;
  uint64_t offset = binding.offset;
  for (size_t base = 0; base < n; base += kGroup) {
    size_t g = n - base < kGroup ? n - base : kGroup;
    for (size_t i = 0; i < g; i++) {
      ptrs[i] = data + off;
      group_len[i] = lens[base + i];
      off += lens[base + i];
    }
    uint8_t* out = hashes + base * blake3::kOutLen;
    blake3::hash_many_inputs(ptrs, group_len, g, out);
    for (size_t i = 0; i < g; i++) {
      crcs[base + i] =
          frame_crc(lens[base + i], out + i * blake3::kOutLen, ptrs[i], binding.bound, offset);
      offset += kFrameHeader + lens[base + i];
    }
  }
}

}  // namespace stemedb
