// AVX-512VL row-wise kernels: the state as four 128-bit rows (a = v0..3, b = v4..7,
// c = v8..11, d = v12..15), lane j holding one G. They serve a single block (compress, xof)
// and a whole chunk on its own (a short message), where nothing runs in parallel: the 16
// compressions of a chunk depend on each other, so only latency counts.
//
// Latency per G on this core (Zen 4: vpaddd, vpxord, vpternlogd, shifts 1 cycle; vprord 2):
//   a += b; d = ror(d ^ a, 16); c += d; b = ror(b ^ c, 12); (then 8 and 7)
// is 4 * (1 + 1 + 2) = 16 cycles as written. The two shifted halves of a rotation do not
// overlap, so ror(y ^ x, n) = ror(y, n) ^ (x >> n) ^ (x << 32 - n), and ror(y, n) is ready
// early (y is older than x): each xor-rotate becomes two shifts in parallel and one 3-way
// xor, 2 cycles, and G 4 * (1 + 2) = 12 (a compression 14 * 12 = 168). The rest is kept off
// that chain: a + message is added before b arrives, the diagonal step moves a, c and d
// (ready before b) but never b, the feed-forward b ^ d is folded into the last rotation and
// the chaining value stays in registers across a chunk's blocks.
#include "blake3_impl.h"

#if defined(STEMEDB_B3_X86)
#include "blake3_avx512.h"

namespace stemedb {
namespace blake3 {
namespace detail {
namespace {

struct Rows {
  __m128i a, b, c, d;
};

B3_AVX512 B3_INLINE __m128i add(__m128i x, __m128i y) { return _mm_add_epi32(x, y); }
// An opaque copy: GCC would otherwise reassociate (a + m) + b into (a + b) + m, putting two
// adds after b instead of one.
B3_AVX512 B3_INLINE __m128i early(__m128i x) {
#if defined(__GNUC__)
  __asm__("" : "+v"(x));
#endif
  return x;
}
// The early rotations by shifts, not vprord: with vprord the chunk measured ~230 cycles per
// compression, with shifts ~192 (vprord's results seem to reach the 3-way xor late).
template <int N>
B3_AVX512 B3_INLINE __m128i ror(__m128i x) {
  return _mm_or_si128(_mm_srli_epi32(x, N), _mm_slli_epi32(x, 32 - N));
}
// ror(y ^ x, N) from ry = ror(y, N): x's two shifts in parallel, then one 3-way xor.
template <int N>
B3_AVX512 B3_INLINE __m128i xor_ror(__m128i ry, __m128i x) {
  return _mm_ternarylogic_epi32(ry, _mm_srli_epi32(x, N), _mm_slli_epi32(x, 32 - N), 0x96);
}

// Lane j of the diagonal step serves diagonal (j + 3) % 4, the one holding b's word j, so b
// stays put: a, c and d rotate by 3, 1 and 2 lanes (and back).
B3_AVX512 B3_INLINE __m128i diag_a(__m128i x) {
  return _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 1, 0, 3));
}
B3_AVX512 B3_INLINE __m128i diag_c(__m128i x) {
  return _mm_shuffle_epi32(x, _MM_SHUFFLE(0, 3, 2, 1));
}
B3_AVX512 B3_INLINE __m128i swap_d(__m128i x) {
  return _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2));
}

// Four G functions side by side. With kFeed (the last diagonal step of a compression) d is
// put back in column order and b comes out as b ^ d, the chaining value's upper half: folded
// into ror(b, 7), which is ready early, the feed-forward costs no latency.
template <bool kFeed>
B3_AVX512 B3_INLINE void g(Rows& s, __m128i mx, __m128i my) {
  __m128i a = s.a, b = s.b, c = s.c, d = s.d;
  a = add(early(add(a, mx)), b);
  d = xor_ror<16>(ror<16>(d), a);
  c = add(c, d);
  b = xor_ror<12>(ror<12>(b), c);
  a = add(early(add(a, my)), b);
  d = xor_ror<8>(ror<8>(d), a);
  c = add(c, d);
  __m128i rb = ror<7>(b);
  if (kFeed) {
    d = swap_d(d);
    rb = _mm_xor_si128(rb, d);
  }
  s.b = xor_ror<7>(rb, c);
  s.a = a, s.c = c, s.d = d;
}

