// NEON 4-way lanes kernel for arm64 (spec section 2.2, four independent compressions side
// by side, one 32-bit state word of each lane per vector). Single-block compressions stay
// on the portable code: a 4x4 row-wise NEON round gains little without SSE's cheap
// shuffles. Little-endian only: vld1q loads the message words in memory order.
#include "blake3_impl.h"

#if defined(__aarch64__) && !defined(__ARM_BIG_ENDIAN)
#include <arm_neon.h>

namespace stemedb {
namespace blake3 {
namespace detail {
namespace {

inline uint32x4_t add(uint32x4_t a, uint32x4_t b) { return vaddq_u32(a, b); }
inline uint32x4_t xor_(uint32x4_t a, uint32x4_t b) { return veorq_u32(a, b); }
// Right rotations: 16 swaps the halfwords of each word; the others shift left, then
// shift-right-and-insert (SRI) the remaining bits.
inline uint32x4_t rot16(uint32x4_t x) {
  return vreinterpretq_u32_u16(vrev32q_u16(vreinterpretq_u16_u32(x)));
}
inline uint32x4_t rot12(uint32x4_t x) { return vsriq_n_u32(vshlq_n_u32(x, 20), x, 12); }
inline uint32x4_t rot8(uint32x4_t x) { return vsriq_n_u32(vshlq_n_u32(x, 24), x, 8); }
inline uint32x4_t rot7(uint32x4_t x) { return vsriq_n_u32(vshlq_n_u32(x, 25), x, 7); }

inline void g(uint32x4_t& a, uint32x4_t& b, uint32x4_t& c, uint32x4_t& d, uint32x4_t mx,
              uint32x4_t my) {
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
inline void round_lanes(uint32x4_t* v, const uint32x4_t* m) {
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
inline void transpose4(uint32x4_t& r0, uint32x4_t& r1, uint32x4_t& r2, uint32x4_t& r3) {
  const uint32x4x2_t t01 =
      vtrnq_u32(r0, r1);  // {r0[0] r1[0] r0[2] r1[2]}, {r0[1] r1[1] r0[3] r1[3]}
  const uint32x4x2_t t23 = vtrnq_u32(r2, r3);
  r0 = vcombine_u32(vget_low_u32(t01.val[0]), vget_low_u32(t23.val[0]));
  r1 = vcombine_u32(vget_low_u32(t01.val[1]), vget_low_u32(t23.val[1]));
  r2 = vcombine_u32(vget_high_u32(t01.val[0]), vget_high_u32(t23.val[0]));
  r3 = vcombine_u32(vget_high_u32(t01.val[1]), vget_high_u32(t23.val[1]));
}

// Byte loads: the inputs are not 4-byte aligned in general.
inline uint32x4_t loadu(const uint8_t* p) { return vreinterpretq_u32_u8(vld1q_u8(p)); }
inline void storeu(uint8_t* p, uint32x4_t x) { vst1q_u8(p, vreinterpretq_u8_u32(x)); }

}  // namespace

void lanes_neon(const Lanes& l, uint8_t* out) {
  uint32x4_t cv[8];
  for (int i = 0; i < 8; i++) cv[i] = vdupq_n_u32(l.key[i]);
  const uint32x4_t ctr_lo = vld1q_u32(l.ctr_lo), ctr_hi = vld1q_u32(l.ctr_hi);
  const uint32x4_t last_len = vld1q_u32(l.last_len);
  for (size_t blk = 0; blk < l.nblocks; blk++) {
    const bool last = blk + 1 == l.nblocks;
    const uint8_t* p[4];
    for (int i = 0; i < 4; i++) p[i] = last ? l.last[i] : l.in[i] + 64 * blk;
    uint32x4_t m[16];
    for (int q = 0; q < 4; q++) {
      for (int i = 0; i < 4; i++) m[4 * q + i] = loadu(p[i] + 16 * q);
      transpose4(m[4 * q + 0], m[4 * q + 1], m[4 * q + 2], m[4 * q + 3]);
    }
    const uint32_t flags = l.flags | (blk == 0 ? l.flags_start : 0);
    uint32x4_t flags_v = vdupq_n_u32(flags);
    if (last) flags_v = vorrq_u32(flags_v, vld1q_u32(l.flags_end));  // CHUNK_END, ROOT per lane
    uint32x4_t v[16] = {cv[0],
                        cv[1],
                        cv[2],
                        cv[3],
                        cv[4],
                        cv[5],
                        cv[6],
                        cv[7],
                        vdupq_n_u32(kIV[0]),
                        vdupq_n_u32(kIV[1]),
                        vdupq_n_u32(kIV[2]),
                        vdupq_n_u32(kIV[3]),
                        ctr_lo,
                        ctr_hi,
                        last ? last_len : vdupq_n_u32(64),
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
    storeu(out + 32 * i, cv[i]);
    storeu(out + 32 * i + 16, cv[4 + i]);
  }
}

}  // namespace detail
}  // namespace blake3
}  // namespace stemedb

#endif  // __aarch64__ && !__ARM_BIG_ENDIAN
