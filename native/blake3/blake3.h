// BLAKE3, written from the specification (https://github.com/BLAKE3-team/BLAKE3-specs).
#pragma once
#include <cstddef>
#include <cstdint>

namespace stemedb {
namespace blake3 {

constexpr size_t kKeyLen = 32;
constexpr size_t kOutLen = 32;
constexpr size_t kBlockLen = 64;
constexpr size_t kChunkLen = 1024;
constexpr size_t kMaxDepth = 54;  // 2^54 chunks covers 2^64 bytes

// Incremental hasher: plain, keyed or key-derivation mode. Plain old data:
// safe to copy, no heap, no exceptions.
class Hasher {
 public:
  void init();
  void init_keyed(const uint8_t key[kKeyLen]);
  void init_derive_key(const char* context, size_t context_len);
  void update(const uint8_t* input, size_t len);
  // Extended output: any out_len, from output byte `seek` on. Does not change state.
  void finalize(uint8_t* out, size_t out_len, uint64_t seek = 0) const;

  // Internal state (public so the implementation files can reach it; treat as private).
  uint32_t key[8];
  uint32_t cv[8];  // chaining value of the current chunk
  uint64_t chunk_counter;
  uint8_t buf[kBlockLen];
  uint8_t buf_len;
  uint8_t blocks_compressed;
  uint8_t flags;  // mode flags (KEYED_HASH / DERIVE_KEY_MATERIAL)
  uint8_t cv_stack_len;
  uint8_t cv_stack[(kMaxDepth + 1) * kOutLen];
};

// One-shot 32-byte (or any length) plain hash, SIMD across chunks for long inputs.
void hash(const uint8_t* input, size_t len, uint8_t* out, size_t out_len);

// Many independent plain hashes in one call (the journal's batch path):
// out[i*32 .. i*32+32) = BLAKE3(inputs[i][0 .. lens[i])). SIMD across inputs: the chunks
// of all inputs (and then their parent nodes) share the lanes, so a group of 4 KiB inputs
// hashes as fast as one long input. Inputs over 64 KiB go through hash() one by one.
void hash_many_inputs(const uint8_t* const* inputs, const size_t* lens, size_t n, uint8_t* out);

// Name of the path long inputs take ("avx512", "avx2", "sse41", "neon", "portable"), or
// "<lanes>+<single>" when its many-lane kernels and its single-block compression (parents,
// the root) come from different levels, e.g. "avx512+portable".
const char* impl_name();
// The path hash() takes for an input of len bytes: the choice is made per size class
// (<= 64 B, <= 1 KiB, longer) by timing the candidates at first use.
const char* class_impl_name(size_t len);

// Testing hook: force "portable", "sse41", "avx2" or "avx512" for the whole process.
// Returns false (and changes nothing) if this CPU lacks it; "auto", "" or nullptr restore
// the calibrated choice. Safe at any time (each call into the hasher picks its kernels once and
// all paths give identical results), but meant for tests only.
bool set_impl_for_testing(const char* name);

}  // namespace blake3
}  // namespace stemedb