// Message words in the order the rows use them, per round: columns (x, y), then the
// diagonals in lane order (x, y).
struct RowOrder {
  alignas(64) uint32_t idx[7][16];
};
constexpr RowOrder make_row_order() {
  RowOrder o{};
  for (int r = 0; r < 7; r++) {
    const uint8_t* s = kSched.s[r];
    for (int i = 0; i < 4; i++) {
      const int diag = (i + 3) % 4;
      o.idx[r][i] = s[2 * i];
      o.idx[r][4 + i] = s[2 * i + 1];
      o.idx[r][8 + i] = s[8 + 2 * diag];
      o.idx[r][12 + i] = s[9 + 2 * diag];
    }
  }
  return o;
}
constexpr RowOrder kRowOrder = make_row_order();

// Round r's four message vectors straight from the block in a register: one permute each
// (latency ~5 cycles, but independent of the state, so computed ahead of time).
struct MsgReg {
  __m512i block;
  B3_AVX512 B3_INLINE void get(int r, __m128i* m) const {
    for (int q = 0; q < 4; q++) {
      const __m128i idx =
          _mm_load_si128(reinterpret_cast<const __m128i*>(&kRowOrder.idx[r][4 * q]));
      m[q] = _mm512_castsi512_si128(_mm512_permutexvar_epi32(_mm512_castsi128_si512(idx), block));
    }
  }
};

// The same words from a table filled during the previous block (see fill_round).
struct MsgTable {
  const uint32_t (*t)[16];
  B3_AVX512 B3_INLINE void get(int r, __m128i* m) const {
    for (int q = 0; q < 4; q++)
      m[q] = _mm_load_si128(reinterpret_cast<const __m128i*>(t[r] + 4 * q));
  }
};

// Round r of the next block's table with integer loads and stores: those ports are idle
// while the rounds keep the vector shifters busy (GCC would turn the loop into a vpermd and
// a 64-byte store, which measured ~10 cycles per compression slower). Read a block later,
// when the stores have long left the store queue.
B3_INLINE void fill_round(const uint8_t* block, int r, uint32_t (*t)[16]) {
  for (int i = 0; i < 16; i++) {
    uint32_t w;
    std::memcpy(&w, block + 4 * kRowOrder.idx[r][i], 4);
#if defined(__GNUC__)
    __asm__("" : "+r"(w));  // keeps the copy in integer registers
#endif
    t[r][i] = w;
  }
}

// The 7 rounds; the last diagonal step feeds forward (see g). On return a and c are back in
// column order, b holds b ^ d and d is in column order. next/t: fill the next block's table.
template <class Msg>
B3_AVX512 B3_INLINE void rounds(Rows& s, const Msg& msg, const uint8_t* next, uint32_t (*t)[16]) {
#if defined(__GNUC__)
#pragma GCC unroll 7
#endif
  for (int r = 0; r < 7; r++) {
    __m128i m[4];
    msg.get(r, m);
    g<false>(s, m[0], m[1]);
    s.a = diag_a(s.a), s.c = diag_c(s.c), s.d = swap_d(s.d);
    if (r < 6) {
      g<false>(s, m[2], m[3]);
      s.d = swap_d(s.d);
    } else {
      g<true>(s, m[2], m[3]);
    }
    s.a = diag_c(s.a), s.c = diag_a(s.c);  // back to column order
    if (next) fill_round(next, r, t);
  }
}

B3_AVX512 B3_INLINE __m128i load128(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}
B3_AVX512 B3_INLINE __m128i iv_row() {
  return _mm_setr_epi32(int(kIV[0]), int(kIV[1]), int(kIV[2]), int(kIV[3]));
}
B3_AVX512 B3_INLINE __m128i d_row(uint64_t counter, uint32_t block_len, uint32_t flags) {
  return _mm_setr_epi32(int(uint32_t(counter)), int(uint32_t(counter >> 32)), int(block_len),
                        int(flags));
}

