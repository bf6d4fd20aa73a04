// Batching chunks and parents onto the lanes kernels, the root output (XOF), and the
// one-shot hash(), which knows the whole input and so can hash every chunk wide.
#include "blake3_impl.h"

namespace stemedb {
namespace blake3 {
namespace detail {
namespace {

// Largest subtree hash() builds in one go: 512 chunks (512 KiB of input) keep the chaining
// values in 16 KiB of stack, and only the top 4 levels of each subtree run narrower than
// 16 lanes.
constexpr size_t kSubtreeChunks = 512;

// A batch too small for SIMD: the lanes one after another on the single-block compression.
void lanes_scalar(CompressFn compress, const Lanes& l, uint8_t* out) {
  uint32_t cvs[kMaxLanes][8];  // written back only at the end: out may alias the input
  for (size_t i = 0; i < l.n; i++) {
    uint32_t* cv = cvs[i];
    std::memcpy(cv, l.key, 32);
    const uint64_t counter = (uint64_t(l.ctr_hi[i]) << 32) | l.ctr_lo[i];
    for (size_t b = 0; b < l.nblocks; b++) {
      const bool last = b + 1 == l.nblocks;
      const uint32_t flags = l.flags | (b == 0 ? l.flags_start : 0) | (last ? l.flags_end[i] : 0);
      compress(cv, last ? l.last[i] : l.in[i] + 64 * b, last ? l.last_len[i] : 64, counter, flags);
    }
  }
  for (size_t i = 0; i < l.n; i++) bytes_from_words(cvs[i], out + 32 * i, 8);
}

void set_counter(Lanes& l, size_t i, uint64_t counter) {
  l.ctr_lo[i] = static_cast<uint32_t>(counter);
  l.ctr_hi[i] = static_cast<uint32_t>(counter >> 32);
}

}  // namespace

void run_lanes(const Kernels& k, Lanes& l, uint8_t* out) {
  const size_t n = l.n;
  LanesFn fn = nullptr;
  size_t width = 1;
  // One or two chains are cheaper one by one than a 4-wide pass over mostly padding.
  if (n > 2) {
    if (n <= 4 && k.lanes4) {
      fn = k.lanes4, width = 4;
    } else if (n <= 8 && k.lanes8) {
      fn = k.lanes8, width = 8;
    } else if (k.lanes16) {
      fn = k.lanes16, width = 16;
    } else if (k.lanes8) {
      fn = k.lanes8, width = 8;
    } else if (k.lanes4) {
      fn = k.lanes4, width = 4;
    }
  }
  if (fn == nullptr || n > width) {
    lanes_scalar(k.compress, l, out);
    return;
  }
  if (n == width) {
    fn(l, out);
    return;
  }
  for (size_t i = n; i < width; i++) {  // padding lanes repeat lane 0; results dropped
    l.in[i] = l.in[0];
    l.last[i] = l.last[0];
    l.ctr_lo[i] = l.ctr_lo[0];
    l.ctr_hi[i] = l.ctr_hi[0];
    l.last_len[i] = l.last_len[0];
    l.flags_end[i] = l.flags_end[0];
  }
  uint8_t tmp[kMaxLanes * 32];
  fn(l, tmp);
  std::memcpy(out, tmp, n * 32);
}

void chunk_cvs(const Kernels& k, const uint8_t* input, size_t count, uint64_t counter,
               const uint32_t key[8], uint32_t flags, uint8_t* out) {
  Lanes l;
  l.key = key;
  l.nblocks = kChunkLen / kBlockLen;
  l.flags = flags;
  l.flags_start = CHUNK_START;
  for (size_t i = 0; i < kMaxLanes; i++) l.flags_end[i] = CHUNK_END;
  while (count > 0) {
    const size_t n = count < k.width ? count : k.width;
    for (size_t i = 0; i < n; i++) {
      l.in[i] = input + i * kChunkLen;
      l.last[i] = l.in[i] + kChunkLen - kBlockLen;
      l.last_len[i] = kBlockLen;
      set_counter(l, i, counter + i);
    }
    l.n = n;
    run_lanes(k, l, out);
    input += n * kChunkLen;
    counter += n;
    out += n * kOutLen;
    count -= n;
  }
}

void parent_cvs(const Kernels& k, const uint8_t* cvs, size_t count, const uint32_t key[8],
                uint32_t flags, uint8_t* out) {
  Lanes l;
  l.key = key;
  l.nblocks = 1;
  l.flags = flags | PARENT;
  l.flags_start = 0;
  for (size_t i = 0; i < kMaxLanes; i++) {
    l.ctr_lo[i] = l.ctr_hi[i] = 0;
    l.last_len[i] = kBlockLen;
    l.flags_end[i] = 0;
  }
  // Batches go left to right and each writes below what it read: safe in place.
  if (k.parents16 != nullptr && count >= 16) {
    const size_t batches = count / 16;
    k.parents16(cvs, batches, key, flags, out);
    cvs += batches * 16 * kBlockLen;
    out += batches * 16 * kOutLen;
    count -= batches * 16;
  }
  while (count > 0) {
    const size_t n = count < k.width ? count : k.width;
    for (size_t i = 0; i < n; i++) l.in[i] = l.last[i] = cvs + i * kBlockLen;
    l.n = n;
    run_lanes(k, l, out);
    cvs += n * kBlockLen;
    out += n * kOutLen;
    count -= n;
  }
}

size_t reduce_level(const Kernels& k, uint8_t* cvs, size_t count, const uint32_t key[8],
                    uint32_t flags) {
  const size_t pairs = count / 2;
  parent_cvs(k, cvs, pairs, key, flags, cvs);
  if (count & 1) std::memmove(cvs + pairs * kOutLen, cvs + (count - 1) * kOutLen, kOutLen);
  return pairs + (count & 1);
}

void Output::chaining_value(const Kernels& k, uint8_t out[32]) const {
  uint32_t w[8];
  std::memcpy(w, cv, sizeof w);
  k.compress(w, block, block_len, counter, flags);
  bytes_from_words(w, out, 8);
}

void Output::root_bytes(const Kernels& k, uint8_t* out, size_t out_len, uint64_t seek) const {
  // The root's output block t is the root compression run with counter t (spec 2.6).
  uint64_t t = seek / kBlockLen;
  size_t skip = static_cast<size_t>(seek % kBlockLen);
  uint8_t buf[kBlockLen];
  while (out_len > 0) {
    k.xof(cv, block, block_len, t, flags | ROOT, buf);
    size_t take = kBlockLen - skip;
    if (take > out_len) take = out_len;
    std::memcpy(out, buf + skip, take);
    out += take;
    out_len -= take;
    skip = 0;
    t++;
  }
}

Output parent_output(const uint8_t left[32], const uint8_t right[32], const uint32_t key[8],
                     uint32_t flags) {
  Output o;
  std::memcpy(o.cv, key, sizeof o.cv);
  std::memcpy(o.block, left, kOutLen);
  std::memcpy(o.block + kOutLen, right, kOutLen);
  o.counter = 0;
  o.block_len = kBlockLen;
  o.flags = flags | PARENT;
  return o;
}

Output chunk_output(const Kernels& k, const uint8_t* input, size_t len, uint64_t counter,
                    const uint32_t key[8], uint32_t flags) {
  Output o;
  std::memcpy(o.cv, key, sizeof o.cv);
  const size_t nblocks = len == 0 ? 1 : (len + kBlockLen - 1) / kBlockLen;
  for (size_t b = 0; b + 1 < nblocks; b++)
    k.compress(o.cv, input + b * kBlockLen, kBlockLen, counter, flags | (b == 0 ? CHUNK_START : 0));
  const size_t last_len = len - (nblocks - 1) * kBlockLen;
  std::memset(o.block, 0, sizeof o.block);
  if (last_len > 0) std::memcpy(o.block, input + (nblocks - 1) * kBlockLen, last_len);
  o.counter = counter;
  o.block_len = static_cast<uint32_t>(last_len);
  o.flags = flags | (nblocks == 1 ? CHUNK_START : 0) | CHUNK_END;
  return o;
}

}  // namespace detail

// hash(): full subtrees of 512 chunks are hashed wide and kept on a small stack (merged as
// soon as two of equal size meet, like the incremental hasher); the remaining tail - at
// most 512 chunks, the last possibly partial - is then hashed wide as well and reduced
// level by level. The tail is exactly one node of the spec's tree: its first chunk index is
// a multiple of 512 and everything after it is shorter than 512 chunks.
void hash(const uint8_t* input, size_t len, uint8_t* out, size_t out_len) {
  detail::hash_with(detail::kernels_for(detail::size_class(len)), input, len, out, out_len);
}

void detail::hash_with(const Kernels& k, const uint8_t* input, size_t len, uint8_t* out,
                       size_t out_len) {
  const uint32_t* key = kIV;
  if (len <= kChunkLen) {
    // A one-chunk message is 1 to 16 dependent compressions: latency bound, so the chunk
    // kernel keeps the chaining value in registers and writes the root output directly.
    if (k.chunk != nullptr && out_len <= kBlockLen) {
      k.chunk(key, input, len, 0, 0, CHUNK_END | ROOT, out, out_len);
      return;
    }
    chunk_output(k, input, len, 0, key, 0).root_bytes(k, out, out_len, 0);
    return;
  }
  const uint64_t nchunks = (uint64_t(len) + kChunkLen - 1) / kChunkLen;
  uint8_t stack[(kMaxDepth + 1) * kOutLen];
  size_t depth = 0;
  uint8_t cvs[kSubtreeChunks * kOutLen];
  uint64_t c = 0;  // chunks consumed so far (always a multiple of kSubtreeChunks here)
  while (nchunks - c > kSubtreeChunks) {
    chunk_cvs(k, input + c * kChunkLen, kSubtreeChunks, c, key, 0, cvs);
    size_t count = kSubtreeChunks;
    while (count > 1) count = reduce_level(k, cvs, count, key, 0);
    std::memcpy(stack + depth * kOutLen, cvs, kOutLen);
    depth++;
    c += kSubtreeChunks;
    // One stack entry per set bit of the subtree count (as in the incremental hasher).
    uint64_t bits = c / kSubtreeChunks;
    size_t want = 0;
    for (; bits; bits &= bits - 1) want++;
    while (depth > want) {
      uint8_t* l = stack + (depth - 2) * kOutLen;
      parent_output(l, l + kOutLen, key, 0).chaining_value(k, l);
      depth--;
    }
  }
  const uint8_t* tail = input + c * kChunkLen;
  const size_t tail_len = len - static_cast<size_t>(c) * kChunkLen;
  const size_t full = tail_len / kChunkLen;
  size_t count = (tail_len + kChunkLen - 1) / kChunkLen;
  chunk_cvs(k, tail, full, c, key, 0, cvs);
  if (full < count) {
    chunk_output(k, tail + full * kChunkLen, tail_len - full * kChunkLen, c + full, key, 0)
        .chaining_value(k, cvs + full * kOutLen);
  }
  Output root;
  if (depth == 0) {  // the tail is the whole tree (count >= 2 here): stop below the root
    while (count > 2) count = reduce_level(k, cvs, count, key, 0);
    root = parent_output(cvs, cvs + kOutLen, key, 0);
  } else {
    while (count > 1) count = reduce_level(k, cvs, count, key, 0);
    for (size_t i = depth - 1; i > 0; i--)
      parent_output(stack + i * kOutLen, cvs, key, 0).chaining_value(k, cvs);
    root = parent_output(stack, cvs, key, 0);
  }
  root.root_bytes(k, out, out_len, 0);
}

}  // namespace blake3
}  // namespace stemedb
