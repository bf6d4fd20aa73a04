// AVX-512 kernels: the 16-way lanes kernel (chunks, parents, short messages) and a 16-way
// kernel for long runs of parents (whole tree levels). The row-wise single-block and
// single-chunk kernels are in blake3_avx512_rows.cc.
#include "blake3_impl.h"

#if defined(STEMEDB_B3_X86)
#include "blake3_avx512.h"

namespace stemedb {
namespace blake3 {
namespace detail {
namespace {

// ---- 16-way transposed lanes ------------------------------------------------------------
B3_AVX512 B3_INLINE __m512i add(__m512i a, __m512i b) { return _mm512_add_epi32(a, b); }
B3_AVX512 B3_INLINE __m512i xor_(__m512i a, __m512i b) { return _mm512_xor_si512(a, b); }
// a + message word, the word read straight from memory. GCC otherwise loads the words into
// registers and, with the 16 state vectors also live, spills and copies registers.
B3_AVX512 B3_INLINE __m512i add_msg(__m512i a, const __m512i* m) {
#if defined(__GNUC__)
  __asm__("vpaddd %1, %0, %0" : "+v"(a) : "m"(*m));
  return a;
#else
  return _mm512_add_epi32(a, _mm512_load_si512(m));
#endif
}

// Four quarter-rounds (the columns, or the diagonals) side by side, one step at a time for
// all four. GCC keeps source order here, and four independent instructions in a row is
// what keeps the vector ports busy; one whole G after another measured ~6% slower.
// q[j] = state indices (a, b, c, d) of quarter-round j; s = its message schedule row.
#define B3_STEP4(expr)                                                          \
  for (int j = 0; j < 4; j++) {                                                 \
    __m512i &a = v[q[j][0]], &b = v[q[j][1]], &c = v[q[j][2]], &d = v[q[j][3]]; \
    (void)a, (void)b, (void)c, (void)d;                                         \
    expr;                                                                       \
  }
B3_AVX512 B3_INLINE void g4(__m512i* v, const int (&q)[4][4], const __m512i* m, const uint8_t* s) {
  B3_STEP4(a = add_msg(a, m + s[2 * j]))  // message first: off the a <- b critical path
  B3_STEP4(a = add(a, b))
  B3_STEP4(d = _mm512_ror_epi32(xor_(d, a), 16))
  B3_STEP4(c = add(c, d))
  B3_STEP4(b = _mm512_ror_epi32(xor_(b, c), 12))
  B3_STEP4(a = add_msg(a, m + s[2 * j + 1]))
  B3_STEP4(a = add(a, b))
  B3_STEP4(d = _mm512_ror_epi32(xor_(d, a), 8))
  B3_STEP4(c = add(c, d))
  B3_STEP4(b = _mm512_ror_epi32(xor_(b, c), 7))
}
#undef B3_STEP4

constexpr int kColumns[4][4] = {{0, 4, 8, 12}, {1, 5, 9, 13}, {2, 6, 10, 14}, {3, 7, 11, 15}};
constexpr int kDiagonals[4][4] = {{0, 5, 10, 15}, {1, 6, 11, 12}, {2, 7, 8, 13}, {3, 4, 9, 14}};

template <int R>
B3_AVX512 B3_INLINE void round_lanes(__m512i* v, const __m512i* m) {
  g4(v, kColumns, m, kSched.s[R]);
  g4(v, kDiagonals, m, kSched.s[R] + 8);
}

// 16x16 transpose of 32-bit words: r[i] = 64-byte block of lane i on entry, word i of
// every lane on exit. 32-bit and 64-bit interleaves gather words inside each 128-bit
// quarter, then two rounds of 128-bit shuffles move the quarters into place.
B3_AVX512 B3_INLINE void transpose16(__m512i* r) {
  __m512i t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // u[4 g + e], quarter k: word 4 k + e of rows 4 g .. 4 g + 3.
  __m512i u[16];
  for (int gr = 0; gr < 4; gr++) {
    u[4 * gr + 0] = _mm512_unpacklo_epi64(t[4 * gr + 0], t[4 * gr + 2]);
    u[4 * gr + 1] = _mm512_unpackhi_epi64(t[4 * gr + 0], t[4 * gr + 2]);
    u[4 * gr + 2] = _mm512_unpacklo_epi64(t[4 * gr + 1], t[4 * gr + 3]);
    u[4 * gr + 3] = _mm512_unpackhi_epi64(t[4 * gr + 1], t[4 * gr + 3]);
  }
  for (int e = 0; e < 4; e++) {
    // x01 = [u0.q0 u0.q1 u1.q0 u1.q1], x23 = [u0.q2 u0.q3 u1.q2 u1.q3] (and y for u2, u3).
    __m512i x01 = _mm512_shuffle_i32x4(u[e], u[4 + e], _MM_SHUFFLE(1, 0, 1, 0));
    __m512i x23 = _mm512_shuffle_i32x4(u[e], u[4 + e], _MM_SHUFFLE(3, 2, 3, 2));
    __m512i y01 = _mm512_shuffle_i32x4(u[8 + e], u[12 + e], _MM_SHUFFLE(1, 0, 1, 0));
    __m512i y23 = _mm512_shuffle_i32x4(u[8 + e], u[12 + e], _MM_SHUFFLE(3, 2, 3, 2));
    r[0 + e] = _mm512_shuffle_i32x4(x01, y01, _MM_SHUFFLE(2, 0, 2, 0));
    r[4 + e] = _mm512_shuffle_i32x4(x01, y01, _MM_SHUFFLE(3, 1, 3, 1));
    r[8 + e] = _mm512_shuffle_i32x4(x23, y23, _MM_SHUFFLE(2, 0, 2, 0));
    r[12 + e] = _mm512_shuffle_i32x4(x23, y23, _MM_SHUFFLE(3, 1, 3, 1));
  }
}

// Chaining values back to lane order: cv[w] holds word w of 16 lanes; lane i's 32 bytes go
// to out + 32 i.
B3_AVX512 B3_INLINE void store_cvs(const __m512i* cv, uint8_t* out) {
  __m512i t[8], u[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm512_unpacklo_epi32(cv[2 * i], cv[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(cv[2 * i], cv[2 * i + 1]);
  }
  // u[4 h + e], quarter k: words 4 h .. 4 h + 3 of lane 4 k + e.
  for (int h = 0; h < 2; h++) {
    u[4 * h + 0] = _mm512_unpacklo_epi64(t[4 * h + 0], t[4 * h + 2]);
    u[4 * h + 1] = _mm512_unpackhi_epi64(t[4 * h + 0], t[4 * h + 2]);
    u[4 * h + 2] = _mm512_unpacklo_epi64(t[4 * h + 1], t[4 * h + 3]);
    u[4 * h + 3] = _mm512_unpackhi_epi64(t[4 * h + 1], t[4 * h + 3]);
  }
  // Pair quarter k of u[e] (words 0-3) with quarter k of u[4 + e] (words 4-7).
  const __m512i lo = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
  const __m512i hi = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
  for (int e = 0; e < 4; e++) {
    __m512i a = _mm512_permutex2var_epi64(u[e], lo, u[4 + e]);  // lanes e, 4 + e
    __m512i b = _mm512_permutex2var_epi64(u[e], hi, u[4 + e]);  // lanes 8 + e, 12 + e
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * e), _mm512_castsi512_si256(a));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * (4 + e)),
                        _mm512_extracti64x4_epi64(a, 1));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * (8 + e)), _mm512_castsi512_si256(b));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * (12 + e)),
                        _mm512_extracti64x4_epi64(b, 1));
  }
}

