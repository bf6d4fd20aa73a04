// Argument checks for every binding, run on the JS thread before any work: a wrong
// type throws TypeError (ERR_INVALID_ARG_TYPE), a bad number RangeError
// (ERR_OUT_OF_RANGE), never a crash. Each Arg* returns false after throwing; the
// binding then returns an empty Napi::Value (undefined) at once.
//
// The bindings speak node-addon-api; the checks on the hashing hot path (ArgBytes,
// ArgU32, ArgIndex) make the one raw N-API call that answers both "is it the right
// type" and "what is it", where the wrapper classes would make two or three (a call
// costs a few ns, and hashing 64 bytes ~70 ns).
#pragma once
#include <napi.h>

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
  ArgName(const char* name) : name_(name) {}  // NOLINT: implicit, so a string literal names an argument
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

// A Uint8Array or Buffer (Uint8ClampedArray too; other typed arrays and DataView are
// refused), not backed by a detached ArrayBuffer.
bool ArgBytes(Napi::Env env, Napi::Value v, const ArgName& what, Bytes* out);
// A Uint32Array / Float64Array: its data and element count.
bool ArgU32Array(Napi::Env env, Napi::Value v, const ArgName& what, uint32_t** data, size_t* count);
bool ArgF64Array(Napi::Env env, Napi::Value v, const ArgName& what, double** data, size_t* count);
// A non-negative safe integer (offsets, lengths, counts): <= 2^53 - 1.
bool ArgIndex(Napi::Env env, Napi::Value v, const ArgName& what, uint64_t* out);
// An integer in [0, 2^32).
bool ArgU32(Napi::Env env, Napi::Value v, const ArgName& what, uint32_t* out);
// An integer in int32 range (file descriptors: a negative one passes through to the
// OS, which says EBADF).
bool ArgInt32(Napi::Env env, Napi::Value v, const ArgName& what, int32_t* out);
bool ArgBool(Napi::Env env, Napi::Value v, const ArgName& what, bool* out);
// A string, as UTF-8.
bool ArgString(Napi::Env env, Napi::Value v, const ArgName& what, std::string* out);
// A non-empty string without NUL bytes.
bool ArgPath(Napi::Env env, Napi::Value v, const ArgName& what, std::string* out);

}  // namespace stemedb
