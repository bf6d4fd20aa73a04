// Portable CRC32C: slicing-by-8 over tables built at compile time.
// Plain C++17, no intrinsics; words are assembled from bytes so the code is
// correct on any endianness (compilers fold it into one load on little-endian).
#include <cstddef>
#include <cstdint>

#include "crc32c_internal.h"

namespace stemedb {
namespace {

// t[0] is the classic byte-at-a-time table; t[k][b] is the effect of byte b
// followed by k zero bytes, so 8 bytes can be folded with 8 independent
// lookups instead of 8 dependent ones.
struct Slice8Tables {
  uint32_t t[8][256];
  constexpr Slice8Tables() : t() {
    for (uint32_t b = 0; b < 256; b++) {
      uint32_t r = b;
      for (int i = 0; i < 8; i++) r = crc32c_detail::gf_mulx(r);
      t[0][b] = r;
    }
    for (int k = 1; k < 8; k++)
      for (uint32_t b = 0; b < 256; b++) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  }
};

// Not constexpr on purpose: see shift_table() in crc32c_internal.h.
const Slice8Tables& tables() {
  static const Slice8Tables t{};
  return t;
}

inline uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

uint32_t crc32c_portable(uint32_t crc, const uint8_t* p, size_t n) {
  const auto& t = tables().t;
  uint32_t c = ~crc;  // finished -> raw register
  // Byte steps until 8-aligned: aligned loads are cheaper on strict targets.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7u) != 0) {
    c = (c >> 8) ^ t[0][(c ^ *p++) & 0xFFu];
    n--;
  }
  while (n >= 8) {
    uint32_t lo = load_le32(p) ^ c;
    uint32_t hi = load_le32(p + 4);
    c = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFFu] ^ t[2][(hi >> 8) & 0xFFu] ^ t[1][(hi >> 16) & 0xFFu] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = (c >> 8) ^ t[0][(c ^ *p++) & 0xFFu];
    n--;
  }
  return ~c;
}

}  // namespace stemedb
