// SSE4.1 kernels: a row-wise single-block compression (latency path: short messages, the
// chunk being filled, parent merges, extended output) and the 4-way lanes kernel.
#include "blake3_impl.h"

#if defined(STEMEDB_B3_X86)
#include <immintrin.h>

#define B3_SSE41 B3_TARGET("sse4.1")

namespace stemedb {
namespace blake3 {
namespace detail {
namespace {

B3_SSE41 B3_INLINE __m128i add(__m128i a, __m128i b) { return _mm_add_epi32(a, b); }
B3_SSE41 B3_INLINE __m128i xor_(__m128i a, __m128i b) { return _mm_xor_si128(a, b); }
// 16- and 8-bit rotations are byte shuffles (one instruction); 12 and 7 need two shifts.
B3_SSE41 B3_INLINE __m128i rot16(__m128i x) {
  return _mm_shuffle_epi8(x, _mm_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}
B3_SSE41 B3_INLINE __m128i rot8(__m128i x) {
  return _mm_shuffle_epi8(x, _mm_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12));
}
B3_SSE41 B3_INLINE __m128i rot12(__m128i x) {
  return _mm_or_si128(_mm_srli_epi32(x, 12), _mm_slli_epi32(x, 20));
}
B3_SSE41 B3_INLINE __m128i rot7(__m128i x) {
  return _mm_or_si128(_mm_srli_epi32(x, 7), _mm_slli_epi32(x, 25));
}

B3_SSE41 B3_INLINE void g(__m128i& a, __m128i& b, __m128i& c, __m128i& d, __m128i mx, __m128i my) {
  a = add(add(a, mx), b);  // a + mx does not wait for b: shorter dependency chain
  d = rot16(xor_(d, a));
  c = add(c, d);
  b = rot12(xor_(b, c));
  a = add(add(a, my), b);
  d = rot8(xor_(d, a));
  c = add(c, d);
  b = rot7(xor_(b, c));
}

// ---- Row-wise single block: state rows a=v0..3, b=v4..7, c=v8..11, d=v12..15. ----------
// For the diagonal step rows a, c and d are rotated and b stays put: b is the value the
// next quarter-round waits for, so its row never pays for a shuffle on the critical path.
// Lane i of the diagonal step then computes diagonal (i + 3) % 4.
template <int R>
B3_SSE41 B3_INLINE void round_rows(__m128i& a, __m128i& b, __m128i& c, __m128i& d,
                                   const uint32_t* m) {
  constexpr const uint8_t* s = kSched.s[R];
  g(a, b, c, d, _mm_setr_epi32(m[s[0]], m[s[2]], m[s[4]], m[s[6]]),
    _mm_setr_epi32(m[s[1]], m[s[3]], m[s[5]], m[s[7]]));
  a = _mm_shuffle_epi32(a, _MM_SHUFFLE(2, 1, 0, 3));
  c = _mm_shuffle_epi32(c, _MM_SHUFFLE(0, 3, 2, 1));
  d = _mm_shuffle_epi32(d, _MM_SHUFFLE(1, 0, 3, 2));
  g(a, b, c, d, _mm_setr_epi32(m[s[14]], m[s[8]], m[s[10]], m[s[12]]),
    _mm_setr_epi32(m[s[15]], m[s[9]], m[s[11]], m[s[13]]));
  a = _mm_shuffle_epi32(a, _MM_SHUFFLE(0, 3, 2, 1));
  c = _mm_shuffle_epi32(c, _MM_SHUFFLE(2, 1, 0, 3));
  d = _mm_shuffle_epi32(d, _MM_SHUFFLE(1, 0, 3, 2));
}

B3_SSE41 B3_INLINE void compress_rows(const uint32_t cv[8], const uint8_t block[64],
                                      uint32_t block_len, uint64_t counter, uint32_t flags,
                                      __m128i& a, __m128i& b, __m128i& c, __m128i& d) {
  uint32_t m[16];
  std::memcpy(m, block, 64);  // x86 is little-endian
  a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cv));
  b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cv + 4));
  c = _mm_setr_epi32(int(kIV[0]), int(kIV[1]), int(kIV[2]), int(kIV[3]));
  d = _mm_setr_epi32(int(uint32_t(counter)), int(uint32_t(counter >> 32)), int(block_len),
                     int(flags));
  round_rows<0>(a, b, c, d, m);
  round_rows<1>(a, b, c, d, m);
  round_rows<2>(a, b, c, d, m);
  round_rows<3>(a, b, c, d, m);
  round_rows<4>(a, b, c, d, m);
  round_rows<5>(a, b, c, d, m);
  round_rows<6>(a, b, c, d, m);
}

