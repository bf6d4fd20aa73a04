// A lean entry for the per-call hot bindings (crc32c, blake3, hasherUpdate, hasherDigest),
// whose work on a small input takes ~50 ns. Napi::CallbackInfo also fetches `this`, the
// function's data and six argument slots, and Napi::Number::New makes a double: together
// ~10 ns a call, measured. FastArgs<N> reads N slots and nothing else; a binding using it
// reads arguments and throws exactly as the others do (napi/args.h, napi/errors.h).
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace stemedb {

template <size_t N>
class FastArgs {
 public:
  FastArgs(napi_env env, napi_callback_info info) : env_(env) {
    // Slots past the arguments given are filled with undefined.
    if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr) != napi_ok) argc_ = 0;
  }
  Napi::Env Env() const { return Napi::Env(env_); }
  size_t Length() const { return argc_; }
  // Argument i (< N); undefined when not given.
  Napi::Value operator[](size_t i) const { return Napi::Value(env_, argv_[i]); }

 private:
  napi_env env_;
  size_t argc_ = N;
  napi_value argv_[N] = {};
};

// Registers `Fn` as exports[name], called through FastArgs<N>.
template <size_t N, Napi::Value (*Fn)(const FastArgs<N>&)>
void ExportFast(Napi::Env env, Napi::Object exports, const char* name) {
  napi_callback cb = [](napi_env e, napi_callback_info info) -> napi_value {
    return Fn(FastArgs<N>(e, info));
  };
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn) == napi_ok)
    exports.Set(name, fn);
}

// A uint32 result as a JS number (a small integer where it fits, as N-API makes it).
inline Napi::Value U32Value(Napi::Env env, uint32_t v) {
  napi_value r = nullptr;
  napi_create_uint32(env, v, &r);
  return Napi::Value(env, r);
}

}  // namespace stemedb
