// Registers the IO functions on the addon's exports.
#include "io.h"

#include "io_internal.h"

namespace stemedb {

void InitIo(Napi::Env env, Napi::Object exports) {
  exports.Set("lock", Napi::Function::New(env, io::JsLock, "lock"));
  exports.Set("unlock", Napi::Function::New(env, io::JsUnlock, "unlock"));
  exports.Set("writev", Napi::Function::New(env, io::JsWritev, "writev"));
  exports.Set("fsync", Napi::Function::New(env, io::JsFsync, "fsync"));
  exports.Set("fsyncDir", Napi::Function::New(env, io::JsFsyncDir, "fsyncDir"));
  exports.Set("writerOpen", Napi::Function::New(env, io::JsWriterOpen, "writerOpen"));
  exports.Set("writerWritev", Napi::Function::New(env, io::JsWriterWritev, "writerWritev"));
  exports.Set("writerClose", Napi::Function::New(env, io::JsWriterClose, "writerClose"));
}

}  // namespace stemedb
