// blake3Async(data, outLen) -> Promise<Uint8Array>: hashes a large input on the
// libuv thread pool so the JS thread stays free.
#include <cstring>
#include <new>

#include "blake3/blake3.h"
#include "hash_binding.h"
#include "napi_util.h"

namespace stemedb {
namespace {

struct HashWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref data_ref = nullptr;  // keeps the input alive while the pool reads it
  const uint8_t* data = nullptr;
  size_t len = 0;
  uint8_t* out = nullptr;
  size_t out_len = 0;
};

void execute(napi_env, void* p) {
  auto* w = static_cast<HashWork*>(p);
  blake3::hash(w->data, w->len, w->out, w->out_len);
}

void free_out(napi_env, void* data, void*) { delete[] static_cast<uint8_t*>(data); }

void complete(napi_env env, napi_status status, void* p) {
  auto* w = static_cast<HashWork*>(p);
  napi_value result;
  if (status == napi_ok &&
      napi_create_external_arraybuffer(env, w->out, w->out_len, free_out, nullptr, &result) == napi_ok) {
    napi_value view;
    napi_create_typedarray(env, napi_uint8_array, w->out_len, result, 0, &view);
    napi_resolve_deferred(env, w->deferred, view);
  } else {
    delete[] w->out;
    napi_value msg, err;
    napi_create_string_utf8(env, "blake3Async was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, w->deferred, err);
  }
  napi_delete_reference(env, w->data_ref);
  napi_delete_async_work(env, w->work);
  delete w;
}

napi_value Blake3Async(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 2) return throw_type_error(env, "blake3Async(data, outLen) needs two arguments");
  Bytes data;
  uint32_t out_len;
  if (!get_bytes(env, argv[0], "data", &data) || !get_u32(env, argv[1], "outLen", &out_len)) return nullptr;
  auto* w = new (std::nothrow) HashWork();
  uint8_t* out = new (std::nothrow) uint8_t[out_len ? out_len : 1];
  if (!w || !out) {
    delete w;
    delete[] out;
    return throw_error_code(env, "ENOMEM", "out of memory");
  }
  w->data = data.data;
  w->len = data.len;
  w->out = out;
  w->out_len = out_len;
  napi_value promise, name;
  napi_create_promise(env, &w->deferred, &promise);
  napi_create_reference(env, argv[0], 1, &w->data_ref);
  napi_create_string_utf8(env, "stemedb:blake3", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, nullptr, name, execute, complete, w, &w->work);
  napi_queue_async_work(env, w->work);
  return promise;
}

}  // namespace

void InitHashAsync(napi_env env, napi_value exports) { set_function(env, exports, "blake3Async", Blake3Async); }

}  // namespace stemedb