// One block; s.a ^ s.c and s.b (= b ^ d) are the chaining value afterwards.
B3_AVX512 B3_INLINE void compress_rows(const uint32_t cv[8], const uint8_t block[64],
                                       uint32_t block_len, uint64_t counter, uint32_t flags,
                                       Rows& s) {
  s = {load128(cv), load128(cv + 4), iv_row(), d_row(counter, block_len, flags)};
  rounds(s, MsgReg{_mm512_loadu_si512(block)}, nullptr, nullptr);
}

// The full 64-byte output block: words 8..15 are the final c and d xored with the input cv.
B3_AVX512 B3_INLINE void store_output(const Rows& s, __m128i cv_lo, __m128i cv_hi, uint8_t* out,
                                      size_t out_len) {
  alignas(16) uint8_t buf[64];
  uint8_t* o = out_len == 64 ? out : buf;
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm_xor_si128(s.a, s.c));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16), s.b);
  if (out_len > 32) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 32), _mm_xor_si128(s.c, cv_lo));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 48), _mm_xor_si128(s.d, cv_hi));
  }
  if (o != out) std::memcpy(out, buf, out_len);
}

}  // namespace

B3_AVX512 void compress_avx512(uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                               uint64_t counter, uint32_t flags) {
  Rows s;
  compress_rows(cv, block, block_len, counter, flags, s);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(cv), _mm_xor_si128(s.a, s.c));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(cv + 4), s.b);
}

B3_AVX512 void xof_avx512(const uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                          uint64_t counter, uint32_t flags, uint8_t out[64]) {
  Rows s;
  compress_rows(cv, block, block_len, counter, flags, s);
  store_output(s, load128(cv), load128(cv + 4), out, 64);
}

// A whole chunk in registers. Block 0 takes its message words by permutes (no table is ready
// yet); every later block reads the table filled during the block before it. The final block
// is read through a byte mask (zero padding without a copy, and no read past the input).
B3_AVX512 void chunk_avx512(const uint32_t key[8], const uint8_t* in, size_t len, uint64_t counter,
                            uint32_t flags, uint32_t end_flags, uint8_t* out, size_t out_len) {
  const size_t nblocks = len == 0 ? 1 : (len + kBlockLen - 1) / kBlockLen;
  const size_t last_len = len - (nblocks - 1) * kBlockLen;
  const uint8_t* last_in = in + (nblocks - 1) * kBlockLen;
  const __m512i last = _mm512_maskz_loadu_epi8(
      last_len == 64 ? ~__mmask64(0) : (__mmask64(1) << last_len) - 1, last_in);
  alignas(64) uint8_t last_buf[64];  // the zero-padded final block, for the table fill
  _mm512_store_si512(last_buf, last);
  alignas(16) uint32_t table[2][7][16];

  __m128i lo = load128(key), hi = load128(key + 4);
  const __m128i iv = iv_row();
  Rows s = {lo, hi, iv,
            d_row(counter, uint32_t(nblocks == 1 ? last_len : kBlockLen),
                  flags | CHUNK_START | (nblocks == 1 ? end_flags : 0))};
  const uint8_t* next = nblocks > 2 ? in + kBlockLen : nblocks == 2 ? last_buf : nullptr;
  rounds(s, MsgReg{nblocks == 1 ? last : _mm512_loadu_si512(in)}, next, table[1]);
  for (size_t b = 1; b < nblocks; b++) {
    lo = _mm_xor_si128(s.a, s.c), hi = s.b;
    const bool is_last = b + 1 == nblocks;
    s = {lo, hi, iv,
         d_row(counter, uint32_t(is_last ? last_len : kBlockLen),
               flags | (is_last ? end_flags : 0))};
    next = b + 2 < nblocks ? in + (b + 1) * kBlockLen : b + 2 == nblocks ? last_buf : nullptr;
    rounds(s, MsgTable{table[b & 1]}, next, table[(b + 1) & 1]);
  }
  store_output(s, lo, hi, out, out_len);
}

}  // namespace detail
}  // namespace blake3
}  // namespace stemedb

#endif  // STEMEDB_B3_X86
