// x86-64 CRC32C for long buffers by folding with AVX-512 VPCLMULQDQ.
//
// Reflected bit order: a 128-bit lane loaded little-endian holds message bits
// with bit k standing for x^(127-k) relative to the lane's end, so the low
// qword L is the high-degree half: lane = L*x^64 + H (H = high qword).
// Moving a lane D bits further along the message means multiplying by x^D:
//   L*x^(D+64) + H*x^D  ==  clmul(L, x^(D+31) mod P) + clmul(H, x^(D-33) mod P)
// (a clmul of 64-bit reflected operands is a*b*x, and a 32-bit constant in
// the low half of a qword is the remainder times x^32). Each product is < 128
// bits, so the XOR of the two is again one lane, congruent mod P to the
// original moved by D. Four 512-bit accumulators (16 lanes, 256 bytes) fold
// forward by 2048 bits per step; at the end all lanes are folded onto the
// last one and two crc32 instructions reduce those 128 bits mod P.
#include "crc32c_internal.h"

#if defined(STEMEDB_CRC_X86)

#include <cstring>

namespace stemedb {
namespace crc32c_detail {
namespace {

// Multiplier pair for a move by D bits, for the low and high qword.
constexpr uint32_t k_lo(long long d) { return gf_xpow(d + 31); }
constexpr uint32_t k_hi(long long d) { return gf_xpow(d - 33); }

// The pair repeated in all four lanes, as a constant in memory. A template
// so the values are forced to compile time (the optimiser need not fold
// gf_xpow's loops on its own).
template <long long D>
struct FoldConst {
  alignas(64) static constexpr uint64_t v[8] = {k_lo(D), k_hi(D), k_lo(D), k_hi(D),
                                                k_lo(D), k_hi(D), k_lo(D), k_hi(D)};
};

template <long long D>
STEMEDB_TARGET_AVX512 STEMEDB_INLINE __m512i fold_const() {
  return _mm512_load_si512(static_cast<const void*>(FoldConst<D>::v));
}

// Per-lane pairs moving lanes 0..3 by 384, 256, 128, 0 bits onto the last
// lane (x^-33 for the last one is fine: x is invertible mod P).
alignas(64) constexpr uint64_t kLastLane[8] = {k_lo(384), k_hi(384), k_lo(256), k_hi(256),
                                               k_lo(128), k_hi(128), k_lo(0),   k_hi(0)};

// x moved forward by the constant's distance, XOR `data` (0x96 = a^b^c).
STEMEDB_TARGET_AVX512 STEMEDB_INLINE __m512i fold(__m512i x, __m512i k, __m512i data) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
                                   _mm512_clmulepi64_epi128(x, k, 0x11), data, 0x96);
}

STEMEDB_TARGET_AVX512 STEMEDB_INLINE __m512i load512(const uint8_t* p) {
  return _mm512_loadu_si512(static_cast<const void*>(p));
}

// Requires n >= 256.
STEMEDB_TARGET_AVX512 uint32_t avx512_raw(uint32_t raw, const uint8_t* p, size_t n) {
  // The register state is XORed into the first 32 message bits.
  __m512i x0 = _mm512_xor_si512(
      load512(p), _mm512_inserti32x4(_mm512_setzero_si512(),
                                     _mm_cvtsi32_si128(static_cast<int>(raw)), 0));
  __m512i x1 = load512(p + 64);
  __m512i x2 = load512(p + 128);
  __m512i x3 = load512(p + 192);
  p += 256;
  n -= 256;

  const __m512i k2048 = fold_const<2048>();
  while (n >= 256) {  // four independent chains hide the clmul latency
    x0 = fold(x0, k2048, load512(p));
    x1 = fold(x1, k2048, load512(p + 64));
    x2 = fold(x2, k2048, load512(p + 128));
    x3 = fold(x3, k2048, load512(p + 192));
    p += 256;
    n -= 256;
  }

  // Merge the four accumulators onto x3's position, then 64 bytes a step.
  const __m512i k512 = fold_const<512>();
  __m512i x = fold(x0, fold_const<1536>(), fold(x1, fold_const<1024>(), fold(x2, k512, x3)));
  while (n >= 64) {
    x = fold(x, k512, load512(p));
    p += 64;
    n -= 64;
  }

  // Fold all four lanes onto the last one, then XOR them together.
  const __m512i kl = _mm512_load_si512(static_cast<const void*>(kLastLane));
  __m512i y = _mm512_xor_si512(_mm512_clmulepi64_epi128(x, kl, 0x00),
                               _mm512_clmulepi64_epi128(x, kl, 0x11));
  // Lane shuffles rather than 256/128-bit extracts: GCC 12's extract
  // intrinsics raise spurious -Wmaybe-uninitialized warnings.
  y = _mm512_xor_si512(y, _mm512_shuffle_i64x2(y, y, 0x4E));  // + lanes 2,3,0,1
  y = _mm512_xor_si512(y, _mm512_shuffle_i64x2(y, y, 0xB1));  // + lanes 1,0,3,2
  __m128i a = _mm512_castsi512_si128(y);

  // crc32 over the 16 lane bytes from state 0 is lane*x^32 mod P: the CRC.
  uint64_t c = _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(a)));
  c = _mm_crc32_u64(c, static_cast<uint64_t>(_mm_extract_epi64(a, 1)));
  return sse42_chain(static_cast<uint32_t>(c), p, n);  // < 64 bytes left
}

}  // namespace

STEMEDB_TARGET_AVX512 uint32_t crc32c_avx512(uint32_t crc, const uint8_t* p, size_t n) {
  static_assert(kAvx512Min >= 256, "avx512_raw needs four full lanes to start");
  if (n < kThreeWayMin) return ~sse42_chain(~crc, p, n);
  if (n < kAvx512Min) return ~sse42_3way_raw(~crc, p, n);
  return ~avx512_raw(~crc, p, n);
}

}  // namespace crc32c_detail
}  // namespace stemedb

#endif  // STEMEDB_CRC_X86
