// Internal declarations shared by the BLAKE3 implementation files (not part of the addon API).
//
// Layout of the implementation:
//   blake3_portable.cc  scalar compression (the reference for every SIMD path)
//   blake3_sse41.cc     row-wise single-block compression and the 4-way lanes kernel
//   blake3_avx2.cc      8-way lanes kernel
//   blake3_avx512.cc    16-way lanes and parents kernels
//   blake3_avx512_rows.cc  AVX-512VL row-wise single block and single chunk (latency bound)
//   blake3_neon.cc      arm64 4-way lanes kernel
//   blake3_dispatch.cc  run-time choice of kernels per size class (timed at first use),
//                       impl_name(), set_impl_for_testing()
//   blake3_tree.cc      chunk/parent batching, the tree reduction, hash()
//   blake3_hasher.cc    the incremental Hasher (cv stack, wide update path, XOF)
//   blake3_many.cc      hash_many_inputs(): the chunks and parents of many messages share lanes
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "blake3.h"

#if defined(__x86_64__) || defined(_M_X64)
#define STEMEDB_B3_X86 1
#endif
// NEON is part of every arm64 core; little-endian only (see blake3_neon.cc).
#if defined(__aarch64__) && !defined(__ARM_BIG_ENDIAN)
#define STEMEDB_B3_NEON 1
#endif

// GCC/Clang compile each SIMD function for its own ISA via target attributes, so the addon
// needs no global -m flags; MSVC accepts the intrinsics without any annotation.
#if defined(_MSC_VER) && !defined(__clang__)
#define B3_TARGET(x)
#define B3_INLINE __forceinline
#else
#define B3_TARGET(x) __attribute__((target(x)))
#define B3_INLINE inline __attribute__((always_inline))
#endif

