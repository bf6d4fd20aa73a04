#include "cpu_features.h"

#include <cstdlib>
#include <cstring>

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <immintrin.h>
#include <intrin.h>
#define STEMEDB_X86 1
#elif defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define STEMEDB_X86 1
#endif

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace stemedb {
namespace {

#if defined(STEMEDB_X86)
void cpuid(int leaf, int sub, unsigned r[4]) {
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, leaf, sub);
  for (int i = 0; i < 4; i++) r[i] = static_cast<unsigned>(regs[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

unsigned long long xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
#endif
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
  const char* no_simd = std::getenv("STEMEDB_NO_SIMD");
  if (no_simd && std::strcmp(no_simd, "1") == 0) return f;
#if defined(STEMEDB_X86)
  unsigned r[4];
  cpuid(0, 0, r);
  unsigned max_leaf = r[0];
  if (max_leaf < 1) return f;
  cpuid(1, 0, r);
  unsigned ecx1 = r[2];
  f.sse41 = (ecx1 >> 19) & 1;
  f.sse42 = (ecx1 >> 20) & 1;
  f.pclmul = (ecx1 >> 1) & 1;
  bool osxsave = (ecx1 >> 27) & 1;
  bool avx = (ecx1 >> 28) & 1;
  unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
  bool ymm_os = (xcr0 & 0x6) == 0x6;
  bool zmm_os = (xcr0 & 0xE6) == 0xE6;
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    unsigned ebx7 = r[1], ecx7 = r[2];
    f.avx2 = avx && ymm_os && ((ebx7 >> 5) & 1);
    f.avx512f = zmm_os && ((ebx7 >> 16) & 1);
    f.avx512bw = f.avx512f && ((ebx7 >> 30) & 1);
    f.avx512vl = f.avx512f && ((ebx7 >> 31) & 1);
    f.vpclmulqdq = f.avx512f && ((ecx7 >> 10) & 1);
  }
#elif defined(__aarch64__)
  f.arm_neon = true;
#if defined(__linux__)
  unsigned long hw = getauxval(AT_HWCAP);
  f.arm_neon = (hw >> 1) & 1;   // HWCAP_ASIMD
  f.arm_crc32 = (hw >> 7) & 1;  // HWCAP_CRC32
  f.arm_pmull = (hw >> 4) & 1;  // HWCAP_PMULL
#elif defined(__APPLE__)
  f.arm_crc32 = true;  // every Apple silicon core has CRC32 and PMULL
  f.arm_pmull = true;
#endif
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace stemedb
