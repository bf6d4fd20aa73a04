// Small raw N-API helpers shared by the bindings. Raw N-API (not node-addon-api
// wrappers) on the hot calls keeps per-call overhead to a few nanoseconds.
#pragma once
#include <node_api.h>
#include <cstddef>
#include <cstdint>

namespace stemedb {

struct Bytes {
  uint8_t* data = nullptr;
  size_t len = 0;
};

// Throws a JS error of the given kind with a stable `code` property; returns nullptr
// so callers can `return throw_error(...)`.
napi_value throw_type_error(napi_env env, const char* msg);
napi_value throw_range_error(napi_env env, const char* msg);
napi_value throw_error_code(napi_env env, const char* code, const char* msg);

// Reads a Uint8Array/Buffer (any TypedArray or DataView is refused). On failure
// throws a TypeError naming `what` and returns false.
bool get_bytes(napi_env env, napi_value v, const char* what, Bytes* out);
// Same, for a Uint32Array (element count in out->len).
bool get_u32_array(napi_env env, napi_value v, const char* what, uint32_t** data, size_t* count);
// Same, for a Float64Array.
bool get_f64_array(napi_env env, napi_value v, const char* what, double** data, size_t* count);
// A non-negative safe integer (offsets, lengths). Throws TypeError/RangeError.
bool get_index(napi_env env, napi_value v, const char* what, uint64_t* out);
// A uint32 that must be an integer in [0, 2^32). Throws TypeError/RangeError.
bool get_u32(napi_env env, napi_value v, const char* what, uint32_t* out);

napi_value make_u32(napi_env env, uint32_t v);
napi_value make_f64(napi_env env, double v);
napi_value undefined_value(napi_env env);

void set_function(napi_env env, napi_value exports, const char* name, napi_callback cb);

}  // namespace stemedb
