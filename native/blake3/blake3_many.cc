// hash_many_inputs(): many independent messages hashed side by side on the lanes kernels.
//
// Every chunk of every message is one lane job: a chain of 1..16 compressions with its own
// input, chunk counter and final block length, CHUNK_START on its first block and
// CHUNK_END on its last. A message of at most one chunk (1024 bytes) is a single job whose
// last block also carries ROOT, so its 32-byte hash is exactly the chaining value the
// lanes kernel returns. Lanes of one batch must run the same number of blocks, so jobs are
// dealt into 16 buckets by block count; a bucket is hashed as soon as it holds a full SIMD
// width, and leftovers run on narrower kernels. A 4 KiB message thus fills 4 of 16 lanes
// with its chunks and the other 12 come from its neighbours, instead of running 4 wide.
//
// A message of several chunks (up to kMaxTreeLen) is a tree: its chunk chaining values go
// to a window of kWindowChunks slots, and once every chunk job of the window is done the
// trees are reduced one level at a time, all trees together: the parent compressions of
// one level of all trees are independent single-block lanes jobs and share batches. Each
// level pairs adjacent nodes left to right and carries an odd last node up unchanged,
// which is exactly the spec's tree (the left subtree of a node always holds the largest
// power of two of chunks smaller than the node's total); the pair that leaves a single
// node is the root and gets ROOT. Longer messages fill the lanes on their own: hash().
#include "blake3_impl.h"

namespace stemedb {
namespace blake3 {
namespace {

using namespace detail;

constexpr size_t kBuckets = kChunkLen / kBlockLen;  // block counts 1..16
constexpr size_t kMaxTreeLen = 64 * kChunkLen;      // longer messages go through hash()
constexpr size_t kWindowChunks = 512;               // chunk chaining values held at once

// One chunk: `len` (0..1024) bytes at `in`, hashed with chunk counter `counter`; the
// result (a chaining value, or a message's hash when flags_end has ROOT) goes to dst.
struct Job {
  const uint8_t* in;
  uint8_t* dst;
  uint32_t counter;  // < 64: a chunk index inside one message of at most kMaxTreeLen bytes
  uint32_t len;
  uint32_t flags_end;
};

struct Bucket {
  size_t count;
  Job jobs[kMaxLanes];
};

// A message being reduced: `count` nodes of its current level, adjacent in cvs.
struct Tree {
  uint8_t* cvs;
  uint8_t* out;
  size_t count;
};

class Batcher {
 public:
  explicit Batcher(const Kernels& k) : k_(k), width_(k.width) {
    for (Bucket& b : buckets_) b.count = 0;
  }

  void add_message(const uint8_t* in, size_t len, uint8_t* out) {
    if (len <= kChunkLen) {
      add_job(in, out, 0, len, CHUNK_END | ROOT);
      return;
    }
    const size_t chunks = (len + kChunkLen - 1) / kChunkLen;
    if (used_ + chunks > kWindowChunks) finish_window();
    uint8_t* cvs = cvs_ + used_ * kOutLen;
    used_ += chunks;
    trees_[ntrees_++] = Tree{cvs, out, chunks};
    for (size_t c = 0; c + 1 < chunks; c++)
      add_job(in + c * kChunkLen, cvs + c * kOutLen, uint32_t(c), kChunkLen, CHUNK_END);
    const size_t c = chunks - 1;
    add_job(in + c * kChunkLen, cvs + c * kOutLen, uint32_t(c), len - c * kChunkLen, CHUNK_END);
  }

  // Hashes whatever is pending: every bucket, then the trees of the window.
  void finish_window() {
    for (size_t nb = 1; nb <= kBuckets; nb++) {
      Bucket& b = buckets_[nb - 1];
      if (b.count > 0) flush(b, nb);
    }
    reduce_trees();
    used_ = 0;
    ntrees_ = 0;
  }

 private:
  void add_job(const uint8_t* in, uint8_t* dst, uint32_t counter, size_t len, uint32_t flags_end) {
    const size_t nblocks = len == 0 ? 1 : (len + kBlockLen - 1) / kBlockLen;
    Bucket& b = buckets_[nblocks - 1];
    b.jobs[b.count++] = Job{in, dst, counter, uint32_t(len), flags_end};
    if (b.count == width_) flush(b, nblocks);
  }