// Loads block `blk` of every lane and stores it transposed: dst[w] = word w of every lane.
B3_AVX512 B3_INLINE void load_block(const Lanes& l, size_t blk, __m512i* dst) {
  const bool last = blk + 1 == l.nblocks;
  __m512i m[16];
  for (int i = 0; i < 16; i++) m[i] = _mm512_loadu_si512(last ? l.last[i] : l.in[i] + 64 * blk);
  transpose16(m);
  for (int i = 0; i < 16; i++) _mm512_store_si512(dst + i, m[i]);
}

// The same transposition for lanes [lo, hi) only, with integer loads and stores. The rounds
// keep the vector units busy (the shuffles above compete with the rotations), while the
// integer and load/store ports are idle: the next block transposed this way, a few lanes
// between rounds, costs the rounds almost nothing (~6% faster than the shuffles).
template <class Row>
B3_AVX512 B3_INLINE void gpr_lanes(const Row& row, uint32_t (*dst)[kMaxLanes], int lo, int hi) {
  for (int i = lo; i < hi; i++) {
    const uint8_t* p = row(i);
    for (int q = 0; q < 8; q++) {
      uint64_t x;
      std::memcpy(&x, p + 8 * q, 8);
      dst[2 * q][i] = uint32_t(x);
      dst[2 * q + 1][i] = uint32_t(x >> 32);
    }
  }
}

