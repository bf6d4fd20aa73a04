#include "frames/find_frame.h"

#include "crc32c/crc32c.h"

namespace stemedb {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

// kOps[k][d - 1]: "append d * 16^k zero bytes" as 4 x 256 tables (8 hex digits cover
// n < 2^32; larger n apply the top table repeatedly). 480 KiB, built once.
struct ShiftTables {
  uint32_t t[8][15][4][256];
  static uint32_t apply(const uint32_t (&op)[4][256], uint32_t v) {
    return op[0][v & 0xff] ^ op[1][(v >> 8) & 0xff] ^ op[2][(v >> 16) & 0xff] ^ op[3][v >> 24];
  }
  template <typename F>
  static void build(uint32_t (&op)[4][256], F image) {
    uint32_t cols[32];
    for (int i = 0; i < 32; i++) cols[i] = image(1u << i);
    for (int b = 0; b < 4; b++) {
      op[b][0] = 0;
      for (int x = 1; x < 256; x++) {
        int low = __builtin_ctz(static_cast<unsigned>(x));
        op[b][x] = op[b][x & (x - 1)] ^ cols[b * 8 + low];
      }
    }
  }
  ShiftTables() {
    build(t[0][0], [](uint32_t v) {
      for (int k = 0; k < 8; k++) v = (v & 1) ? (v >> 1) ^ kPoly : v >> 1;
      return v;
    });
    for (int k = 0; k < 8; k++) {
      if (k > 0)
        build(t[k][0], [&](uint32_t v) { return apply(t[k - 1][0], apply(t[k - 1][14], v)); });
      for (int d = 1; d < 15; d++)
        build(t[k][d], [&](uint32_t v) { return apply(t[k][0], apply(t[k][d - 1], v)); });
    }
  }
};

const ShiftTables& tables() {
  static const ShiftTables t;  // built on first use (thread-safe static init), no heap
  return t;
}

}  // namespace

void crc32c_checkpoints(const uint8_t* buf, size_t len, size_t step, uint32_t* out) {
  uint32_t crc = 0;
  out[0] = 0;
  for (size_t i = 1; i <= len / step; i++) {
    crc = crc32c_extend(crc, buf + (i - 1) * step, step);
    out[i] = crc;
  }
}

uint32_t crc32c_shift(uint32_t crc, uint64_t n) {
  const ShiftTables& t = tables();
  // 2^32 bytes = 15 * 16^7 + 16^7: only for buffers past 4 GiB.
  for (; n >= (uint64_t{1} << 32); n -= uint64_t{1} << 32)
    crc = ShiftTables::apply(t.t[7][0], ShiftTables::apply(t.t[7][14], crc));
  for (int k = 0; n > 0; k++, n >>= 4) {
    uint32_t d = static_cast<uint32_t>(n & 15);
    if (d) crc = ShiftTables::apply(t.t[k][d - 1], crc);
  }
  return crc;
}

int64_t find_frame(const uint8_t* buf, size_t len, size_t from, const uint32_t* checkpoints,
                   size_t step, FrameBinding binding) {
  auto crc_to = [&](size_t i) {
    size_t k = i / step;
    size_t at = k * step;
    return at == i ? checkpoints[k] : crc32c_extend(checkpoints[k], buf + at, i - at);
  };
  for (size_t q = from; q + kFrameHeader <= len; q++) {
    size_t left = len - q - kFrameHeader;
    // A cheap first test on the length's top byte (most garbage fails it), then the length.
    if (left < (size_t{1} << 32) && buf[q + 3] > (left >> 24)) continue;
    uint32_t n = load_frame_len(buf + q);
    if (n > left) continue;  // a frame fits in what is left
    uint32_t stored = load_u32le(buf + q + kFrameCrcAt);
    if (n == 0 && stored == 0) continue;  // zeros: unwritten space, never a frame
    uint8_t prefix[12];
    size_t plen = 0;
    uint64_t offset = binding.offset + q;
    if (binding.bound) {
      for (int b = 0; b < 8; b++) prefix[plen++] = static_cast<uint8_t>(offset >> (8 * b));
    }
    for (int b = 0; b < 4; b++) prefix[plen++] = static_cast<uint8_t>(n >> (8 * b));
    uint32_t p = crc32c_extend(0, prefix, plen);
    // crc32c(prefix || buf[q+8, e)) from prefix CRCs: shift(p ^ c(q+8), e-q-8) ^ c(e).
    size_t e = q + kFrameHeader + n;
    uint32_t crc = crc32c_shift(p ^ crc_to(q + kFrameHashAt), e - q - kFrameHashAt) ^ crc_to(e);
    if (crc != stored) continue;
    FrameBinding at{binding.bound, offset};
    if (verify_frames(buf, q, e, UINT64_MAX, 1, at).count == 1) return static_cast<int64_t>(q);
  }
  return -1;
}

}  // namespace stemedb
