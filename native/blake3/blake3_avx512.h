// What both AVX-512 files (blake3_avx512.cc, blake3_avx512_rows.cc) need first: the
// intrinsics, the target attribute for their functions, and a GCC warning workaround.
// x86 only: include it inside #if defined(STEMEDB_B3_X86).
#pragma once
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 headers trip these on their own "__Y = __Y" placeholder (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "../isa_target.h"
#include "blake3_impl.h"

#define B3_AVX512 B3_TARGET("avx512f,avx512vl,avx512bw" STEMEDB_ISA_EVEX512)
