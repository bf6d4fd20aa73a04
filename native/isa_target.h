// Target-attribute feature names whose spelling depends on the compiler version,
// so the same sources build with GCC, clang 14-19+ and Apple clang:
//  - clang >= 16 requires "crc32" next to "sse4.2" for _mm_crc32_* (GCC and
//    clang >= 14 accept it; older clang neither knows nor needs it);
//  - clang >= 18 requires "evex512" for 512-bit vectors in an AVX-512 function
//    (GCC 14's avx512f implies it, and GCC 12 rejects the name).
// Apple clang numbers its releases apart from LLVM (Apple 14 = LLVM 15,
// Apple 17 = LLVM 19), hence __apple_build_version__.
#pragma once

#if defined(__clang__) && defined(__apple_build_version__)
#define STEMEDB_CLANG_KNOWS_CRC32 (__clang_major__ >= 14)
#define STEMEDB_CLANG_NEEDS_EVEX512 (__clang_major__ >= 17)
#elif defined(__clang__)
#define STEMEDB_CLANG_KNOWS_CRC32 (__clang_major__ >= 14)
#define STEMEDB_CLANG_NEEDS_EVEX512 (__clang_major__ >= 18)
#else
#define STEMEDB_CLANG_KNOWS_CRC32 0
#define STEMEDB_CLANG_NEEDS_EVEX512 0
#endif

#if STEMEDB_CLANG_KNOWS_CRC32 || (defined(__GNUC__) && !defined(__clang__))
#define STEMEDB_ISA_CRC32 ",crc32"
#else
#define STEMEDB_ISA_CRC32 ""
#endif

#if STEMEDB_CLANG_NEEDS_EVEX512
#define STEMEDB_ISA_EVEX512 ",evex512"
#else
#define STEMEDB_ISA_EVEX512 ""
#endif
