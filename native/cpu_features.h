// Run-time CPU feature detection shared by the CRC32C and BLAKE3 dispatchers.
#pragma once

namespace stemedb {

struct CpuFeatures {
  bool sse41 = false;
  bool sse42 = false;
  bool pclmul = false;
  bool avx2 = false;
  bool avx512f = false;
  bool avx512vl = false;
  bool avx512bw = false;
  bool vpclmulqdq = false;
  bool arm_crc32 = false;  // aarch64 CRC32 extension
  bool arm_pmull = false;  // aarch64 PMULL
  bool arm_neon = false;   // aarch64 Advanced SIMD (every core, but STEMEDB_NO_SIMD clears it)
};

// Detected once, then cached. Honours STEMEDB_NO_SIMD=1 (all false) so tests
// can force the portable paths in a child process.
const CpuFeatures& cpu_features();

}  // namespace stemedb