  void flush(Bucket& b, size_t nblocks) {
    Lanes l;
    uint8_t pad[kMaxLanes][kBlockLen];  // zero-padded final blocks (never read past an input)
    uint8_t cvs[kMaxLanes * kOutLen];
    const size_t last_off = (nblocks - 1) * kBlockLen;
    for (size_t j = 0; j < b.count; j++) {
      const Job& job = b.jobs[j];
      const size_t last_len = job.len - last_off;
      l.in[j] = job.in;
      if (last_len == kBlockLen) {
        l.last[j] = job.in + last_off;
      } else {
        std::memset(pad[j], 0, kBlockLen);
        if (last_len > 0) std::memcpy(pad[j], job.in + last_off, last_len);
        l.last[j] = pad[j];
      }
      l.last_len[j] = static_cast<uint32_t>(last_len);
      l.ctr_lo[j] = job.counter;
      l.ctr_hi[j] = 0;
      l.flags_end[j] = job.flags_end;
    }
    l.key = kIV;
    l.nblocks = nblocks;
    l.n = b.count;
    l.flags = 0;
    l.flags_start = CHUNK_START;
    // Consecutive messages of one size (or consecutive chunks of one message) land in one
    // bucket in order: their results are adjacent and the kernel can write them in place.
    uint8_t* const dst0 = b.jobs[0].dst;
    bool adjacent = true;
    for (size_t j = 1; j < b.count; j++) adjacent &= b.jobs[j].dst == dst0 + j * kOutLen;
    if (adjacent) {
      run_lanes(k_, l, dst0);
    } else {
      run_lanes(k_, l, cvs);
      for (size_t j = 0; j < b.count; j++) std::memcpy(b.jobs[j].dst, cvs + j * kOutLen, kOutLen);
    }
    b.count = 0;
  }

  // One level of every tree per pass. Parent j of a level is written over node j, whose
  // only reader is parent j / 2: a job queued before it (or itself, for j = 0), and a
  // batch reads all its lanes before writing any.
  void reduce_trees() {
    Lanes l;
    uint8_t* dst[kMaxLanes];
    l.key = kIV;
    l.nblocks = 1;
    l.flags = PARENT;
    l.flags_start = 0;
    for (size_t i = 0; i < kMaxLanes; i++) {
      l.ctr_lo[i] = l.ctr_hi[i] = 0;
      l.last_len[i] = kBlockLen;
    }
    size_t live = ntrees_;
    while (live > 0) {
      size_t n = 0;
      for (size_t t = 0; t < live; t++) {
        const Tree& tr = trees_[t];
        const size_t pairs = tr.count / 2;
        const bool root = tr.count == 2;
        for (size_t j = 0; j < pairs; j++) {
          l.in[n] = l.last[n] = tr.cvs + j * kBlockLen;
          l.flags_end[n] = root ? ROOT : 0;
          dst[n] = root ? tr.out : tr.cvs + j * kOutLen;
          if (++n == width_) {
            run_parents(l, n, dst);
            n = 0;
          }
        }
      }
      if (n > 0) run_parents(l, n, dst);
      // Odd nodes move up only now that every parent of the level is written.
      size_t next = 0;
      for (size_t t = 0; t < live; t++) {
        Tree tr = trees_[t];
        if (tr.count == 2) continue;  // its root is done
        const size_t pairs = tr.count / 2;
        if (tr.count & 1)
          std::memcpy(tr.cvs + pairs * kOutLen, tr.cvs + (tr.count - 1) * kOutLen, kOutLen);
        tr.count = pairs + (tr.count & 1);
        trees_[next++] = tr;
      }
      live = next;
    }
  }

  void run_parents(Lanes& l, size_t n, uint8_t* const* dst) {
    uint8_t cvs[kMaxLanes * kOutLen];
    l.n = n;
    run_lanes(k_, l, cvs);
    for (size_t j = 0; j < n; j++) std::memcpy(dst[j], cvs + j * kOutLen, kOutLen);
  }

  const Kernels& k_;
  const size_t width_;
  Bucket buckets_[kBuckets];
  size_t used_ = 0;  // window slots taken
  size_t ntrees_ = 0;
  Tree trees_[kWindowChunks / 2];  // every tree has at least two chunks
  uint8_t cvs_[kWindowChunks * kOutLen];
};

}  // namespace

void hash_many_inputs(const uint8_t* const* inputs, const size_t* lens, size_t n, uint8_t* out) {
  const Kernels& k = kernels();
  Batcher batch(k);
  for (size_t i = 0; i < n; i++) {
    if (lens[i] > kMaxTreeLen) {
      hash(inputs[i], lens[i], out + i * kOutLen, kOutLen);
    } else {
      batch.add_message(inputs[i], lens[i], out + i * kOutLen);
    }
  }
  batch.finish_window();
}

}  // namespace blake3
}  // namespace stemedb
