#pragma once
#include <node_api.h>

namespace stemedb {
// Adds crc32c, blake3, the streaming hasher, the frame batch helpers and
// blake3Async to `exports`.
void InitHash(napi_env env, napi_value exports);
void InitHashAsync(napi_env env, napi_value exports);
}  // namespace stemedb
