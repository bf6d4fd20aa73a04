// Registers the IO functions on the addon's exports (listed in addon.h).
#include "addon.h"
#include "io/io_internal.h"

namespace stemedb {

void InitIo(Napi::Env env, Napi::Object exports) {
  exports.Set("lock", Napi::Function::New<io::JsLock>(env, "lock"));
  exports.Set("unlock", Napi::Function::New<io::JsUnlock>(env, "unlock"));
  exports.Set("writev", Napi::Function::New<io::JsWritev>(env, "writev"));
  exports.Set("fsync", Napi::Function::New<io::JsFsync>(env, "fsync"));
  exports.Set("fsyncDir", Napi::Function::New<io::JsFsyncDir>(env, "fsyncDir"));
  exports.Set("writerOpen", Napi::Function::New<io::JsWriterOpen>(env, "writerOpen"));
  exports.Set("writerWritev", Napi::Function::New<io::JsWriterWritev>(env, "writerWritev"));
  exports.Set("writerClose", Napi::Function::New<io::JsWriterClose>(env, "writerClose"));
  exports.Set("readerOpen", Napi::Function::New<io::JsReaderOpen>(env, "readerOpen"));
  exports.Set("readStart", Napi::Function::New<io::JsReadStart>(env, "readStart"));
  exports.Set("readWait", Napi::Function::New<io::JsReadWait>(env, "readWait"));
  exports.Set("readTouch", Napi::Function::New<io::JsReadTouch>(env, "readTouch"));
}

}  // namespace stemedb
