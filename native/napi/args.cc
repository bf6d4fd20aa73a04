#include "napi/args.h"

#include <cmath>

namespace stemedb {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

// One call: napi_get_value_double refuses a non-number itself (napi_number_expected).
bool ArgNumber(Napi::Env env, Napi::Value v, const ArgName& what, double* out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    ThrowTypeError(env, what.Text() + " must be a number");
    return false;
  }
  return true;
}

// An integer number in [lo, hi]; NaN and infinities fail the comparisons.
bool ArgInteger(Napi::Env env, Napi::Value v, const ArgName& what, double lo, double hi, const char* range,
                double* out) {
  if (!ArgNumber(env, v, what, out)) return false;
  if (!(*out >= lo) || *out > hi || std::floor(*out) != *out) {
    ThrowRangeError(env, what.Text() + " must be " + range);
    return false;
  }
  return true;
}

bool ArgTyped(Napi::Env env, Napi::Value v, const ArgName& what, napi_typedarray_type want, const char* type_name,
              void** data, size_t* count) {
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, count, data, nullptr, nullptr) != napi_ok || type != want) {
    ThrowTypeError(env, what.Text() + " must be a " + type_name);
    return false;
  }
  return true;
}

}  // namespace

std::string ArgName::Text() const {
  if (position_ == 0) return name_;
  return "argument " + std::to_string(position_) + " (" + name_ + ")";
}

bool ArgBytes(Napi::Env env, Napi::Value v, const ArgName& what, Bytes* out) {
  // napi_get_typedarray_info refuses a non-typed-array itself (napi_invalid_arg), so no
  // separate type test; the ArrayBuffer handle is fetched only for the rare empty view.
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      (type != napi_uint8_array && type != napi_uint8_clamped_array)) {
    ThrowTypeError(env, what.Text() + " must be a Uint8Array");
    return false;
  }
  if (length == 0) {
    // A detached buffer reads as empty; refuse it rather than hash nothing.
    napi_value ab;
    bool detached = false;
    if (napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, &ab, nullptr) == napi_ok)
      napi_is_detached_arraybuffer(env, ab, &detached);
    if (detached) {
      ThrowTypeError(env, what.Text() + " is backed by a detached ArrayBuffer");
      return false;
    }
  }
  out->data = static_cast<uint8_t*>(data);
  out->len = length;
  return true;
}

bool ArgU32Array(Napi::Env env, Napi::Value v, const ArgName& what, uint32_t** data, size_t* count) {
  void* p = nullptr;
  if (!ArgTyped(env, v, what, napi_uint32_array, "Uint32Array", &p, count)) return false;
  *data = static_cast<uint32_t*>(p);
  return true;
}

bool ArgF64Array(Napi::Env env, Napi::Value v, const ArgName& what, double** data, size_t* count) {
  void* p = nullptr;
  if (!ArgTyped(env, v, what, napi_float64_array, "Float64Array", &p, count)) return false;
  *data = static_cast<double*>(p);
  return true;
}

bool ArgIndex(Napi::Env env, Napi::Value v, const ArgName& what, uint64_t* out) {
  double d;
  if (!ArgInteger(env, v, what, 0, kMaxSafeInteger, "a non-negative safe integer", &d)) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

bool ArgU32(Napi::Env env, Napi::Value v, const ArgName& what, uint32_t* out) {
  double d;
  if (!ArgInteger(env, v, what, 0, 4294967295.0, "an integer in [0, 2^32)", &d)) return false;
  *out = static_cast<uint32_t>(d);
  return true;
}

bool ArgInt32(Napi::Env env, Napi::Value v, const ArgName& what, int32_t* out) {
  double d;
  if (!ArgInteger(env, v, what, -2147483648.0, 2147483647.0, "an integer in int32 range", &d)) return false;
  *out = static_cast<int32_t>(d);
  return true;
}

bool ArgBool(Napi::Env env, Napi::Value v, const ArgName& what, bool* out) {
  if (napi_get_value_bool(env, v, out) != napi_ok) {
    ThrowTypeError(env, what.Text() + " must be a boolean");
    return false;
  }
  return true;
}

bool ArgString(Napi::Env env, Napi::Value v, const ArgName& what, std::string* out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) {
    ThrowTypeError(env, what.Text() + " must be a string");
    return false;
  }
  out->resize(len + 1);
  napi_get_value_string_utf8(env, v, &(*out)[0], len + 1, &len);
  out->resize(len);
  return true;
}

bool ArgPath(Napi::Env env, Napi::Value v, const ArgName& what, std::string* out) {
  if (!ArgString(env, v, what, out)) return false;
  if (out->empty() || out->find('\0') != std::string::npos) {
    ThrowTypeError(env, what.Text() + " must be a non-empty path without NUL bytes");
    return false;
  }
  return true;
}

}  // namespace stemedb
