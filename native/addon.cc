// Module entry: the hash functions (raw N-API, hot path) and the IO functions
// (node-addon-api, async workers).
#include <napi.h>

#include "hash_binding.h"
#include "io/io.h"

static napi_value Init(napi_env env, napi_value exports) {
  stemedb::InitHash(env, exports);
  stemedb::InitHashAsync(env, exports);
  InitIo(Napi::Env(env), Napi::Object(env, exports));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
