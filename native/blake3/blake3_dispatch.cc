// Run-time choice of the BLAKE3 kernels. The widest level the CPU supports is picked once;
// set_impl_for_testing() may lower it (or restore it) so every path can be tested on one
// machine.
#include <atomic>
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
    {"portable", compress_portable, xof_portable, nullptr, nullptr, nullptr, nullptr, nullptr, 1},
#if defined(STEMEDB_B3_X86)
    {"sse41", compress_sse41, xof_sse41, lanes_sse41, nullptr, nullptr, nullptr, nullptr, 4},
    {"avx2", compress_sse41, xof_sse41, lanes_sse41, lanes_avx2, nullptr, nullptr, nullptr, 8},
    {"avx512", compress_avx512, xof_avx512, lanes_sse41, lanes_avx2, lanes_avx512,
     parents_avx512, chunk_avx512, 16},
#endif
#if defined(STEMEDB_B3_NEON)
    {"neon", compress_portable, xof_portable, lanes_neon, nullptr, nullptr, nullptr, nullptr, 4},
#endif
};

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

// -1 until first use. Relaxed is enough: every value stored is a valid level and the
// table it indexes is immutable.
std::atomic<int> g_level{-1};

int level() {
  int lv = g_level.load(std::memory_order_relaxed);
  if (lv < 0) {
    lv = max_level();
    g_level.store(lv, std::memory_order_relaxed);
  }
  return lv;
}

}  // namespace

const Kernels& kernels() { return kTable[level()]; }

}  // namespace detail

const char* impl_name() { return detail::kernels().name; }

bool set_impl_for_testing(const char* name) {
  using namespace detail;
  if (name == nullptr || std::strcmp(name, "auto") == 0 || std::strcmp(name, "") == 0) {
    g_level.store(max_level(), std::memory_order_relaxed);
    return true;
  }
  const int top = max_level();
  for (int lv = 0; lv <= top; lv++) {
    if (std::strcmp(kTable[lv].name, name) == 0) {
      g_level.store(lv, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

}  // namespace blake3
}  // namespace stemedb
