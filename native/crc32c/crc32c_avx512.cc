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
// forward by 2048 bits per step; at the end every lane of every accumulator
// and of the last few 64-byte blocks is moved straight onto the final lane
// (independent multiplies, no serial chain), and two crc32 instructions
// reduce those 128 bits mod P. The < 64-byte tail is CRCed from state 0 on
// the integer side meanwhile; the folded lane is moved past it by one more
// multiply and the two CRCs are XORed (CRC is linear).
#include "crc32c_internal.h"

#if defined(STEMEDB_CRC_X86)

#include <cstring>

// GCC 12's AVX-512 headers build results from a self-initialised "undefined"
// vector, which trips -Wmaybe-uninitialized once inlined (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace stemedb {
namespace crc32c_detail {
namespace {

// Multiplier pair for a move by D bits, for the low and high qword.
constexpr uint32_t k_lo(long long d) { return gf_xpow(d + 31); }
constexpr uint32_t k_hi(long long d) { return gf_xpow(d - 33); }

// All multiplier pairs {x^(D+31), x^(D-33)} the folding needs, generated
// by stepping D rather than exponentiating each one, to stay cheap at
// compile time.
struct AvxConsts {
  // Moves every lane of a block by 2048 bits (the 4-accumulator stride).
  alignas(64) uint64_t step[8];
  // lanes[d]: per-lane pairs moving a 64-byte block d blocks forward and onto
  // the last lane of that block, i.e. lane L by 512*d + 128*(3-L) bits
  // (d = 0, L = 3 is a move by 0: x^-33 is fine, x is invertible mod P).
  alignas(64) uint64_t lanes[7][8];
  // tail[t]: moves a lane past t more bytes (8t bits).
  alignas(16) uint64_t tail[64][2];

  constexpr AvxConsts() : step(), lanes(), tail() {
    const uint32_t x8 = gf_xpow(8), x128 = gf_xpow(128);
    uint32_t lo = k_lo(0), hi = k_hi(0);
    for (int t = 0; t < 64; t++, lo = gf_mul(lo, x8), hi = gf_mul(hi, x8)) {
      tail[t][0] = lo;
      tail[t][1] = hi;
    }
    lo = k_lo(0);
    hi = k_hi(0);
    for (int q = 0; q <= 27; q++, lo = gf_mul(lo, x128), hi = gf_mul(hi, x128)) {
      const int d = q / 4, lane = 3 - q % 4;  // q = D / 128 = 4d + (3 - lane)
      lanes[d][2 * lane] = lo;
      lanes[d][2 * lane + 1] = hi;
    }
    const uint32_t slo = k_lo(2048), shi = k_hi(2048);
    for (int i = 0; i < 4; i++) {
      step[2 * i] = slo;
      step[2 * i + 1] = shi;
    }
  }
};

// Not constexpr on purpose: see shift_table() in crc32c_internal.h.
const AvxConsts& avx_consts() {
  static const AvxConsts c{};
  return c;
}

STEMEDB_TARGET_AVX512 STEMEDB_INLINE __m512i load512(const void* p) {
  return _mm512_loadu_si512(p);
}

// x moved by the constant's distances, XOR `acc` (0x96 = a^b^c).
STEMEDB_TARGET_AVX512 STEMEDB_INLINE __m512i fold(__m512i x, __m512i k, __m512i acc) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
                                   _mm512_clmulepi64_epi128(x, k, 0x11), acc, 0x96);
}

STEMEDB_TARGET_AVX512 STEMEDB_INLINE __m512i lane_const(const AvxConsts& k, size_t d) {
  return _mm512_load_si512(static_cast<const void*>(k.lanes[d]));
}

// Requires n >= 64.
STEMEDB_TARGET_AVX512 uint32_t avx512_raw(uint32_t raw, const uint8_t* p, size_t n) {
  const size_t tail = n & 63;
  size_t blocks = n >> 6;
  // Independent of the folding below, so the two overlap.
  const uint32_t tail_crc = sse42_chain(0, p + (blocks << 6), tail);
  const AvxConsts& K = avx_consts();

  // The register state is XORed into the first 32 message bits.
  const __m512i init =
      _mm512_inserti32x4(_mm512_setzero_si512(), _mm_cvtsi32_si128(static_cast<int>(raw)), 0);
  __m512i acc = _mm512_setzero_si512();
  size_t left;  // whole blocks still to merge after `acc`
  if (blocks >= 4) {
    __m512i x0 = _mm512_xor_si512(load512(p), init);
    __m512i x1 = load512(p + 64);
    __m512i x2 = load512(p + 128);
    __m512i x3 = load512(p + 192);
    p += 256;
    blocks -= 4;
    const __m512i k = _mm512_load_si512(static_cast<const void*>(K.step));
    while (blocks >= 4) {  // four independent chains hide the clmul latency
      x0 = fold(x0, k, load512(p));
      x1 = fold(x1, k, load512(p + 64));
      x2 = fold(x2, k, load512(p + 128));
      x3 = fold(x3, k, load512(p + 192));
      p += 256;
      blocks -= 4;
    }
    left = blocks;
    acc = fold(x0, lane_const(K, left + 3), fold(x1, lane_const(K, left + 2), acc));
    acc = fold(x2, lane_const(K, left + 1), fold(x3, lane_const(K, left), acc));
  } else {
    left = blocks - 1;
    acc = fold(_mm512_xor_si512(load512(p), init), lane_const(K, left), acc);
    p += 64;
  }
  for (; left > 0; left--, p += 64) acc = fold(load512(p), lane_const(K, left - 1), acc);

  // All sixteen products now sit on the last lane's position: XOR lanes.
  __m256i h = _mm256_xor_si256(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
  __m128i a = _mm_xor_si128(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));

  if (tail != 0) {  // move the lane past the tail, whose CRC is added below
    const __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(K.tail[tail]));
    a = _mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x00), _mm_clmulepi64_si128(a, k, 0x11));
  }
  // crc32 over the 16 lane bytes from state 0 is lane*x^32 mod P: the CRC
  // of everything before the tail, moved past it. The tail's CRC from state
  // 0 is added by linearity.
  uint64_t c = _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(a)));
  c = _mm_crc32_u64(c, static_cast<uint64_t>(_mm_extract_epi64(a, 1)));
  return static_cast<uint32_t>(c) ^ tail_crc;
}

}  // namespace

STEMEDB_TARGET_AVX512 uint32_t crc32c_avx512(uint32_t crc, const uint8_t* p, size_t n) {
  static_assert(kAvx512Min >= 64, "avx512_raw needs one whole block");
  if (n < kThreeWayMin) return ~sse42_chain(~crc, p, n);
  if (n < kAvx512Min) return ~sse42_3way_raw(~crc, p, n);
  return ~avx512_raw(~crc, p, n);
}

}  // namespace crc32c_detail
}  // namespace stemedb

#endif  // STEMEDB_CRC_X86
