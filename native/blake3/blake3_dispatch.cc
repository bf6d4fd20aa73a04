// Run-time choice of the BLAKE3 kernels, per size class of the input (blake3_impl.h).
//
// The CPU's feature flags only say which kernels may run, not which is fastest: on Zen 5 the
// row-wise SIMD compressions lose to the scalar one by ~2x for a single chain of compressions
// (a short message, one chunk), while the many-lane kernels win by ~9x on long input. So the
// first hash times each candidate the CPU has, a few rounds interleaved (best of each, so a
// burst of load elsewhere hits every candidate alike), and keeps the fastest per class:
//   block (<= 64 B): a single-block kernel, timed on 64-byte messages;
//   chunk (<= 1 KiB): a single-block (or whole-chunk) kernel, timed on 1 KiB messages;
//   tree (> 1 KiB): a lanes width, with the chunk class's single-block kernel for the
//   parents and the root, timed on 16 KiB (16 chunks: the widest kernel's batch).
// A wrong pick under heavy load only costs speed: every path gives the same bytes.
// set_impl_for_testing() forces one level's kernels on every class, so each path can be
// tested on one machine.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "../cpu_features.h"
#include "blake3_impl.h"

namespace stemedb {
namespace blake3 {
namespace detail {
namespace {

// Levels index kTable, whose entries after the portable one depend on the architecture.
enum Level { kPortable = 0, kSse41 = 1, kAvx2 = 2, kAvx512 = 3, kNeon = 1 };

// Narrower lanes kernels stay available at the wider levels: a batch of 5 parents runs
// 8 wide rather than 16 wide. The row-wise single-block SSE4.1 compression serves the
// AVX2 level too (AVX2 has nothing to add for a single 4x4 state).
const Kernels kTable[] = {
    {"portable", compress_portable, xof_portable, nullptr, nullptr, nullptr, nullptr,
     chunk_portable, 1},
#if defined(STEMEDB_B3_X86)
    {"sse41", compress_sse41, xof_sse41, lanes_sse41, nullptr, nullptr, nullptr, nullptr, 4},
    {"avx2", compress_sse41, xof_sse41, lanes_sse41, lanes_avx2, nullptr, nullptr, nullptr, 8},
    {"avx512", compress_avx512, xof_avx512, lanes_sse41, lanes_avx2, lanes_avx512, parents_avx512,
     chunk_avx512, 16},
#endif
#if defined(STEMEDB_B3_NEON)
    {"neon", compress_portable, xof_portable, lanes_neon, nullptr, nullptr, nullptr, chunk_portable,
     4},
#endif
};
constexpr int kLevels = int(sizeof kTable / sizeof kTable[0]);

int max_level() {
#if defined(STEMEDB_B3_X86)
  const CpuFeatures& f = cpu_features();
  if (f.avx512f && f.avx512vl && f.avx512bw && f.avx2 && f.sse41) return kAvx512;
  if (f.avx2 && f.sse41) return kAvx2;
  if (f.sse41) return kSse41;
#elif defined(STEMEDB_B3_NEON)
  if (cpu_features().arm_neon) return kNeon;
#endif
  return kPortable;
}

struct Choice {
  Kernels cls[kClassCount];
  // The lanes level's name, or "avx512+portable" when the single-block kernel is another
  // level's (on arm64 "neon" stays "neon": its single-block kernel is the portable one).
  char tree_name[32];
};

double now_ns() {
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Index of the fastest of n candidates hashing `calls` messages of len bytes: one untimed
// call each (the first touches cold code and data: ~20x slower), then `rounds` rounds over
// the candidates, the best round of each. After two rounds a candidate over twice as slow
// as the leader is not timed again (keeps the whole calibration to a few hundred us). A
// later (wider) candidate must win by 3%: a near tie keeps the simpler path.
int fastest(const Kernels* cand, int n, const uint8_t* buf, size_t len, int calls, int rounds) {
  double best[kLevels];
  uint8_t out[32];
  for (int i = 0; i < n; i++) {
    best[i] = 1e300;
    hash_with(cand[i], buf, len, out, sizeof out);
  }
  for (int r = 0; r < rounds; r++) {
    double lead = 1e300;
    for (int i = 0; i < n; i++)
      if (best[i] < lead) lead = best[i];
    for (int i = 0; i < n; i++) {
      if (r >= 2 && best[i] > 2 * lead) continue;
      const double t0 = now_ns();
      for (int c = 0; c < calls; c++) hash_with(cand[i], buf + c % 8, len, out, sizeof out);
      const double t = now_ns() - t0;
      if (t < best[i]) best[i] = t;
    }
  }
  int pick = 0;
  for (int i = 1; i < n; i++)
    if (best[i] < 0.97 * best[pick]) pick = i;
  return pick;
}

// Kernels with level lv's lanes and single's single-block kernels.
Kernels combine(int lv, const Kernels& single) {
  Kernels k = kTable[lv];
  k.compress = single.compress;
  k.xof = single.xof;
  k.chunk = single.chunk;
  return k;
}

Choice calibrate() {
  const int top = max_level();
  // The single-block candidates: one per distinct compression (sse41 and avx2 share one).
  Kernels single[kLevels];
  int nsingle = 0;
  for (int lv = 0; lv <= top; lv++) {
    bool seen = false;
    for (int i = 0; i < nsingle; i++) seen |= single[i].compress == kTable[lv].compress;
    if (!seen) single[nsingle++] = kTable[lv];
  }
  static uint8_t buf[16 * kChunkLen + 8];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = uint8_t(i * 131 + 7);
  Choice c;
  const bool choose = nsingle > 1 || top > 0;
  c.cls[kClassBlock] = single[nsingle > 1 ? fastest(single, nsingle, buf, 64, 16, 8) : 0];
  const Kernels chunk = single[nsingle > 1 ? fastest(single, nsingle, buf, 1024, 2, 6) : 0];
  c.cls[kClassChunk] = chunk;
  Kernels tree[kLevels];
  for (int lv = 0; lv <= top; lv++) tree[lv] = combine(lv, chunk);
  const int lanes = choose ? fastest(tree, top + 1, buf, 16 * kChunkLen, 1, 4) : 0;
  c.cls[kClassTree] = tree[lanes];
  if (kTable[lanes].compress == chunk.compress) {  // the level's own single-block kernel
    std::snprintf(c.tree_name, sizeof c.tree_name, "%s", chunk.name);
  } else {
    std::snprintf(c.tree_name, sizeof c.tree_name, "%s+%s", kTable[lanes].name, chunk.name);
  }
  c.cls[kClassTree].name = c.tree_name;
  return c;
}

const Choice& calibrated() {
  static const Choice c = calibrate();  // thread-safe one-time initialisation
  return c;
}

// -1: the calibrated choice; otherwise the level forced by set_impl_for_testing. Relaxed is
// enough: every value stored is a valid level and the tables it selects are immutable.
std::atomic<int> g_forced{-1};

}  // namespace

const Kernels& kernels_for(SizeClass c) {
  const int lv = g_forced.load(std::memory_order_relaxed);
  return lv < 0 ? calibrated().cls[c] : kTable[lv];
}

}  // namespace detail

const char* impl_name() { return detail::kernels().name; }

const char* class_impl_name(size_t len) {
  return detail::kernels_for(detail::size_class(len)).name;
}

bool set_impl_for_testing(const char* name) {
  using namespace detail;
  if (name == nullptr || std::strcmp(name, "auto") == 0 || std::strcmp(name, "") == 0) {
    g_forced.store(-1, std::memory_order_relaxed);
    return true;
  }
  const int top = max_level();
  for (int lv = 0; lv <= top; lv++) {
    if (std::strcmp(kTable[lv].name, name) == 0) {
      g_forced.store(lv, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

}  // namespace blake3
}  // namespace stemedb
