#include "napi/args.h"

namespace stemedb {

namespace {

bool ArgTyped(Napi::Env env, Napi::Value v, const ArgName& what, napi_typedarray_type want,
              const char* type_name, void** data, size_t* count) {
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, count, data, nullptr, nullptr) != napi_ok ||
      type != want) {
    ThrowTypeError(env, what.Text() + " must be a " + type_name);
    return false;
  }
  return true;
}

}  // namespace

namespace arg_failure {

void NotBytes(Napi::Env env, const ArgName& what) {
  ThrowTypeError(env, what.Text() + " must be a Uint8Array");
}

bool EmptyBytes(Napi::Env env, Napi::Value v, const ArgName& what, Bytes* out) {
  // A detached buffer reads as empty; refuse it rather than hash nothing.
  napi_value ab;
  bool detached = false;
  if (napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, &ab, nullptr) == napi_ok)
    napi_is_detached_arraybuffer(env, ab, &detached);
  if (!detached) return true;
  *out = Bytes{};
  ThrowTypeError(env, what.Text() + " is backed by a detached ArrayBuffer");
  return false;
}

void NotNumber(Napi::Env env, const ArgName& what) {
  ThrowTypeError(env, what.Text() + " must be a number");
}

void OutOfRange(Napi::Env env, const ArgName& what, const char* range) {
  ThrowRangeError(env, what.Text() + " must be " + range);
}

}  // namespace arg_failure

std::string ArgName::Text() const {
  if (position_ == 0) return name_;
  return "argument " + std::to_string(position_) + " (" + name_ + ")";
}

bool ArgU32Array(Napi::Env env, Napi::Value v, const ArgName& what, uint32_t** data,
                 size_t* count) {
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

bool ArgInt32(Napi::Env env, Napi::Value v, const ArgName& what, int32_t* out) {
  double d;
  if (!ArgInteger(env, v, what, -2147483648.0, 2147483647.0, "an integer in int32 range", &d))
    return false;
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
