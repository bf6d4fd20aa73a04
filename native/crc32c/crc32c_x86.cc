// x86-64 CRC32C with the SSE4.2 crc32 instruction.
//
// One crc32 chain is latency-bound (3 cycles per 8 bytes on current cores,
// but 1 per cycle throughput), so long inputs are cut into three equal
// stretches whose chains run interleaved; the three partial CRCs are then
// merged with carry-less multiplication (PCLMULQDQ) by x^n mod P, which
// moves a CRC state past n further bits of message.
#include "crc32c_internal.h"

#if defined(STEMEDB_CRC_X86)

#include <cstring>

namespace stemedb {
namespace crc32c_detail {
namespace {

STEMEDB_INLINE uint64_t load64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// CRC of 3*m words starting at p, continuing register `raw`.
// Stretches A, B, C run side by side; A continues `raw`, B and C start at 0.
// Result = A*x^(128m) + B*x^(64m) + C. The last word of C is held back so
// the shifted A and B (computed as 64-bit clmul products, which the crc32
// instruction then multiplies by x^32 and reduces) fold into it for free.
STEMEDB_TARGET_SSE42 STEMEDB_INLINE uint32_t chunk3(uint32_t raw, const uint8_t* p, size_t m) {
  const uint8_t* a = p;
  const uint8_t* b = p + 8 * m;
  const uint8_t* c = p + 16 * m;
  uint64_t ca = raw, cb = 0, cc = 0;
  for (size_t i = 0; i < m - 1; i++) {
    ca = _mm_crc32_u64(ca, load64(a + 8 * i));
    cb = _mm_crc32_u64(cb, load64(b + 8 * i));
    cc = _mm_crc32_u64(cc, load64(c + 8 * i));
  }
  ca = _mm_crc32_u64(ca, load64(a + 8 * (m - 1)));
  cb = _mm_crc32_u64(cb, load64(b + 8 * (m - 1)));
  const ShiftTable& t = shift_table();
  __m128i pa = _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(ca)),
                                    _mm_cvtsi32_si128(static_cast<int>(t.k[2 * m])), 0);
  __m128i pb = _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(cb)),
                                    _mm_cvtsi32_si128(static_cast<int>(t.k[m])), 0);
  uint64_t shifted = static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_xor_si128(pa, pb)));
  return static_cast<uint32_t>(_mm_crc32_u64(cc, load64(c + 8 * (m - 1)) ^ shifted));
}

}  // namespace

STEMEDB_TARGET_SSE42 uint32_t sse42_3way_raw(uint32_t raw, const uint8_t* p, size_t n) {
  static_assert(kThreeWayMin >= 24, "chunk3 needs at least one word per stretch");
  while (n >= 24 * kMaxWords) {
    raw = chunk3(raw, p, kMaxWords);
    p += 24 * kMaxWords;
    n -= 24 * kMaxWords;
  }
  // One chunk sized to the rest, so at most 23 bytes go through one chain.
  if (n >= kThreeWayMin) {
    size_t m = n / 24;
    raw = chunk3(raw, p, m);
    p += 24 * m;
    n -= 24 * m;
  }
  return sse42_chain(raw, p, n);
}

STEMEDB_TARGET_SSE42 uint32_t crc32c_sse42_3way(uint32_t crc, const uint8_t* p, size_t n) {
  if (n < kThreeWayMin) return ~sse42_chain(~crc, p, n);
  return ~sse42_3way_raw(~crc, p, n);
}

// For the rare CPU with SSE4.2 but no PCLMULQDQ: one chain throughout.
STEMEDB_TARGET("sse4.2" STEMEDB_ISA_CRC32)
uint32_t crc32c_sse42_1way(uint32_t crc, const uint8_t* p, size_t n) {
  return ~sse42_chain(~crc, p, n);
}

}  // namespace crc32c_detail
}  // namespace stemedb

#endif  // STEMEDB_CRC_X86
