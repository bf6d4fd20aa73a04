#include "napi_util.h"

#include <cmath>
#include <string>

namespace stemedb {

namespace {
napi_value throw_with(napi_env env, napi_status (*thrower)(napi_env, const char*, const char*),
                      const char* code, const char* msg) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) thrower(env, code, msg);
  return nullptr;
}
}  // namespace

napi_value throw_type_error(napi_env env, const char* msg) {
  return throw_with(env, napi_throw_type_error, "ERR_INVALID_ARG_TYPE", msg);
}
napi_value throw_range_error(napi_env env, const char* msg) {
  return throw_with(env, napi_throw_range_error, "ERR_OUT_OF_RANGE", msg);
}
napi_value throw_error_code(napi_env env, const char* code, const char* msg) {
  return throw_with(env, napi_throw_error, code, msg);
}

bool get_bytes(napi_env env, napi_value v, const char* what, Bytes* out) {
  // napi_get_typedarray_info refuses a non-typed-array itself (napi_invalid_arg), so no
  // separate napi_is_typedarray; the ArrayBuffer handle is fetched only for the rare empty
  // view. Each N-API call is a few ns, and hashing 64 bytes takes ~70 ns.
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      (type != napi_uint8_array && type != napi_uint8_clamped_array)) {
    throw_type_error(env, (std::string(what) + " must be a Uint8Array").c_str());
    return false;
  }
  if (length == 0) {
    // A detached buffer reads as empty; refuse it rather than hash nothing.
    napi_value ab;
    bool detached = false;
    if (napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, &ab, nullptr) == napi_ok)
      napi_is_detached_arraybuffer(env, ab, &detached);
    if (detached) {
      throw_type_error(env, (std::string(what) + " is backed by a detached ArrayBuffer").c_str());
      return false;
    }
  }
  out->data = static_cast<uint8_t*>(data);
  out->len = length;
  return true;
}

static bool get_typed(napi_env env, napi_value v, const char* what, napi_typedarray_type want,
                      const char* type_name, void** data, size_t* count) {
  bool is_ta = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t byte_offset = 0;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, count, data, &ab, &byte_offset) != napi_ok ||
      type != want) {
    throw_type_error(env, (std::string(what) + " must be a " + type_name).c_str());
    return false;
  }
  return true;
}

bool get_u32_array(napi_env env, napi_value v, const char* what, uint32_t** data, size_t* count) {
  void* p = nullptr;
  if (!get_typed(env, v, what, napi_uint32_array, "Uint32Array", &p, count)) return false;
  *data = static_cast<uint32_t*>(p);
  return true;
}

bool get_f64_array(napi_env env, napi_value v, const char* what, double** data, size_t* count) {
  void* p = nullptr;
  if (!get_typed(env, v, what, napi_float64_array, "Float64Array", &p, count)) return false;
  *data = static_cast<double*>(p);
  return true;
}

bool get_index(napi_env env, napi_value v, const char* what, uint64_t* out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    throw_type_error(env, (std::string(what) + " must be a number").c_str());
    return false;
  }
  if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d) {
    throw_range_error(env, (std::string(what) + " must be a non-negative safe integer").c_str());
    return false;
  }
  *out = static_cast<uint64_t>(d);
  return true;
}

bool get_u32(napi_env env, napi_value v, const char* what, uint32_t* out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    throw_type_error(env, (std::string(what) + " must be a number").c_str());
    return false;
  }
  if (!(d >= 0) || d > 4294967295.0 || std::floor(d) != d) {
    throw_range_error(env, (std::string(what) + " must be an integer in [0, 2^32)").c_str());
    return false;
  }
  *out = static_cast<uint32_t>(d);
  return true;
}

napi_value make_u32(napi_env env, uint32_t v) {
  napi_value r;
  napi_create_uint32(env, v, &r);
  return r;
}
napi_value make_f64(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}
napi_value undefined_value(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

void set_function(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  napi_set_named_property(env, exports, name, fn);
}

}  // namespace stemedb
