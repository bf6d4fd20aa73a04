// System errors for the IO part of the addon, shaped like Node's fs errors
// (argument errors: napi/errors.h).
#include "io/io_internal.h"

namespace stemedb {
namespace io {

std::string ErrName(int err) {
  char buf[64];
  const char* name = uv_err_name_r(err, buf, sizeof buf);
  std::string s = name ? name : "";
  // libuv formats codes it does not know as "Unknown system error N".
  if (s.empty() || s.compare(0, 7, "Unknown") == 0) return "UNKNOWN";
  return s;
}

Napi::Error SysError(Napi::Env env, int err, const char* syscall, const char* path) {
  std::string code = ErrName(err);
  char buf[256];
  std::string msg = code + ": " + uv_strerror_r(err, buf, sizeof buf);
  if (err == UV_ENOSPC) msg += " (the disk is full)";
  if (syscall) msg += std::string(", ") + syscall;
  if (path) msg += std::string(" '") + path + "'";

  Napi::Error e = Napi::Error::New(env, msg);
  Napi::Object o = e.Value();
  o.Set("code", Napi::String::New(env, code));
  o.Set("errno", Napi::Number::New(env, err));
  if (syscall) o.Set("syscall", Napi::String::New(env, syscall));
  if (path) o.Set("path", Napi::String::New(env, path));
  return e;
}

}  // namespace io
}  // namespace stemedb
