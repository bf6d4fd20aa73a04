// The incremental Hasher: plain, keyed and derive-key modes, any split of update() calls,
// extended output with a seek.
//
// The cv stack holds one finished subtree per set bit of chunk_counter (largest at the
// bottom). A subtree is pushed only once input is known to follow it, so it can never be
// the root and merging it right away is always correct; finalize() merges what is left,
// right to left, and gives the last merge the ROOT flag. Large update() calls hash up to
// 512 whole chunks at once on the lanes kernels and push the run's maximal aligned
// subtrees, which is exactly the shape the spec's tree has over those chunks.
#include "blake3_impl.h"

namespace stemedb {
namespace blake3 {
namespace {

using namespace detail;

constexpr size_t kRunChunks = 512;

size_t popcount64(uint64_t x) {
  size_t n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

void reset_chunk(Hasher& h) {
  std::memcpy(h.cv, h.key, sizeof h.cv);
  h.buf_len = 0;
  h.blocks_compressed = 0;
}

size_t chunk_len(const Hasher& h) { return size_t(h.blocks_compressed) * kBlockLen + h.buf_len; }

// Pushes the chaining value of a subtree of `chunks` (a power of two) chunks that starts at
// chunk_counter, then merges while the stack has more entries than chunk_counter has bits.
void push_subtree(const Kernels& k, Hasher& h, const uint8_t cv[32], uint64_t chunks) {
  std::memcpy(h.cv_stack + size_t(h.cv_stack_len) * kOutLen, cv, kOutLen);
  h.cv_stack_len++;
  h.chunk_counter += chunks;
  const size_t want = popcount64(h.chunk_counter);
  while (h.cv_stack_len > want) {
    uint8_t* left = h.cv_stack + size_t(h.cv_stack_len - 2) * kOutLen;
    parent_output(left, left + kOutLen, h.key, h.flags).chaining_value(k, left);
    h.cv_stack_len--;
  }
}

Output current_chunk_output(const Hasher& h) {
  Output o;
  std::memcpy(o.cv, h.cv, sizeof o.cv);
  std::memset(o.block, 0, sizeof o.block);
  std::memcpy(o.block, h.buf, h.buf_len);
  o.counter = h.chunk_counter;
  o.block_len = h.buf_len;
  o.flags = h.flags | (h.blocks_compressed == 0 ? CHUNK_START : 0) | CHUNK_END;
  return o;
}

// Feeds at most the rest of the current chunk. The newest block always stays buffered
// (it may turn out to be the chunk's last block, which needs CHUNK_END).
void chunk_update(const Kernels& k, Hasher& h, const uint8_t* in, size_t len) {
  while (len > 0) {
    if (h.buf_len == kBlockLen) {
      k.compress(h.cv, h.buf, kBlockLen, h.chunk_counter,
                 h.flags | (h.blocks_compressed == 0 ? CHUNK_START : 0));
      h.blocks_compressed++;
      h.buf_len = 0;
    }
    if (h.buf_len == 0) {
      while (len > kBlockLen) {  // whole blocks straight from the input, no copy
        k.compress(h.cv, in, kBlockLen, h.chunk_counter,
                   h.flags | (h.blocks_compressed == 0 ? CHUNK_START : 0));
        h.blocks_compressed++;
        in += kBlockLen;
        len -= kBlockLen;
      }
    }
    size_t take = kBlockLen - h.buf_len;
    if (take > len) take = len;
    std::memcpy(h.buf + h.buf_len, in, take);
    h.buf_len = static_cast<uint8_t>(h.buf_len + take);
    in += take;
    len -= take;
  }
}

// `count` whole chunks starting at chunk_counter, with more input known to follow. Reduces
// the run level by level: a node whose sibling lies outside the run is a maximal subtree
// (on the left edge when its index is odd, on the right edge when it is the last and
// even); those are pushed left edge first (small to large), then right edge (large to
// small), which is their order in the input.
void push_run(const Kernels& k, Hasher& h, const uint8_t* in, size_t count) {
  uint8_t cvs[kRunChunks * kOutLen];
  chunk_cvs(k, in, count, h.chunk_counter, h.key, h.flags, cvs);
  uint8_t left[64][kOutLen], right[64][kOutLen];
  unsigned left_level[64], right_level[64];
  size_t nl = 0, nr = 0;
  uint64_t lo = h.chunk_counter, hi = h.chunk_counter + count;  // node indices at this level
  const uint8_t* nodes = cvs;
  for (unsigned level = 0; lo < hi; level++) {
    if (lo & 1) {
      std::memcpy(left[nl], nodes, kOutLen);
      left_level[nl++] = level;
      nodes += kOutLen;
      lo++;
    }
    if (lo < hi && (hi & 1)) {
      hi--;
      std::memcpy(right[nr], nodes + (hi - lo) * kOutLen, kOutLen);
      right_level[nr++] = level;
    }
    parent_cvs(k, nodes, static_cast<size_t>(hi - lo) / 2, h.key, h.flags, cvs);
    nodes = cvs;
    lo /= 2;
    hi /= 2;
  }
  for (size_t i = 0; i < nl; i++) push_subtree(k, h, left[i], uint64_t(1) << left_level[i]);
  for (size_t i = nr; i-- > 0;) push_subtree(k, h, right[i], uint64_t(1) << right_level[i]);
}

}  // namespace

void Hasher::init() {
  std::memcpy(key, kIV, sizeof key);
  flags = 0;
  chunk_counter = 0;
  cv_stack_len = 0;
  reset_chunk(*this);
}

void Hasher::init_keyed(const uint8_t k[kKeyLen]) {
  init();
  words_from_bytes(k, key, 8);
  flags = KEYED_HASH;
  reset_chunk(*this);
}

void Hasher::init_derive_key(const char* context, size_t context_len) {
  // The context string is hashed on its own (DERIVE_KEY_CONTEXT); its 32-byte hash keys
  // the hasher that then absorbs the key material (DERIVE_KEY_MATERIAL).
  Hasher ctx;
  ctx.init();
  ctx.flags = DERIVE_KEY_CONTEXT;
  ctx.update(reinterpret_cast<const uint8_t*>(context), context_len);
  uint8_t context_key[kKeyLen];
  ctx.finalize(context_key, kKeyLen);
  init();
  words_from_bytes(context_key, key, 8);
  flags = DERIVE_KEY_MATERIAL;
  reset_chunk(*this);
}

void Hasher::update(const uint8_t* input, size_t len) {
  const Kernels& k = kernels();
  while (len > 0) {
    if (chunk_len(*this) == kChunkLen) {  // full, and more input follows: finish it
      uint8_t cv_bytes[kOutLen];
      current_chunk_output(*this).chaining_value(k, cv_bytes);
      push_subtree(k, *this, cv_bytes, 1);
      reset_chunk(*this);
    }
    if (chunk_len(*this) == 0 && len > 2 * kChunkLen) {
      // Keep at least one byte back: the final chunk must stay in the chunk state.
      size_t whole = (len - 1) / kChunkLen;
      if (whole > kRunChunks) whole = kRunChunks;
      push_run(k, *this, input, whole);
      input += whole * kChunkLen;
      len -= whole * kChunkLen;
      continue;
    }
    size_t take = kChunkLen - chunk_len(*this);
    if (take > len) take = len;
    chunk_update(k, *this, input, take);
    input += take;
    len -= take;
  }
}

void Hasher::finalize(uint8_t* out, size_t out_len, uint64_t seek) const {
  const Kernels& k = kernels();
  Output o = current_chunk_output(*this);
  for (size_t i = cv_stack_len; i-- > 0;) {
    uint8_t right[kOutLen];
    o.chaining_value(k, right);
    o = parent_output(cv_stack + i * kOutLen, right, key, flags);
  }
  o.root_bytes(k, out, out_len, seek);
}

}  // namespace blake3
}  // namespace stemedb
