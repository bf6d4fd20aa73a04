// Private to native/crc32c/: per-path entry points (so tests can force each
// path), compile-time GF(2) helpers for the folding constants, and the
// target-attribute macros that let SIMD code build without global -m flags.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../isa_target.h"
#include "crc32c.h"

#if defined(__x86_64__) || defined(_M_X64)
#define STEMEDB_CRC_X86 1
#include <immintrin.h>  // GCC/Clang declare every intrinsic; use is gated per function

#include <cstring>
#endif
// The crc32c instructions consume a register low byte first, so loading
// words with memcpy is only right on little-endian (aarch64_be uses slice8).
// GCC/Clang only: cpu_features() detects the extension on Linux and macOS,
// so MSVC arm64 builds take slice8.
#if defined(__aarch64__) && !defined(__ARM_BIG_ENDIAN) && (defined(__GNUC__) || defined(__clang__))
#define STEMEDB_CRC_ARM64 1
#endif

// GCC/Clang need the ISA enabled per function; MSVC (but not clang-cl, which
// also defines _MSC_VER) accepts the intrinsics anywhere.
#if defined(__GNUC__) || defined(__clang__)
#define STEMEDB_TARGET(isa) __attribute__((target(isa)))
#define STEMEDB_INLINE inline __attribute__((always_inline))
#else
#define STEMEDB_TARGET(isa)
#define STEMEDB_INLINE __forceinline
#endif
#define STEMEDB_TARGET_SSE42 STEMEDB_TARGET("sse4.2" STEMEDB_ISA_CRC32 ",pclmul")
#define STEMEDB_TARGET_AVX512 \
  STEMEDB_TARGET(             \
      "avx512f,avx512vl,avx512bw,vpclmulqdq,pclmul,sse4.2" STEMEDB_ISA_CRC32 STEMEDB_ISA_EVEX512)