// ---- Transposed lanes: vector v[i] holds state word i of 4 independent lanes. ----------
template <int R>
B3_SSE41 B3_INLINE void round_lanes(__m128i* v, const __m128i* m) {
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

// 4x4 transpose of 32-bit words: row i -> lane i of every output.
B3_SSE41 B3_INLINE void transpose4(__m128i& r0, __m128i& r1, __m128i& r2, __m128i& r3) {
  __m128i t0 = _mm_unpacklo_epi32(r0, r1), t1 = _mm_unpackhi_epi32(r0, r1);
  __m128i t2 = _mm_unpacklo_epi32(r2, r3), t3 = _mm_unpackhi_epi32(r2, r3);
  r0 = _mm_unpacklo_epi64(t0, t2);
  r1 = _mm_unpackhi_epi64(t0, t2);
  r2 = _mm_unpacklo_epi64(t1, t3);
  r3 = _mm_unpackhi_epi64(t1, t3);
}

B3_SSE41 B3_INLINE __m128i loadu(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

}  // namespace

B3_SSE41 void compress_sse41(uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                             uint64_t counter, uint32_t flags) {
  __m128i a, b, c, d;
  compress_rows(cv, block, block_len, counter, flags, a, b, c, d);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(cv), xor_(a, c));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(cv + 4), xor_(b, d));
}

B3_SSE41 void xof_sse41(const uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                        uint64_t counter, uint32_t flags, uint8_t out[64]) {
  __m128i a, b, c, d;
  compress_rows(cv, block, block_len, counter, flags, a, b, c, d);
  __m128i* o = reinterpret_cast<__m128i*>(out);
  _mm_storeu_si128(o, xor_(a, c));
  _mm_storeu_si128(o + 1, xor_(b, d));
  _mm_storeu_si128(o + 2, xor_(c, loadu(cv)));
  _mm_storeu_si128(o + 3, xor_(d, loadu(cv + 4)));
}

B3_SSE41 void lanes_sse41(const Lanes& l, uint8_t* out) {
  __m128i cv[8];
  for (int i = 0; i < 8; i++) cv[i] = _mm_set1_epi32(int(l.key[i]));
  const __m128i ctr_lo = loadu(l.ctr_lo), ctr_hi = loadu(l.ctr_hi);
  const __m128i last_len = loadu(l.last_len);
  for (size_t blk = 0; blk < l.nblocks; blk++) {
    const bool last = blk + 1 == l.nblocks;
    const uint8_t* p[4];
    for (int i = 0; i < 4; i++) p[i] = last ? l.last[i] : l.in[i] + 64 * blk;
    __m128i m[16];
    for (int q = 0; q < 4; q++) {
      m[4 * q + 0] = loadu(p[0] + 16 * q);
      m[4 * q + 1] = loadu(p[1] + 16 * q);
      m[4 * q + 2] = loadu(p[2] + 16 * q);
      m[4 * q + 3] = loadu(p[3] + 16 * q);
      transpose4(m[4 * q + 0], m[4 * q + 1], m[4 * q + 2], m[4 * q + 3]);
    }
    const uint32_t flags = l.flags | (blk == 0 ? l.flags_start : 0);
    // The last block adds each lane's own end flags (CHUNK_END, ROOT).
    __m128i flags_v = _mm_set1_epi32(int(flags));
    if (last) flags_v = _mm_or_si128(flags_v, loadu(l.flags_end));
    __m128i v[16] = {cv[0],
                     cv[1],
                     cv[2],
                     cv[3],
                     cv[4],
                     cv[5],
                     cv[6],
                     cv[7],
                     _mm_set1_epi32(int(kIV[0])),
                     _mm_set1_epi32(int(kIV[1])),
                     _mm_set1_epi32(int(kIV[2])),
                     _mm_set1_epi32(int(kIV[3])),
                     ctr_lo,
                     ctr_hi,
                     last ? last_len : _mm_set1_epi32(64),
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
  // Back to one 32-byte chaining value per lane.
  transpose4(cv[0], cv[1], cv[2], cv[3]);
  transpose4(cv[4], cv[5], cv[6], cv[7]);
  for (int i = 0; i < 4; i++) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 32 * i), cv[i]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 32 * i + 16), cv[4 + i]);
  }
}

}  // namespace detail
}  // namespace blake3
}  // namespace stemedb

#endif  // STEMEDB_B3_X86
