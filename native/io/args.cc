// Argument checks for the IO functions, run on the JS thread before any work
// is queued. Wrong types throw TypeError, bad numbers RangeError; never crash.
#include "io_internal.h"

#include <cmath>
#include <limits>

namespace stemedb {
namespace io {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

std::string Label(size_t i, const char* what) {
  return std::string("argument ") + std::to_string(i + 1) + " (" + what + ")";
}

// Fetches argument i as a double; throws TypeError if it is not a number.
bool ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* what, double* out) {
  Napi::Value v = info[i];  // undefined when missing
  if (!v.IsNumber()) {
    ThrowTypeError(info.Env(), Label(i, what) + " must be a number");
    return false;
  }
  *out = v.As<Napi::Number>().DoubleValue();
  return true;
}

}  // namespace

bool ArgFd(const Napi::CallbackInfo& info, size_t i, const char* what, int* out) {
  double d;
  if (!ArgNumber(info, i, what, &d)) return false;
  if (!std::isfinite(d) || std::floor(d) != d ||
      d < static_cast<double>(std::numeric_limits<int32_t>::min()) ||
      d > static_cast<double>(std::numeric_limits<int32_t>::max())) {
    ThrowRangeError(info.Env(), Label(i, what) + " must be an integer in int32 range");
    return false;
  }
  *out = static_cast<int>(d);
  return true;
}

bool ArgPosition(const Napi::CallbackInfo& info, size_t i, const char* what, uint64_t* out) {
  double d;
  if (!ArgNumber(info, i, what, &d)) return false;
  if (!std::isfinite(d) || std::floor(d) != d || d < 0 || d > kMaxSafeInteger) {
    ThrowRangeError(info.Env(), Label(i, what) + " must be a non-negative safe integer");
    return false;
  }
  *out = static_cast<uint64_t>(d);
  return true;
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* what, bool* out) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) {
    ThrowTypeError(info.Env(), Label(i, what) + " must be a boolean");
    return false;
  }
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

bool ArgPath(const Napi::CallbackInfo& info, size_t i, const char* what, std::string* out) {
  Napi::Value v = info[i];
  if (!v.IsString()) {
    ThrowTypeError(info.Env(), Label(i, what) + " must be a string");
    return false;
  }
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.empty() || s.find('\0') != std::string::npos) {
    ThrowTypeError(info.Env(), Label(i, what) + " must be a non-empty path without NUL bytes");
    return false;
  }
  *out = std::move(s);
  return true;
}

}  // namespace io
}  // namespace stemedb
