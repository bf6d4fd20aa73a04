// The frame functions: batch hashing and sealing for the write path, verification and
// the search for the next good frame for reads and recovery. Arguments are checked here
// too (the TypeScript layer checks first, with friendlier words), so a wrong type is
// always a TypeError, never a crash.
#include <cstring>

#include "addon.h"
#include "blake3/blake3.h"
#include "frames/find_frame.h"
#include "frames/frames.h"
#include "napi/args.h"

namespace stemedb {

namespace {

// The optional `offset` argument at info[i]: absent or undefined = unbound (v2) frames;
// a safe integer = frames bound to global offsets from there (v3).
bool ArgBinding(const Napi::CallbackInfo& info, size_t i, FrameBinding* out) {
  *out = FrameBinding{};
  if (info.Length() <= i || info[i].IsUndefined()) return true;
  out->bound = true;
  return ArgIndex(info.Env(), info[i], "offset", &out->offset);
}

// frameBatch(data, lengths: Uint32Array, hashesOut, crcsOut: Uint32Array, offset?)
Napi::Value FrameBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes data, hashes;
  uint32_t* lens;
  uint32_t* crcs;
  size_t n, ncrc;
  FrameBinding binding;
  if (!ArgBytes(env, info[0], "data", &data) || !ArgU32Array(env, info[1], "lengths", &lens, &n) ||
      !ArgBytes(env, info[2], "hashes", &hashes) ||
      !ArgU32Array(env, info[3], "crcs", &crcs, &ncrc) || !ArgBinding(info, 4, &binding))
    return Napi::Value();
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) total += lens[i];
  if (total > data.len) return ThrowRangeError(env, "lengths add up to more than data holds");
  if (hashes.len < n * blake3::kOutLen || ncrc < n)
    return ThrowRangeError(env, "output arrays are too small");
  frame_batch(data.data, lens, n, hashes.data, crcs, binding);
  return Napi::Value();
}

// sealFrames(buf, count, hashesOut?, offset?) -> end position. With hashesOut, each
// frame's hash is also copied to hashesOut[i*32] (the journal's results keep those, so
// its frame buffer can be reused for the next batch).
Napi::Value SealFrames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes buf, hashes;
  uint64_t count;
  if (!ArgBytes(env, info[0], "buf", &buf) || !ArgIndex(env, info[1], "count", &count))
    return Napi::Value();
  bool want_hashes = info.Length() >= 3 && !info[2].IsUndefined();
  if (want_hashes) {
    if (!ArgBytes(env, info[2], "hashes", &hashes)) return Napi::Value();
    if (hashes.len / blake3::kOutLen < count) return ThrowRangeError(env, "hashes is too small");
  }
  FrameBinding binding;
  if (!ArgBinding(info, 3, &binding)) return Napi::Value();
  size_t end = seal_frames(buf.data, buf.len, count, binding);
  if (end == SIZE_MAX) return ThrowRangeError(env, "a frame's length field runs past the buffer");
  if (want_hashes) {
    size_t q = 0;
    for (uint64_t i = 0; i < count; i++) {
      const uint8_t* f = buf.data + q;
      std::memcpy(hashes.data + i * blake3::kOutLen, f + kFrameHashAt, kFrameHashSize);
      q += kFrameHeader + load_frame_len(f);
    }
  }
  return Napi::Number::New(env, static_cast<double>(end));
}

// verifyFrames(buf, start, end, maxLen, maxCount, out: Float64Array[3], offset?) -> status
// (offset: the global offset of the frame at `start`)
// out = [valid frames, position after the last valid frame, status]
Napi::Value VerifyFrames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes buf;
  uint64_t start, end, max_len, max_count;
  double* out;
  size_t nout;
  if (!ArgBytes(env, info[0], "buf", &buf) || !ArgIndex(env, info[1], "start", &start) ||
      !ArgIndex(env, info[2], "end", &end) || !ArgIndex(env, info[3], "maxLen", &max_len) ||
      !ArgIndex(env, info[4], "maxCount", &max_count) ||
      !ArgF64Array(env, info[5], "out", &out, &nout))
    return Napi::Value();
  if (start > end || end > buf.len) return ThrowRangeError(env, "start/end out of the buffer");
  if (nout < 3) return ThrowRangeError(env, "out must hold 3 numbers");
  FrameBinding binding;
  if (!ArgBinding(info, 6, &binding)) return Napi::Value();
  VerifyResult r = verify_frames(buf.data, start, end, max_len, max_count, binding);
  out[0] = static_cast<double>(r.count);
  out[1] = static_cast<double>(r.pos);
  out[2] = r.status;
  return Napi::Number::New(env, r.status);
}

// crc32cCheckpoints(buf, step, out: Uint32Array): out[i] = CRC32C of buf[0, i*step).
Napi::Value Crc32cCheckpoints(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes buf;
  uint64_t step;
  uint32_t* out;
  size_t nout;
  if (!ArgBytes(env, info[0], "buf", &buf) || !ArgIndex(env, info[1], "step", &step) ||
      !ArgU32Array(env, info[2], "out", &out, &nout))
    return Napi::Value();
  if (step == 0) return ThrowRangeError(env, "step must be positive");
  if (nout < buf.len / step + 1) return ThrowRangeError(env, "out is too small");
  crc32c_checkpoints(buf.data, buf.len, step, out);
  return Napi::Value();
}

// findFrame(buf, from, checkpoints: Uint32Array, step, offset?) -> position or -1
// (offset: the global offset of buf[0]; frames bound to theirs when given).
Napi::Value FindFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes buf;
  uint64_t from, step;
  uint32_t* cps;
  size_t ncps;
  if (!ArgBytes(env, info[0], "buf", &buf) || !ArgIndex(env, info[1], "from", &from) ||
      !ArgU32Array(env, info[2], "checkpoints", &cps, &ncps) ||
      !ArgIndex(env, info[3], "step", &step))
    return Napi::Value();
  if (step == 0) return ThrowRangeError(env, "step must be positive");
  if (ncps < buf.len / step + 1) return ThrowRangeError(env, "checkpoints is too small");
  FrameBinding binding;
  if (!ArgBinding(info, 4, &binding)) return Napi::Value();
  int64_t pos = from > buf.len ? -1 : find_frame(buf.data, buf.len, from, cps, step, binding);
  return Napi::Number::New(env, static_cast<double>(pos));
}

}  // namespace

void InitFrames(Napi::Env env, Napi::Object exports) {
  exports.Set("frameBatch", Napi::Function::New<FrameBatch>(env, "frameBatch"));
  exports.Set("sealFrames", Napi::Function::New<SealFrames>(env, "sealFrames"));
  exports.Set("verifyFrames", Napi::Function::New<VerifyFrames>(env, "verifyFrames"));
  exports.Set("crc32cCheckpoints",
              Napi::Function::New<Crc32cCheckpoints>(env, "crc32cCheckpoints"));
  exports.Set("findFrame", Napi::Function::New<FindFrame>(env, "findFrame"));
}

}  // namespace stemedb
