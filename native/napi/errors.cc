#include "napi/errors.h"

namespace stemedb {

namespace {

template <typename E>
Napi::Value ThrowWithCode(Napi::Env env, const char* code, const std::string& msg) {
  if (env.IsExceptionPending()) return Napi::Value();
  E e = E::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.ThrowAsJavaScriptException();
  return Napi::Value();
}

}  // namespace

Napi::Value ThrowTypeError(Napi::Env env, const std::string& msg) {
  return ThrowWithCode<Napi::TypeError>(env, "ERR_INVALID_ARG_TYPE", msg);
}

Napi::Value ThrowRangeError(Napi::Env env, const std::string& msg) {
  return ThrowWithCode<Napi::RangeError>(env, "ERR_OUT_OF_RANGE", msg);
}

Napi::Value ThrowCodedError(Napi::Env env, const char* code, const std::string& msg) {
  return ThrowWithCode<Napi::Error>(env, code, msg);
}

}  // namespace stemedb