namespace stemedb {
namespace blake3 {
namespace detail {

// Domain-separation flags (spec, table 3).
constexpr uint32_t CHUNK_START = 1u << 0;
constexpr uint32_t CHUNK_END = 1u << 1;
constexpr uint32_t PARENT = 1u << 2;
constexpr uint32_t ROOT = 1u << 3;
constexpr uint32_t KEYED_HASH = 1u << 4;
constexpr uint32_t DERIVE_KEY_CONTEXT = 1u << 5;
constexpr uint32_t DERIVE_KEY_MATERIAL = 1u << 6;

// Same IV as SHA-256 (spec, table 1).
constexpr uint32_t kIV[8] = {0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
                             0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u};

// The spec permutes the message words between rounds. Rather than moving data, every
// kernel reads round r's word i from the original block at kSched.s[r][i]; the table is
// generated from the permutation at compile time so it cannot drift from the spec.
constexpr uint8_t kPermutation[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};
struct Schedule {
  uint8_t s[7][16];
};
constexpr Schedule make_schedule() {
  Schedule t{};
  for (int i = 0; i < 16; i++) t.s[0][i] = static_cast<uint8_t>(i);
  for (int r = 1; r < 7; r++)
    for (int i = 0; i < 16; i++) t.s[r][i] = t.s[r - 1][kPermutation[i]];
  return t;
}
constexpr Schedule kSched = make_schedule();

// Byte-order independent word access (compiles to a plain load/store on little-endian).
inline uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
inline void store32(uint8_t* p, uint32_t w) {
  p[0] = uint8_t(w);
  p[1] = uint8_t(w >> 8);
  p[2] = uint8_t(w >> 16);
  p[3] = uint8_t(w >> 24);
}
inline void words_from_bytes(const uint8_t* in, uint32_t* w, size_t n) {
  for (size_t i = 0; i < n; i++) w[i] = load32(in + 4 * i);
}
inline void bytes_from_words(const uint32_t* w, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; i++) store32(out + 4 * i, w[i]);
}

constexpr size_t kMaxLanes = 16;

// One batch for a "lanes" kernel: every lane is an independent chain of `nblocks`
// compressions that starts from `key` and ends in a 32-byte chaining value. A lane is a
// chunk (nblocks = 16), a parent node (nblocks = 1), the final partial chunk of a message,
// or a whole short message (hash_many_inputs). Counter, the last block's length and the
// flags added on the last block (CHUNK_END, ROOT) are per lane (they are just words of the
// state vector); the block count, and with it the other flags, is shared by the batch.
struct Lanes {
  const uint8_t* in[kMaxLanes];    // lane i's block b (< nblocks - 1) is at in[i] + 64 * b
  const uint8_t* last[kMaxLanes];  // lane i's final block (may be a zero-padded copy)
  uint32_t ctr_lo[kMaxLanes];
  uint32_t ctr_hi[kMaxLanes];
  uint32_t last_len[kMaxLanes];   // block_len of the final block (earlier blocks: 64)
  uint32_t flags_end[kMaxLanes];  // added on lane i's final block
  const uint32_t* key;            // 8 words, the starting chaining value of every lane
  size_t nblocks;                 // >= 1
  size_t n;                       // lanes in use; SIMD kernels always compute their full width
  uint32_t flags;                 // on every block
  uint32_t flags_start;           // added on block 0
};

// Compresses one block into cv (the chaining-value form of the output).
using CompressFn = void (*)(uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                            uint64_t counter, uint32_t flags);
// Full 64-byte output of one compression (extended output / root blocks).
using XofFn = void (*)(const uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                       uint64_t counter, uint32_t flags, uint8_t out[64]);
// Runs a batch of exactly the kernel's width (unused lanes padded by the caller); writes 32
// bytes per lane to out (lane i at out + 32 i). All input is read before any output is
// written, so out may overlap the lanes' input (parents are reduced in place).
using LanesFn = void (*)(const Lanes& l, uint8_t* out);

// Parents of batches * 16 adjacent chaining-value pairs: batch b reads in + 1024 b and
// writes 16 chaining values to out + 512 b (out may equal in: a tree level in place).
using ParentsFn = void (*)(const uint8_t* in, size_t batches, const uint32_t key[8], uint32_t flags,
                           uint8_t* out);

// One chunk (len <= 1024 bytes, any counter) from key, entirely in registers: `end_flags`
// goes on its final block (CHUNK_END, plus ROOT for a one-chunk message). Writes the first
// out_len (<= 64) bytes of the final compression's output: the chaining value for 32, the
// root output block 0 with ROOT.
using ChunkFn = void (*)(const uint32_t key[8], const uint8_t* in, size_t len, uint64_t counter,
                         uint32_t flags, uint32_t end_flags, uint8_t* out, size_t out_len);

struct Kernels {
  const char* name;
  CompressFn compress;
  XofFn xof;
  LanesFn lanes4;  // nullptr when the CPU (or a forced level) lacks the width
  LanesFn lanes8;
  LanesFn lanes16;
  ParentsFn parents16;  // nullptr: parents go through lanes16 like any other batch
  ChunkFn chunk;        // nullptr: compress() block by block
  size_t width;         // widest lanes kernel available (1 = portable)
};

// Size classes of the one-shot hash(). Each has its own kernels, picked at first use by
// timing every candidate the CPU has (blake3_dispatch.cc): feature flags alone mislead, as
// on Zen 5, where a 4x4 row-wise SIMD compression loses to the scalar one (every vector
// integer operation there has 2 cycles of latency, a scalar one 1, and a lone chain of
// compressions is all latency).
enum SizeClass { kClassBlock = 0, kClassChunk = 1, kClassTree = 2 };
constexpr size_t kClassCount = 3;
constexpr size_t kClassBlockMax = 64;    // one compression
constexpr size_t kClassChunkMax = 1024;  // one chunk: up to 16 dependent compressions
inline SizeClass size_class(size_t len) {
  return len <= kClassBlockMax ? kClassBlock : len <= kClassChunkMax ? kClassChunk : kClassTree;
}

// The kernels for inputs of that class (a forced path, see set_impl_for_testing, applies to
// every class).
const Kernels& kernels_for(SizeClass c);
// The tree class's kernels: the lanes of the fastest width, the single-block compression of
// the chunk class. The incremental Hasher and hash_many_inputs use these.
inline const Kernels& kernels() { return kernels_for(kClassTree); }

// hash() on the given kernels (calibration times candidates through it).
void hash_with(const Kernels& k, const uint8_t* input, size_t len, uint8_t* out, size_t out_len);

// Per-ISA entry points.
void compress_portable(uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                       uint64_t counter, uint32_t flags);
void xof_portable(const uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                  uint64_t counter, uint32_t flags, uint8_t out[64]);
void chunk_portable(const uint32_t key[8], const uint8_t* in, size_t len, uint64_t counter,
                    uint32_t flags, uint32_t end_flags, uint8_t* out, size_t out_len);
#if defined(STEMEDB_B3_X86)
void compress_sse41(uint32_t cv[8], const uint8_t block[64], uint32_t block_len, uint64_t counter,
                    uint32_t flags);
void xof_sse41(const uint32_t cv[8], const uint8_t block[64], uint32_t block_len, uint64_t counter,
               uint32_t flags, uint8_t out[64]);
void lanes_sse41(const Lanes& l, uint8_t* out);
void lanes_avx2(const Lanes& l, uint8_t* out);
void compress_avx512(uint32_t cv[8], const uint8_t block[64], uint32_t block_len, uint64_t counter,
                     uint32_t flags);
void xof_avx512(const uint32_t cv[8], const uint8_t block[64], uint32_t block_len, uint64_t counter,
                uint32_t flags, uint8_t out[64]);
void lanes_avx512(const Lanes& l, uint8_t* out);
void parents_avx512(const uint8_t* in, size_t batches, const uint32_t key[8], uint32_t flags,
                    uint8_t* out);
void chunk_avx512(const uint32_t key[8], const uint8_t* in, size_t len, uint64_t counter,
                  uint32_t flags, uint32_t end_flags, uint8_t* out, size_t out_len);
#endif
#if defined(STEMEDB_B3_NEON)
void lanes_neon(const Lanes& l, uint8_t* out);
#endif

// Runs l (l.n <= k.width lanes) on the narrowest kernel that fits, padding unused lanes with
// copies of lane 0; writes exactly l.n chaining values to out.
void run_lanes(const Kernels& k, Lanes& l, uint8_t* out);

// One tree level in place: `count` nodes become (count + 1) / 2 (pairs merged, an odd last
// node carried up unchanged, as in the spec's left-heavy tree). Returns the new count.
size_t reduce_level(const Kernels& k, uint8_t* cvs, size_t count, const uint32_t key[8],
                    uint32_t flags);

// Chaining values of `count` whole chunks starting at input, chunk counters from `counter`.
void chunk_cvs(const Kernels& k, const uint8_t* input, size_t count, uint64_t counter,
               const uint32_t key[8], uint32_t flags, uint8_t* out);
// Parent chaining values of `count` adjacent pairs: pair i is cvs[64 i .. 64 i + 64).
// out may equal cvs (in-place reduction of one tree level).
void parent_cvs(const Kernels& k, const uint8_t* cvs, size_t count, const uint32_t key[8],
                uint32_t flags, uint8_t* out);

// What the root compression needs; its output is read at any block counter (XOF).
struct Output {
  uint32_t cv[8];
  uint8_t block[64];
  uint64_t counter;
  uint32_t block_len;
  uint32_t flags;
  void chaining_value(const Kernels& k, uint8_t out[32]) const;
  void root_bytes(const Kernels& k, uint8_t* out, size_t out_len, uint64_t seek) const;
};
Output parent_output(const uint8_t left[32], const uint8_t right[32], const uint32_t key[8],
                     uint32_t flags);
// Output of one chunk of len <= 1024 bytes (the last chunk, or the only one).
Output chunk_output(const Kernels& k, const uint8_t* input, size_t len, uint64_t counter,
                    const uint32_t key[8], uint32_t flags);

}  // namespace detail
}  // namespace blake3
}  // namespace stemedb
