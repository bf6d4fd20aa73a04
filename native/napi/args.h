// Argument checks for every binding, run on the JS thread before any work: a wrong
// type throws TypeError (ERR_INVALID_ARG_TYPE), a bad number RangeError
// (ERR_OUT_OF_RANGE), never a crash. Each Arg* returns false after throwing; the
// binding then returns an empty Napi::Value (undefined) at once.
//
// The bindings speak node-addon-api; the checks on the hashing hot path (ArgBytes,
// ArgU32, ArgIndex; inline, their throws out of line) make the one raw N-API call that answers both
// "is it the right type" and "what is it", where the wrapper classes would make two or three (a
// call costs a few ns, and hashing 64 bytes ~70 ns).
#pragma once
#include <napi.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "napi/errors.h"

namespace stemedb {

// How an error message names the argument: by name ("data must be a Uint8Array",
// the hash and frame functions) or by position and name ("argument 2 (fd) must be a
// number", the IO functions). The text is built only when an error is thrown.
class ArgName {
 public:
  ArgName(const char* name)
      : name_(name) {}  // NOLINT: implicit, so a string literal names an argument
  ArgName(size_t index, const char* name) : name_(name), position_(index + 1) {}
  std::string Text() const;

 private:
  const char* name_;
  size_t position_ = 0;  // 1-based; 0 = not numbered
};

struct Bytes {
  uint8_t* data = nullptr;
  size_t len = 0;
};

// The failure paths of the checks inlined below (args.cc): each throws. EmptyBytes: true
// unless the empty view is detached.
namespace arg_failure {
void NotBytes(Napi::Env env, const ArgName& what);
bool EmptyBytes(Napi::Env env, Napi::Value v, const ArgName& what, Bytes* out);  // detached?
void NotNumber(Napi::Env env, const ArgName& what);
void OutOfRange(Napi::Env env, const ArgName& what, const char* range);
}  // namespace arg_failure

// A Uint8Array or Buffer (Uint8ClampedArray too; other typed arrays and DataView are
// refused), not backed by a detached ArrayBuffer.
inline bool ArgBytes(Napi::Env env, Napi::Value v, const ArgName& what, Bytes* out) {
  // napi_get_typedarray_info refuses a non-typed-array itself (napi_invalid_arg), so no
  // separate type test; only an empty view needs a second look (detached?).
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      (type != napi_uint8_array && type != napi_uint8_clamped_array)) {
    arg_failure::NotBytes(env, what);
    return false;
  }
  out->data = static_cast<uint8_t*>(data);
  out->len = length;
  return length != 0 || arg_failure::EmptyBytes(env, v, what, out);
}
// A Uint32Array / Float64Array: its data and element count.
bool ArgU32Array(Napi::Env env, Napi::Value v, const ArgName& what, uint32_t** data, size_t* count);
bool ArgF64Array(Napi::Env env, Napi::Value v, const ArgName& what, double** data, size_t* count);
// A number that is an integer in [lo, hi]. One call: napi_get_value_double refuses a
// non-number itself; NaN and infinities fail the comparisons. `range` words [lo, hi].
inline bool ArgInteger(Napi::Env env, Napi::Value v, const ArgName& what, double lo, double hi,
                       const char* range, double* out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    arg_failure::NotNumber(env, what);
    return false;
  }
  if (!(*out >= lo) || *out > hi || std::floor(*out) != *out) {
    arg_failure::OutOfRange(env, what, range);
    return false;
  }
  return true;
}
// A non-negative safe integer (offsets, lengths, counts): <= 2^53 - 1.
inline bool ArgIndex(Napi::Env env, Napi::Value v, const ArgName& what, uint64_t* out) {
  double d;
  if (!ArgInteger(env, v, what, 0, 9007199254740991.0, "a non-negative safe integer", &d))
    return false;
  *out = static_cast<uint64_t>(d);
  return true;
}
// An integer in [0, 2^32).
inline bool ArgU32(Napi::Env env, Napi::Value v, const ArgName& what, uint32_t* out) {
  double d;
  if (!ArgInteger(env, v, what, 0, 4294967295.0, "an integer in [0, 2^32)", &d)) return false;
  *out = static_cast<uint32_t>(d);
  return true;
}
// An integer in int32 range (file descriptors: a negative one passes through to the
// OS, which says EBADF).
bool ArgInt32(Napi::Env env, Napi::Value v, const ArgName& what, int32_t* out);
bool ArgBool(Napi::Env env, Napi::Value v, const ArgName& what, bool* out);
// A handle this addon made: an External tagged `tag` with its data set. Anything else, a forged
// or foreign External included, throws TypeError "<what> must be a handle from <from>".
template <typename T>
T* ArgHandle(Napi::Env env, Napi::Value v, const napi_type_tag* tag, const ArgName& what,
             const char* from) {
  if (!v.IsExternal() || !v.As<Napi::External<T>>().CheckTypeTag(tag) ||
      v.As<Napi::External<T>>().Data() == nullptr) {
    ThrowTypeError(env, what.Text() + " must be a handle from " + from);
    return nullptr;
  }
  return v.As<Napi::External<T>>().Data();
}
// A string, as UTF-8.
bool ArgString(Napi::Env env, Napi::Value v, const ArgName& what, std::string* out);
// A non-empty string without NUL bytes.
bool ArgPath(Napi::Env env, Napi::Value v, const ArgName& what, std::string* out);

}  // namespace stemedb
