// AVX2 8-way lanes kernel: vector v[i] holds state word i of 8 independent lanes (chunks,
// parents or short messages), each with its own counter and final block length.
#include "blake3_impl.h"

#if defined(STEMEDB_B3_X86)
#include <immintrin.h>

#define B3_AVX2 B3_TARGET("avx2")

namespace stemedb {
namespace blake3 {
namespace detail {
namespace {

B3_AVX2 B3_INLINE __m256i add(__m256i a, __m256i b) { return _mm256_add_epi32(a, b); }
B3_AVX2 B3_INLINE __m256i xor_(__m256i a, __m256i b) { return _mm256_xor_si256(a, b); }
B3_AVX2 B3_INLINE __m256i rot16(__m256i x) {
  return _mm256_shuffle_epi8(
      x, _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4,
                          5, 10, 11, 8, 9, 14, 15, 12, 13));
}
B3_AVX2 B3_INLINE __m256i rot8(__m256i x) {
  return _mm256_shuffle_epi8(
      x, _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7,
                          4, 9, 10, 11, 8, 13, 14, 15, 12));
}
B3_AVX2 B3_INLINE __m256i rot12(__m256i x) {
  return _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20));
}
B3_AVX2 B3_INLINE __m256i rot7(__m256i x) {
  return _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25));
}

B3_AVX2 B3_INLINE void g(__m256i& a, __m256i& b, __m256i& c, __m256i& d, __m256i mx, __m256i my) {
  a = add(add(a, mx), b);
  d = rot16(xor_(d, a));
  c = add(c, d);
  b = rot12(xor_(b, c));
  a = add(add(a, my), b);
  d = rot8(xor_(d, a));
  c = add(c, d);
  b = rot7(xor_(b, c));
}

template <int R>
B3_AVX2 B3_INLINE void round_lanes(__m256i* v, const __m256i* m) {
  constexpr const uint8_t* s = kSched.s[R];
  g(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
  g(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
  g(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
  g(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
  g(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
  g(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
  g(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
  g(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
}

// 8x8 transpose of 32-bit words in three stages (32-bit, 64-bit, 128-bit interleaves).
B3_AVX2 B3_INLINE void transpose8(__m256i* r) {
  __m256i t[8], u[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // u[4g + e]: within each 128-bit half, element e of rows 4g..4g+3.
  for (int gr = 0; gr < 2; gr++) {
    u[4 * gr + 0] = _mm256_unpacklo_epi64(t[4 * gr + 0], t[4 * gr + 2]);
    u[4 * gr + 1] = _mm256_unpackhi_epi64(t[4 * gr + 0], t[4 * gr + 2]);
    u[4 * gr + 2] = _mm256_unpacklo_epi64(t[4 * gr + 1], t[4 * gr + 3]);
    u[4 * gr + 3] = _mm256_unpackhi_epi64(t[4 * gr + 1], t[4 * gr + 3]);
  }
  for (int e = 0; e < 4; e++) {
    r[e] = _mm256_permute2x128_si256(u[e], u[4 + e], 0x20);
    r[4 + e] = _mm256_permute2x128_si256(u[e], u[4 + e], 0x31);
  }
}

B3_AVX2 B3_INLINE __m256i loadu(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

}  // namespace

B3_AVX2 void lanes_avx2(const Lanes& l, uint8_t* out) {
  __m256i cv[8];
  for (int i = 0; i < 8; i++) cv[i] = _mm256_set1_epi32(int(l.key[i]));
  const __m256i ctr_lo = loadu(l.ctr_lo), ctr_hi = loadu(l.ctr_hi);
  const __m256i last_len = loadu(l.last_len);
  for (size_t blk = 0; blk < l.nblocks; blk++) {
    const bool last = blk + 1 == l.nblocks;
    __m256i m[16];
    for (int i = 0; i < 8; i++) {
      const uint8_t* p = last ? l.last[i] : l.in[i] + 64 * blk;
      m[i] = loadu(p);
      m[8 + i] = loadu(p + 32);
    }
    transpose8(m);
    transpose8(m + 8);
    const uint32_t flags = l.flags | (blk == 0 ? l.flags_start : 0);
    // The last block adds each lane's own end flags (CHUNK_END, ROOT).
    __m256i flags_v = _mm256_set1_epi32(int(flags));
    if (last) flags_v = _mm256_or_si256(flags_v, loadu(l.flags_end));
    __m256i v[16] = {cv[0],
                     cv[1],
                     cv[2],
                     cv[3],
                     cv[4],
                     cv[5],
                     cv[6],
                     cv[7],
                     _mm256_set1_epi32(int(kIV[0])),
                     _mm256_set1_epi32(int(kIV[1])),
                     _mm256_set1_epi32(int(kIV[2])),
                     _mm256_set1_epi32(int(kIV[3])),
                     ctr_lo,
                     ctr_hi,
                     last ? last_len : _mm256_set1_epi32(64),
                     flags_v};
    round_lanes<0>(v, m);
    round_lanes<1>(v, m);
    round_lanes<2>(v, m);
    round_lanes<3>(v, m);
    round_lanes<4>(v, m);
    round_lanes<5>(v, m);
    round_lanes<6>(v, m);
    for (int i = 0; i < 8; i++) cv[i] = xor_(v[i], v[i + 8]);
  }
  transpose8(cv);  // cv[i] is now lane i's chaining value
  for (int i = 0; i < 8; i++) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * i), cv[i]);
}

}  // namespace detail
}  // namespace blake3
}  // namespace stemedb

#endif  // STEMEDB_B3_X86
