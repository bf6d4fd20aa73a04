// Module entry: registers every part's functions (addon.h).
#include "addon.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  stemedb::InitCrc32c(env, exports);
  stemedb::InitBlake3(env, exports);
  stemedb::InitFrames(env, exports);
  stemedb::InitIo(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
