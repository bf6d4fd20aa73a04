// Portable BLAKE3 compression (spec section 2.2). This is the reference every SIMD path is
// tested against, and the only compression on non-x86 targets.
#include "blake3_impl.h"

namespace stemedb {
namespace blake3 {
namespace detail {
namespace {

inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// The quarter-round "G" mixes one column or diagonal of the 4x4 state.
inline void g(uint32_t* v, int a, int b, int c, int d, uint32_t mx, uint32_t my) {
  v[a] = v[a] + v[b] + mx;
  v[d] = rotr(v[d] ^ v[a], 16);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 12);
  v[a] = v[a] + v[b] + my;
  v[d] = rotr(v[d] ^ v[a], 8);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 7);
}

// Seven rounds of columns then diagonals; message words come via the schedule table, so
// with the loops unrolled every index is a constant and v/m live in registers.
inline void rounds(uint32_t* v, const uint32_t* m) {
  for (int r = 0; r < 7; r++) {
    const uint8_t* s = kSched.s[r];
    g(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
    g(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
    g(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
    g(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
    g(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
    g(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
    g(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
    g(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
}

inline void init_state(uint32_t* v, const uint32_t cv[8], uint32_t block_len, uint64_t counter,
                       uint32_t flags) {
  for (int i = 0; i < 8; i++) v[i] = cv[i];
  for (int i = 0; i < 4; i++) v[8 + i] = kIV[i];
  v[12] = static_cast<uint32_t>(counter);
  v[13] = static_cast<uint32_t>(counter >> 32);
  v[14] = block_len;
  v[15] = flags;
}

}  // namespace

void compress_portable(uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                       uint64_t counter, uint32_t flags) {
  uint32_t m[16], v[16];
  words_from_bytes(block, m, 16);
  init_state(v, cv, block_len, counter, flags);
  rounds(v, m);
  for (int i = 0; i < 8; i++) cv[i] = v[i] ^ v[i + 8];
}

void xof_portable(const uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                  uint64_t counter, uint32_t flags, uint8_t out[64]) {
  uint32_t m[16], v[16];
  words_from_bytes(block, m, 16);
  init_state(v, cv, block_len, counter, flags);
  rounds(v, m);
  for (int i = 0; i < 8; i++) {
    store32(out + 4 * i, v[i] ^ v[i + 8]);
    store32(out + 32 + 4 * i, v[i + 8] ^ cv[i]);
  }
}

}  // namespace detail
}  // namespace blake3
}  // namespace stemedb
