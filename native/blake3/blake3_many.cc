// hash_many_inputs(): many independent short messages hashed side by side, one message per
// SIMD lane.
//
// A message of at most one chunk (1024 bytes) is a single chain of 1..16 compressions whose
// last one carries CHUNK_END | ROOT, so its 32-byte hash is exactly the chaining value a
// lanes kernel returns. Lanes of one batch must run the same number of blocks (flags are
// shared), so messages are dealt into 16 buckets by block count; a bucket is hashed as soon
// as it holds a full SIMD width, and leftovers at the end run on narrower kernels. Counters
// (all zero) and final block lengths are per lane. Longer messages go through hash().
#include "blake3_impl.h"

namespace stemedb {
namespace blake3 {
namespace {

using namespace detail;

constexpr size_t kBuckets = kChunkLen / kBlockLen;  // block counts 1..16

struct Bucket {
  size_t count;
  size_t idx[kMaxLanes];
};

void flush(const Kernels& k, const Bucket& b, size_t nblocks, const uint8_t* const* inputs,
           const size_t* lens, uint8_t* out) {
  Lanes l;
  uint8_t pad[kMaxLanes][kBlockLen];  // zero-padded final blocks (never read past an input)
  uint8_t cvs[kMaxLanes * kOutLen];
  const size_t last_off = (nblocks - 1) * kBlockLen;
  for (size_t j = 0; j < b.count; j++) {
    const uint8_t* p = inputs[b.idx[j]];
    const size_t last_len = lens[b.idx[j]] - last_off;
    l.in[j] = p;
    if (last_len == kBlockLen) {
      l.last[j] = p + last_off;
    } else {
      std::memset(pad[j], 0, kBlockLen);
      if (last_len > 0) std::memcpy(pad[j], p + last_off, last_len);
      l.last[j] = pad[j];
    }
    l.last_len[j] = static_cast<uint32_t>(last_len);
    l.ctr_lo[j] = l.ctr_hi[j] = 0;
  }
  l.key = kIV;
  l.nblocks = nblocks;
  l.n = b.count;
  l.flags = 0;
  l.flags_start = CHUNK_START;
  l.flags_end = CHUNK_END | ROOT;
  run_lanes(k, l, cvs);
  for (size_t j = 0; j < b.count; j++)
    std::memcpy(out + b.idx[j] * kOutLen, cvs + j * kOutLen, kOutLen);
}

}  // namespace

void hash_many_inputs(const uint8_t* const* inputs, const size_t* lens, size_t n, uint8_t* out) {
  const Kernels& k = kernels();
  Bucket buckets[kBuckets];
  for (Bucket& b : buckets) b.count = 0;
  for (size_t i = 0; i < n; i++) {
    const size_t len = lens[i];
    if (len > kChunkLen) {
      hash(inputs[i], len, out + i * kOutLen, kOutLen);
      continue;
    }
    const size_t nblocks = len == 0 ? 1 : (len + kBlockLen - 1) / kBlockLen;
    Bucket& b = buckets[nblocks - 1];
    b.idx[b.count++] = i;
    if (b.count == k.width) {
      flush(k, b, nblocks, inputs, lens, out);
      b.count = 0;
    }
  }
  for (size_t nb = 1; nb <= kBuckets; nb++) {
    const Bucket& b = buckets[nb - 1];
    if (b.count > 0) flush(k, b, nb, inputs, lens, out);
  }
}

}  // namespace blake3
}  // namespace stemedb
