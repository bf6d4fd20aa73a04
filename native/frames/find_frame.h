// Finding the next frame that verifies after damaged bytes, in time linear in the bytes
// searched (see src/journal/recovery/find-frame.ts for the method; this is its native path).
#pragma once
#include <cstddef>
#include <cstdint>

#include "frames/frames.h"

namespace stemedb {

// out[i] = CRC32C of buf[0, i * step) for i = 0 .. len / step (out holds len / step + 1).
void crc32c_checkpoints(const uint8_t* buf, size_t len, size_t step, uint32_t* out);

// crc * x^(8n) mod P: a CRC moved past n more bytes (without their own CRC).
uint32_t crc32c_shift(uint32_t crc, uint64_t n);

// The first position p >= from with p + 40 <= len where a whole frame verifies (its
// length within buf, CRC32C bound to binding.offset + p when bound, BLAKE3), or -1.
// `checkpoints` are crc32c_checkpoints(buf, len, step); a candidate costs O(step).
int64_t find_frame(const uint8_t* buf, size_t len, size_t from, const uint32_t* checkpoints,
                   size_t step, FrameBinding binding);

}  // namespace stemedb
