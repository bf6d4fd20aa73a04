// aarch64 CRC32C with the ARMv8 CRC32 extension (crc32cx & co).
//
// Same scheme as the x86 path: one chain for short inputs; with PMULL, long
// inputs run three interleaved chains merged by carry-less multiplication
// by x^n mod P (see chunk3 in crc32c_x86.cc and shift_const). The ISA is
// enabled per function, so this builds with the default -march.
#include "crc32c_internal.h"

#if defined(STEMEDB_CRC_ARM64)

#include <arm_neon.h>

#include <cstring>
// The builtins are used rather than <arm_acle.h>'s __crc32cd because older
// compilers' arm_acle.h hides those unless -march already has +crc.
#if defined(__clang__)
#define STEMEDB_ARM_CRC __attribute__((target("crc")))
#define STEMEDB_ARM_CRC_PMULL __attribute__((target("crc,aes")))
#define STEMEDB_CRC_U64(c, w) __builtin_arm_crc32cd((c), (w))
#define STEMEDB_CRC_U32(c, w) __builtin_arm_crc32cw((c), (w))
#define STEMEDB_CRC_U16(c, w) __builtin_arm_crc32ch((c), (w))
#define STEMEDB_CRC_U8(c, w) __builtin_arm_crc32cb((c), (w))
#else  // GCC
#define STEMEDB_ARM_CRC __attribute__((target("+crc")))
#define STEMEDB_ARM_CRC_PMULL __attribute__((target("+crc+crypto")))
#define STEMEDB_CRC_U64(c, w) __builtin_aarch64_crc32cx((c), (w))
#define STEMEDB_CRC_U32(c, w) __builtin_aarch64_crc32cw((c), (w))
#define STEMEDB_CRC_U16(c, w) __builtin_aarch64_crc32ch((c), (w))
#define STEMEDB_CRC_U8(c, w) __builtin_aarch64_crc32cb((c), (w))
#endif

namespace stemedb {
namespace crc32c_detail {
namespace {

STEMEDB_INLINE uint64_t load64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// One chain on the raw register; also the tail of the 3-way path.
STEMEDB_ARM_CRC STEMEDB_INLINE uint32_t arm_chain(uint32_t c, const uint8_t* p, size_t n) {
  while (n >= 8) {
    c = STEMEDB_CRC_U64(c, load64(p));
    p += 8;
    n -= 8;
  }
  if (n & 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    c = STEMEDB_CRC_U32(c, w);
    p += 4;
  }
  if (n & 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    c = STEMEDB_CRC_U16(c, w);
    p += 2;
  }
  if (n & 1) c = STEMEDB_CRC_U8(c, *p);
  return c;
}

// 3*m words from p: A continues `c`, B and C start at 0; A and B are moved
// past the later stretches by PMULL and merged into C's last word.
STEMEDB_ARM_CRC_PMULL STEMEDB_INLINE uint32_t arm_chunk3(uint32_t c, const uint8_t* p, size_t m) {
  const uint8_t* a = p;
  const uint8_t* b = p + 8 * m;
  const uint8_t* d = p + 16 * m;
  uint32_t ca = c, cb = 0, cd = 0;
  for (size_t i = 0; i < m - 1; i++) {
    ca = STEMEDB_CRC_U64(ca, load64(a + 8 * i));
    cb = STEMEDB_CRC_U64(cb, load64(b + 8 * i));
    cd = STEMEDB_CRC_U64(cd, load64(d + 8 * i));
  }
  ca = STEMEDB_CRC_U64(ca, load64(a + 8 * (m - 1)));
  cb = STEMEDB_CRC_U64(cb, load64(b + 8 * (m - 1)));
  // Products are < 64 bits (32 x 32), so only the low lane matters.
  const ShiftTable& t = shift_table();
  uint64_t pa = vgetq_lane_u64(vreinterpretq_u64_p128(vmull_p64(ca, t.k[2 * m])), 0);
  uint64_t pb = vgetq_lane_u64(vreinterpretq_u64_p128(vmull_p64(cb, t.k[m])), 0);
  return STEMEDB_CRC_U64(cd, load64(d + 8 * (m - 1)) ^ pa ^ pb);
}

}  // namespace

STEMEDB_ARM_CRC uint32_t crc32c_arm(uint32_t crc, const uint8_t* p, size_t n) {
  return ~arm_chain(~crc, p, n);
}

STEMEDB_ARM_CRC_PMULL uint32_t crc32c_arm_3way(uint32_t crc, const uint8_t* p, size_t n) {
  uint32_t c = ~crc;
  while (n >= 24 * kMaxWords) {
    c = arm_chunk3(c, p, kMaxWords);
    p += 24 * kMaxWords;
    n -= 24 * kMaxWords;
  }
  if (n >= kThreeWayMin) {  // one chunk sized to the rest
    size_t m = n / 24;
    c = arm_chunk3(c, p, m);
    p += 24 * m;
    n -= 24 * m;
  }
  return ~arm_chain(c, p, n);
}

}  // namespace crc32c_detail
}  // namespace stemedb

#endif  // STEMEDB_CRC_ARM64
