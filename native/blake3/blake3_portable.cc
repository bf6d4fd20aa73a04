// Portable BLAKE3 compression (spec section 2.2). This is the reference every SIMD path is
// tested against, and the only compression on non-x86 targets.
#include "blake3_impl.h"

namespace stemedb {
namespace blake3 {
namespace detail {
namespace {

inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// The state lives in sixteen named locals rather than an array: compilers then keep it in
// registers (an indexed array tends to be spilled), which about halves the time per block.
struct State {
  uint32_t v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15;
};

// The quarter-round "G" mixes one column or diagonal of the 4x4 state.
inline void g(uint32_t& a, uint32_t& b, uint32_t& c, uint32_t& d, uint32_t mx, uint32_t my) {
  a = a + b + mx;
  d = rotr(d ^ a, 16);
  c = c + d;
  b = rotr(b ^ c, 12);
  a = a + b + my;
  d = rotr(d ^ a, 8);
  c = c + d;
  b = rotr(b ^ c, 7);
}

// One round: columns, then diagonals. R is a template parameter so every message index is
// a compile-time constant.
template <int R>
inline void round_fn(State& x, const uint32_t* m) {
  constexpr const uint8_t* s = kSched.s[R];
  g(x.v0, x.v4, x.v8, x.v12, m[s[0]], m[s[1]]);
  g(x.v1, x.v5, x.v9, x.v13, m[s[2]], m[s[3]]);
  g(x.v2, x.v6, x.v10, x.v14, m[s[4]], m[s[5]]);
  g(x.v3, x.v7, x.v11, x.v15, m[s[6]], m[s[7]]);
  g(x.v0, x.v5, x.v10, x.v15, m[s[8]], m[s[9]]);
  g(x.v1, x.v6, x.v11, x.v12, m[s[10]], m[s[11]]);
  g(x.v2, x.v7, x.v8, x.v13, m[s[12]], m[s[13]]);
  g(x.v3, x.v4, x.v9, x.v14, m[s[14]], m[s[15]]);
}

inline State run(const uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                 uint64_t counter, uint32_t flags) {
  uint32_t m[16];
  words_from_bytes(block, m, 16);
  State x{cv[0],
          cv[1],
          cv[2],
          cv[3],
          cv[4],
          cv[5],
          cv[6],
          cv[7],
          kIV[0],
          kIV[1],
          kIV[2],
          kIV[3],
          static_cast<uint32_t>(counter),
          static_cast<uint32_t>(counter >> 32),
          block_len,
          flags};
  round_fn<0>(x, m);
  round_fn<1>(x, m);
  round_fn<2>(x, m);
  round_fn<3>(x, m);
  round_fn<4>(x, m);
  round_fn<5>(x, m);
  round_fn<6>(x, m);
  return x;
}

}  // namespace

void compress_portable(uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                       uint64_t counter, uint32_t flags) {
  const State x = run(cv, block, block_len, counter, flags);
  cv[0] = x.v0 ^ x.v8;
  cv[1] = x.v1 ^ x.v9;
  cv[2] = x.v2 ^ x.v10;
  cv[3] = x.v3 ^ x.v11;
  cv[4] = x.v4 ^ x.v12;
  cv[5] = x.v5 ^ x.v13;
  cv[6] = x.v6 ^ x.v14;
  cv[7] = x.v7 ^ x.v15;
}

void xof_portable(const uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                  uint64_t counter, uint32_t flags, uint8_t out[64]) {
  const State x = run(cv, block, block_len, counter, flags);
  const uint32_t w[16] = {x.v0 ^ x.v8,   x.v1 ^ x.v9,   x.v2 ^ x.v10,  x.v3 ^ x.v11,
                          x.v4 ^ x.v12,  x.v5 ^ x.v13,  x.v6 ^ x.v14,  x.v7 ^ x.v15,
                          x.v8 ^ cv[0],  x.v9 ^ cv[1],  x.v10 ^ cv[2], x.v11 ^ cv[3],
                          x.v12 ^ cv[4], x.v13 ^ cv[5], x.v14 ^ cv[6], x.v15 ^ cv[7]};
  bytes_from_words(w, out, 16);
}

// A whole chunk (see ChunkFn): the chaining value stays in locals from block to block and the
// output is written straight from the final state, with no Output record in between.
void chunk_portable(const uint32_t key[8], const uint8_t* in, size_t len, uint64_t counter,
                    uint32_t flags, uint32_t end_flags, uint8_t* out, size_t out_len) {
  const size_t nblocks = len == 0 ? 1 : (len + kBlockLen - 1) / kBlockLen;
  const size_t last_len = len - (nblocks - 1) * kBlockLen;
  uint32_t cv[8];
  std::memcpy(cv, key, sizeof cv);
  for (size_t b = 0; b + 1 < nblocks; b++) {
    const State x = run(cv, in + b * kBlockLen, uint32_t(kBlockLen), counter,
                        flags | (b == 0 ? CHUNK_START : 0));
    cv[0] = x.v0 ^ x.v8, cv[1] = x.v1 ^ x.v9, cv[2] = x.v2 ^ x.v10, cv[3] = x.v3 ^ x.v11;
    cv[4] = x.v4 ^ x.v12, cv[5] = x.v5 ^ x.v13, cv[6] = x.v6 ^ x.v14, cv[7] = x.v7 ^ x.v15;
  }
  uint8_t last[kBlockLen] = {};
  if (last_len > 0) std::memcpy(last, in + (nblocks - 1) * kBlockLen, last_len);
  const uint32_t last_flags = flags | (nblocks == 1 ? CHUNK_START : 0) | end_flags;
  if (out_len <= kOutLen) {
    compress_portable(cv, last, uint32_t(last_len), counter, last_flags);
    uint8_t w[kOutLen];
    bytes_from_words(cv, w, 8);
    std::memcpy(out, w, out_len);
  } else {
    uint8_t w[kBlockLen];
    xof_portable(cv, last, uint32_t(last_len), counter, last_flags, w);
    std::memcpy(out, w, out_len);
  }
}

}  // namespace detail
}  // namespace blake3
}  // namespace stemedb
