// Throwing coded errors from the bindings: the one set every binding uses. No C++
// exception ever crosses the N-API boundary (the addon builds with
// NAPI_DISABLE_CPP_EXCEPTIONS): a binding throws into JS with these, then returns.
// Each returns an empty Napi::Value, so a binding can `return ThrowRangeError(...)`.
#pragma once
#include <napi.h>

#include <string>

namespace stemedb {

// TypeError with code ERR_INVALID_ARG_TYPE / RangeError with code ERR_OUT_OF_RANGE,
// as Node's own argument errors. An exception already pending (e.g. from a getter)
// is left in place: the first error is the one the caller sees.
Napi::Value ThrowTypeError(Napi::Env env, const std::string& msg);
Napi::Value ThrowRangeError(Napi::Env env, const std::string& msg);
// Error with the given `code` property (ENOMEM, ERR_CLOSED, ...); same rule.
Napi::Value ThrowCodedError(Napi::Env env, const char* code, const std::string& msg);

}  // namespace stemedb