// The 7 rounds on v with message m. Unless nx is null, the next block (lane i's at row(i))
// is transposed into nx meanwhile. It is stored now and read a block later: by then the
// stores have long left the store queue (a vector load of 16 still-pending 4-byte stores
// could not be forwarded).
template <class Row>
B3_AVX512 B3_INLINE void rounds_and_next(__m512i* v, const __m512i* m, uint32_t (*nx)[kMaxLanes],
                                         const Row& row) {
  round_lanes<0>(v, m);
  if (nx) gpr_lanes(row, nx, 0, 3);
  round_lanes<1>(v, m);
  if (nx) gpr_lanes(row, nx, 3, 6);
  round_lanes<2>(v, m);
  if (nx) gpr_lanes(row, nx, 6, 9);
  round_lanes<3>(v, m);
  if (nx) gpr_lanes(row, nx, 9, 12);
  round_lanes<4>(v, m);
  if (nx) gpr_lanes(row, nx, 12, 14);
  round_lanes<5>(v, m);
  if (nx) gpr_lanes(row, nx, 14, 16);
  round_lanes<6>(v, m);
}

}  // namespace

B3_AVX512 void lanes_avx512(const Lanes& l, uint8_t* out) {
  // Transposed message of this block and the next (msg[b][w][i] = word w of lane i). The
  // rounds read it as memory operands, so the 16 state vectors have the registers to
  // themselves.
  alignas(64) uint32_t msg[2][16][kMaxLanes];
  load_block(l, 0, reinterpret_cast<__m512i*>(msg[0]));
  __m512i cv[8];
  for (int i = 0; i < 8; i++) cv[i] = _mm512_set1_epi32(int(l.key[i]));
  for (size_t blk = 0; blk < l.nblocks; blk++) {
    const bool last = blk + 1 == l.nblocks;
    const __m512i* m = reinterpret_cast<const __m512i*>(msg[blk & 1]);
    const uint32_t flags = l.flags | (blk == 0 ? l.flags_start : 0);
    __m512i flags_v = _mm512_set1_epi32(int(flags));
    if (last) flags_v = _mm512_or_si512(flags_v, _mm512_loadu_si512(l.flags_end));
    __m512i v[16] = {cv[0],
                     cv[1],
                     cv[2],
                     cv[3],
                     cv[4],
                     cv[5],
                     cv[6],
                     cv[7],
                     _mm512_set1_epi32(int(kIV[0])),
                     _mm512_set1_epi32(int(kIV[1])),
                     _mm512_set1_epi32(int(kIV[2])),
                     _mm512_set1_epi32(int(kIV[3])),
                     _mm512_loadu_si512(l.ctr_lo),
                     _mm512_loadu_si512(l.ctr_hi),
                     last ? _mm512_loadu_si512(l.last_len) : _mm512_set1_epi32(64),
                     flags_v};
    const bool next_last = blk + 2 == l.nblocks;
    rounds_and_next(v, m, last ? nullptr : msg[(blk + 1) & 1],
                    [&](int i) { return next_last ? l.last[i] : l.in[i] + 64 * (blk + 1); });
    for (int i = 0; i < 8; i++) cv[i] = xor_(v[i], v[i + 8]);
  }
  store_cvs(cv, out);
}

// A whole run of 16-parent batches in one call, so each batch's input is transposed during
// the previous batch's rounds as in lanes_avx512 (one call per batch measured ~1.5 us per
// MiB slower). In place is safe: batch b reads batch b + 1 before it writes out + 512 b,
// which lies below everything still to be read.
B3_AVX512 void parents_avx512(const uint8_t* in, size_t batches, const uint32_t key[8],
                              uint32_t flags, uint8_t* out) {
  alignas(64) uint32_t msg[2][16][kMaxLanes];
  {
    __m512i m[16];
    for (int i = 0; i < 16; i++) m[i] = _mm512_loadu_si512(in + 64 * i);
    transpose16(m);
    for (int i = 0; i < 16; i++) _mm512_store_si512(msg[0][i], m[i]);
  }
  for (size_t b = 0; b < batches; b++) {
    const __m512i* m = reinterpret_cast<const __m512i*>(msg[b & 1]);
    __m512i v[16];
    for (int i = 0; i < 8; i++) v[i] = _mm512_set1_epi32(int(key[i]));
    for (int i = 0; i < 4; i++) v[8 + i] = _mm512_set1_epi32(int(kIV[i]));
    v[12] = v[13] = _mm512_setzero_si512();
    v[14] = _mm512_set1_epi32(int(kBlockLen));
    v[15] = _mm512_set1_epi32(int(flags | PARENT));
    const uint8_t* next = in + 1024 * (b + 1);
    rounds_and_next(v, m, b + 1 < batches ? msg[(b + 1) & 1] : nullptr,
                    [&](int i) { return next + 64 * i; });
    __m512i cv[8];
    for (int i = 0; i < 8; i++) cv[i] = xor_(v[i], v[i + 8]);
    store_cvs(cv, out + 512 * b);
  }
}

}  // namespace detail
}  // namespace blake3
}  // namespace stemedb

#endif  // STEMEDB_B3_X86
