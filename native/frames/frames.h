// Record frames: [len:u32 LE][crc32c:u32 LE][blake3:32][payload:len]; blake3 is the
// hash of the payload alone. v2: crc32c covers len, blake3 and payload. v3 (bound):
// crc32c covers the record's global offset (u64 LE) first, then the same, so a frame
// verifies only at the offset it was written to (docs/format.md).
#pragma once
#include <cstddef>
#include <cstdint>

namespace stemedb {

// Header fields (docs/format.md, "Record frame"): byte offset and size of each.
constexpr size_t kFrameLenAt = 0;
constexpr size_t kFrameLenSize = 4;
constexpr size_t kFrameCrcAt = kFrameLenAt + kFrameLenSize;
constexpr size_t kFrameCrcSize = 4;
constexpr size_t kFrameHashAt = kFrameCrcAt + kFrameCrcSize;
constexpr size_t kFrameHashSize = 32;  // BLAKE3's default output (checked in frames.cc)
constexpr size_t kFrameHeader = kFrameHashAt + kFrameHashSize;
static_assert(kFrameLenAt == 0 && kFrameCrcAt == 4 && kFrameHashAt == 8,
              "frame header fields moved");
static_assert(kFrameHeader == 4 + 4 + 32,
              "the frame header is 40 bytes (FRAME_HEADER in TypeScript)");

// Header fields are little-endian whatever the CPU.
inline uint32_t load_u32le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// The payload length stored in a frame header.
inline uint32_t load_frame_len(const uint8_t* frame) { return load_u32le(frame + kFrameLenAt); }

// How frame CRCs are bound: unbound (v2), or to global offsets, where the frame at
// buffer position `start` (verify) or 0 (seal, batch) has global offset `offset`.
struct FrameBinding {
  bool bound = false;
  uint64_t offset = 0;
};

enum FrameStatus : uint32_t {
  kFrameOk = 0,                // walked to `end` (or max_count) without a failure
  kFrameTruncatedHeader = 1,   // fewer than 40 bytes left before `end`
  kFrameTruncatedPayload = 2,  // header claims more payload than is left before `end`
  kFrameTooLarge = 3,          // len > max_len
  kFrameCrcMismatch = 4,
  kFrameHashMismatch = 5,
  kFrameZeros = 6,  // an all-zero header: the end of written data
};

struct VerifyResult {
  uint64_t count = 0;  // valid frames before the stop
  uint64_t pos = 0;    // position after the last valid frame
  uint32_t status = kFrameOk;
};

// Walks frames in buf[start, end); stops at the first failure, at `end`, or after
// max_count frames. Hashes are checked in SIMD batches across frames.
VerifyResult verify_frames(const uint8_t* buf, size_t start, size_t end, uint64_t max_len,
                           uint64_t max_count, FrameBinding binding);

// Fills crc and hash of `count` frames laid out back to back from buf[0], whose
// len fields are already written. Returns the end position, or SIZE_MAX if a
// frame would pass `size`.
size_t seal_frames(uint8_t* buf, size_t size, size_t count, FrameBinding binding);

// For `n` payloads stored back to back in `data` with the given lengths: each
// payload's BLAKE3 into hashes[i*32] and its frame CRC32C into crcs[i] (bound: as
// frames laid out back to back from binding.offset).
void frame_batch(const uint8_t* data, const uint32_t* lens, size_t n, uint8_t* hashes,
                 uint32_t* crcs, FrameBinding binding);

// Frame CRC from its parts (len field value, the 32-byte hash, the payload); bound
// to `offset` when `bound`.
uint32_t frame_crc(uint32_t len, const uint8_t* hash, const uint8_t* payload, bool bound,
                   uint64_t offset);

}  // namespace stemedb