namespace stemedb {
namespace crc32c_detail {

// Every per-path function has the public contract: `crc` is a finished CRC
// (0 to start) and the result is finished. Only call the SIMD ones when
// cpu_features() says the CPU has the ISA.
using CrcFn = uint32_t (*)(uint32_t crc, const uint8_t* data, size_t len);

#if defined(STEMEDB_CRC_X86)
uint32_t crc32c_sse42_1way(uint32_t crc, const uint8_t* data, size_t len);  // sse4.2
uint32_t crc32c_sse42_3way(uint32_t crc, const uint8_t* data, size_t len);  // + pclmul
uint32_t crc32c_avx512(uint32_t crc, const uint8_t* data, size_t len);      // + avx512/vpclmulqdq
#endif
#if defined(STEMEDB_CRC_ARM64)
uint32_t crc32c_arm(uint32_t crc, const uint8_t* data, size_t len);       // CRC32 extension
uint32_t crc32c_arm_3way(uint32_t crc, const uint8_t* data, size_t len);  // + PMULL
#endif

// Lengths (bytes) at which the faster-but-costlier-to-start paths take over,
// measured on AMD Zen 4 (chained calls, median of 15-21 runs):
//   one chain vs 3-way:  64 B 7.1 vs 8.2 ns, 80 B 8.8 vs 8.2, 96 B 10.4 vs 8.2
//   3-way vs AVX-512:   128 B 12.3 vs 9.6 ns, 192 B 12-15 vs 10-11, and on up
// The arm64 3-way path reuses kThreeWayMin (not measured on arm hardware).
constexpr size_t kThreeWayMin = 80;  // below: one crc32 chain (no merge cost)
constexpr size_t kAvx512Min = 128;   // below: the 3-way crc32 path

// ---- GF(2)[x] / P arithmetic, reflected bit order ------------------------
// A 32-bit remainder r stands for sum of x^(31-i) over set bits i, so x^0 is
// bit 31 and multiplying by x is a right shift (reducing by P when x^32
// would appear, i.e. when bit 0 falls off).
constexpr uint32_t kPoly = 0x82F63B78u;  // P(x) without x^32, reflected

constexpr uint32_t gf_mulx(uint32_t r) { return (r >> 1) ^ ((r & 1u) ? kPoly : 0u); }

// Inverse of gf_mulx: bit 31 of the result of gf_mulx is set exactly when
// P was XORed in (the shift alone leaves bit 31 clear).
constexpr uint32_t gf_divx(uint32_t r) {
  return (r & 0x80000000u) ? (((r ^ kPoly) << 1) | 1u) : (r << 1);
}

// a(x) * b(x) mod P.
constexpr uint32_t gf_mul(uint32_t a, uint32_t b) {
  uint32_t acc = 0;
  for (int i = 0; i < 32; i++) {  // bit 31-i of a is the x^i coefficient
    if (a & (0x80000000u >> i)) acc ^= b;
    b = gf_mulx(b);  // b is now b * x^(i+1)
  }
  return acc;
}

// x^n mod P for any integer n (x is invertible mod P since P(0) = 1).
constexpr uint32_t gf_xpow(long long n) {
  uint32_t result = 0x80000000u;  // x^0
  if (n < 0) {
    for (long long i = 0; i < -n; i++) result = gf_divx(result);
    return result;
  }
  uint32_t base = 0x40000000u;  // x^1
  while (n > 0) {               // square and multiply
    if (n & 1) result = gf_mul(result, base);
    base = gf_mul(base, base);
    n >>= 1;
  }
  return result;
}

// Carry-less multiplication of two reflected 32-bit remainders a, b, read
// back as a reflected 64-bit value, is a*b*x (the product lands one bit
// short of the top). A crc32 instruction on a 64-bit word w with state 0
// gives w*x^32 mod P. So clmul(c, x^(n-33)) fed to crc32 yields c*x^n mod P:
// the constant that shifts a CRC state past n zero bits.
constexpr uint32_t shift_const(long long nbits) { return gf_xpow(nbits - 33); }

// ---- 3-way crc32 chains (x86 and arm64) ---------------------------------
// Words (8 bytes) per stretch in a full-size 3-way chunk: long enough that
// the ~15-cycle serial merge is a few percent, small enough that the
// constant table stays a few KiB.
constexpr size_t kMaxWords = 512;

// k[j] = x^(64*j - 33) mod P: multiplier that advances a CRC over j words
// (see shift_const). Stretches of m words need k[m] and k[2m].
struct ShiftTable {
  uint32_t k[2 * kMaxWords + 1];
  constexpr ShiftTable() : k() {
    const uint32_t x64 = gf_xpow(64);
    k[1] = shift_const(64);
    for (size_t j = 2; j <= 2 * kMaxWords; j++) k[j] = gf_mul(k[j - 1], x64);
  }
};

// Tables come from constexpr constructors but live in function-local
// statics that are not declared constexpr: GCC and Clang must still
// constant-initialise them (no guard, no run-time cost), while a compiler
// whose constexpr step limit is lower (MSVC's default is small) falls back
// to building them once on first use instead of failing to compile. Being
// function-local, they are also safe to use from other static initialisers.
inline const ShiftTable& shift_table() {
  static const ShiftTable table{};
  return table;
}

#if defined(STEMEDB_CRC_X86)
// One crc32 chain over the input: the cheapest path for short buffers (no
// setup, no combine), and the tail of every longer path. `raw` is the
// un-inverted CRC register. Inlined into each x86 path's entry; it needs only
// sse4.2 so that every x86 path (a superset ISA) may inline it.
STEMEDB_TARGET("sse4.2" STEMEDB_ISA_CRC32)
STEMEDB_INLINE uint32_t sse42_chain(uint32_t raw, const uint8_t* p, size_t n) {
  uint64_t c = raw;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  uint32_t r = static_cast<uint32_t>(c);
  if (n & 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    r = _mm_crc32_u32(r, w);
    p += 4;
  }
  if (n & 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    r = _mm_crc32_u16(r, w);
    p += 2;
  }
  if (n & 1) r = _mm_crc32_u8(r, *p);
  return r;
}

// The 3-way body on the raw register (used by the AVX-512 path below its
// threshold). Requires sse4.2 + pclmul.
uint32_t sse42_3way_raw(uint32_t raw, const uint8_t* p, size_t n);
#endif

}  // namespace crc32c_detail
}  // namespace stemedb
