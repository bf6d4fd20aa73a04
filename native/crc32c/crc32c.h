// CRC32C (Castagnoli, reflected polynomial 0x82F63B78, init/xorout 0xFFFFFFFF).
#pragma once
#include <cstddef>
#include <cstdint>

namespace stemedb {

// Continues a running CRC: crc32c_extend(crc32c_extend(0, a), b) == crc32c(a || b).
// `crc` is a finished CRC value (0 to start); the result is finished too.
// Dispatches at run time to the fastest path the CPU has.
uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t len);

// Name of the path the dispatcher chose ("avx512-vpclmulqdq", "sse42-3way", "slice8", ...).
const char* crc32c_impl_name();

// The portable slicing-by-8 path, always present (tests compare against it).
uint32_t crc32c_portable(uint32_t crc, const uint8_t* data, size_t len);

}  // namespace stemedb
