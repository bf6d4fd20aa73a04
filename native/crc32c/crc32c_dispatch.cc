// Run-time choice of the CRC32C path. The function pointer starts at a
// resolver that asks cpu_features() once, stores the best path and calls it;
// after that each call is one relaxed load and an indirect call. Racing first
// calls all store the same pointer, so no lock is needed.
//
// Size ranges inside the x86 paths (measured on AMD Zen 4, see
// crc32c_internal.h for the constants and numbers):
//   n < 80          one crc32 chain (no setup at all)
//   80 <= n < 128   three interleaved crc32 chains + clmul merge
//   n >= 128        AVX-512 VPCLMULQDQ folding ("sse42-3way" keeps 3 chains)
#include <atomic>

#include "../cpu_features.h"
#include "crc32c_internal.h"

namespace stemedb {
namespace {

using crc32c_detail::CrcFn;

struct Choice {
  CrcFn fn;
  const char* name;
};

Choice choose() {
  const CpuFeatures& f = cpu_features();
  (void)f;
#if defined(STEMEDB_CRC_X86)
  if (f.sse42 && f.pclmul && f.avx512f && f.avx512vl && f.avx512bw && f.vpclmulqdq)
    return {crc32c_detail::crc32c_avx512, "avx512-vpclmulqdq"};
  if (f.sse42 && f.pclmul) return {crc32c_detail::crc32c_sse42_3way, "sse42-3way"};
  if (f.sse42) return {crc32c_detail::crc32c_sse42_1way, "sse42"};
#endif
#if defined(STEMEDB_CRC_ARM64)
  if (f.arm_crc32 && f.arm_pmull) return {crc32c_detail::crc32c_arm_3way, "arm-crc32-3way"};
  if (f.arm_crc32) return {crc32c_detail::crc32c_arm, "arm-crc32"};
#endif
  return {crc32c_portable, "slice8"};
}

const Choice& choice() {
  static const Choice c = choose();
  return c;
}

uint32_t resolve(uint32_t crc, const uint8_t* data, size_t len);

std::atomic<CrcFn> g_fn{resolve};

uint32_t resolve(uint32_t crc, const uint8_t* data, size_t len) {
  CrcFn fn = choice().fn;
  g_fn.store(fn, std::memory_order_relaxed);
  return fn(crc, data, len);
}

}  // namespace

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t len) {
  return g_fn.load(std::memory_order_relaxed)(crc, data, len);
}

const char* crc32c_impl_name() { return choice().name; }

}  // namespace stemedb
