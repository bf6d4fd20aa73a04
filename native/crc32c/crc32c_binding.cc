// crc32c(data: Uint8Array, seed: number) -> number: the CRC of data continuing from
// `seed` (a finished CRC; 0 to start).
#include "addon.h"
#include "crc32c/crc32c.h"
#include "napi/args.h"
#include "napi/fast_call.h"

namespace stemedb {

namespace {

Napi::Value Crc32c(const FastArgs<2>& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2) return ThrowTypeError(env, "crc32c(data, seed) needs two arguments");
  Bytes data;
  uint32_t seed;
  if (!ArgBytes(env, info[0], "data", &data) || !ArgU32(env, info[1], "seed", &seed))
    return Napi::Value();
  return U32Value(env, crc32c_extend(seed, data.data, data.len));
}

}  // namespace

void InitCrc32c(Napi::Env env, Napi::Object exports) {
  ExportFast<2, Crc32c>(env, exports, "crc32c");
}

}  // namespace stemedb
