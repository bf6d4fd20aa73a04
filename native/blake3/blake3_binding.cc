// The BLAKE3 functions: one-shot hashes, the streaming hasher, blake3Async (a large
// input hashed on the libuv pool), and the path report / testing hook. Arguments are
// checked here too (the TypeScript layer checks first, with friendlier words), so a
// wrong type is always a TypeError, never a crash.
#include <new>
#include <string>

#include "addon.h"
#include "blake3/blake3.h"
#include "crc32c/crc32c.h"
#include "napi/args.h"
#include "napi/fast_call.h"

namespace stemedb {

namespace {

// Sets up a hasher for mode 0 (plain), 1 (keyed: key Uint8Array[32]), 2 (derive: context
// string, hashed as UTF-8 as the BLAKE3 spec says).
bool InitHasher(Napi::Env env, blake3::Hasher* h, uint32_t mode, Napi::Value key_or_context) {
  if (mode == 0) {
    h->init();
    return true;
  }
  if (mode == 1) {
    Bytes key;
    if (!ArgBytes(env, key_or_context, "key", &key)) return false;
    if (key.len != blake3::kKeyLen) {
      ThrowRangeError(env, "key must be exactly 32 bytes");
      return false;
    }
    h->init_keyed(key.data);
    return true;
  }
  if (mode == 2) {
    std::string ctx;
    if (!ArgString(env, key_or_context, "context", &ctx)) return false;
    h->init_derive_key(ctx.data(), ctx.size());
    return true;
  }
  ThrowRangeError(env, "mode must be 0, 1 or 2");
  return false;
}

// blake3(data, out, mode, keyOrContext) -> undefined; fills `out` (any length).
Napi::Value Blake3(const FastArgs<4>& info) {
  Napi::Env env = info.Env();
  Bytes data, out;
  uint32_t mode;
  if (!ArgBytes(env, info[0], "data", &data) || !ArgBytes(env, info[1], "out", &out) ||
      !ArgU32(env, info[2], "mode", &mode))
    return Napi::Value();
  if (mode == 0) {
    blake3::hash(data.data, data.len, out.data, out.len);
    return Napi::Value();
  }
  if (info.Length() < 4)
    return ThrowTypeError(env, "keyed and derive-key modes need a key or context");
  blake3::Hasher h;
  if (!InitHasher(env, &h, mode, info[3])) return Napi::Value();
  h.update(data.data, data.len);
  h.finalize(out.data, out.len);
  return Napi::Value();
}

// The streaming hasher is a tagged External: forged or foreign objects are refused.
const napi_type_tag kHasherTag = {0x5374656d65646233ULL, 0x4861736865720001ULL};

using HasherHandle = Napi::External<blake3::Hasher>;

blake3::Hasher* GetHasher(Napi::Env env, Napi::Value v) {
  return ArgHandle<blake3::Hasher>(env, v, &kHasherTag, "hasher", "the BLAKE3 hasher functions");
}

// Hands a heap hasher to JS as a tagged External (freed by its finalizer).
Napi::Value WrapHasher(Napi::Env env, blake3::Hasher* h) {
  HasherHandle ext = HasherHandle::New(env, h, [](Napi::Env, blake3::Hasher* p) { delete p; });
  if (env.IsExceptionPending()) {
    delete h;
    return Napi::Value();
  }
  ext.TypeTag(&kHasherTag);
  return ext;
}

// hasherCreate(mode, keyOrContext) -> External
Napi::Value HasherCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t mode;
  if (!ArgU32(env, info[0], "mode", &mode)) return Napi::Value();
  if (mode != 0 && info.Length() < 2)
    return ThrowTypeError(env, "keyed and derive-key modes need a key or context");
  auto* h = new (std::nothrow) blake3::Hasher();
  if (!h) return ThrowCodedError(env, "ENOMEM", "out of memory");
  if (!InitHasher(env, h, mode, info[1])) {
    delete h;
    return Napi::Value();
  }
  return WrapHasher(env, h);
}

// hasherUpdate(handle, data)
Napi::Value HasherUpdate(const FastArgs<2>& info) {
  Napi::Env env = info.Env();
  blake3::Hasher* h = GetHasher(env, info[0]);
  Bytes data;
  if (!h || !ArgBytes(env, info[1], "data", &data)) return Napi::Value();
  h->update(data.data, data.len);
  return Napi::Value();
}

// hasherDigest(handle, out, seek)
Napi::Value HasherDigest(const FastArgs<3>& info) {
  Napi::Env env = info.Env();
  blake3::Hasher* h = GetHasher(env, info[0]);
  Bytes out;
  uint64_t seek;
  if (!h || !ArgBytes(env, info[1], "out", &out) || !ArgIndex(env, info[2], "seek", &seek))
    return Napi::Value();
  h->finalize(out.data, out.len, seek);
  return Napi::Value();
}

// hasherCopy(handle) -> External (a fork of the state, for digest-then-continue).
Napi::Value HasherCopy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  blake3::Hasher* h = GetHasher(env, info[0]);
  if (!h) return Napi::Value();
  auto* copy = new (std::nothrow) blake3::Hasher(*h);
  if (!copy) return ThrowCodedError(env, "ENOMEM", "out of memory");
  return WrapHasher(env, copy);
}

// blake3Async's job: hashes on a pool thread while a reference keeps the input alive.
class HashWorker : public Napi::AsyncWorker {
 public:
  HashWorker(Napi::Env env, Napi::Object input, Bytes data, uint8_t* out, size_t out_len)
      : Napi::AsyncWorker(env, "stemedb:blake3"),
        deferred_(Napi::Promise::Deferred::New(env)),
        input_(Napi::Persistent(input)),
        data_(data),
        out_(out),
        out_len_(out_len) {}
  ~HashWorker() override { delete[] out_; }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { blake3::hash(data_.data, data_.len, out_, out_len_); }

  void OnOK() override {
    Napi::Env env = Env();
    // The digest's memory goes to the ArrayBuffer, freed by its finalizer.
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
        env, out_, out_len_, [](Napi::Env, void* p) { delete[] static_cast<uint8_t*>(p); });
    if (env.IsExceptionPending()) {
      deferred_.Reject(env.GetAndClearPendingException().Value());
      return;
    }
    out_ = nullptr;
    deferred_.Resolve(Napi::Uint8Array::New(env, out_len_, ab, 0));
  }

  // Execute never calls SetError, so OnError only runs if N-API itself fails.
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  // A cancelled job (never run) still settles its promise.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    if (status == napi_cancelled) {
      Napi::HandleScope scope(env);
      deferred_.Reject(Napi::Error::New(env, "blake3Async was cancelled").Value());
    }
    Napi::AsyncWorker::OnWorkComplete(env, status);
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference input_;
  Bytes data_;
  uint8_t* out_;
  size_t out_len_;
};

// blake3Async(data, outLen) -> Promise<Uint8Array>
Napi::Value Blake3Async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2)
    return ThrowTypeError(env, "blake3Async(data, outLen) needs two arguments");
  Bytes data;
  uint32_t out_len;
  if (!ArgBytes(env, info[0], "data", &data) || !ArgU32(env, info[1], "outLen", &out_len))
    return Napi::Value();
  uint8_t* out = new (std::nothrow) uint8_t[out_len ? out_len : 1];
  if (!out) return ThrowCodedError(env, "ENOMEM", "out of memory");
  auto* w = new HashWorker(env, info[0].As<Napi::Object>(), data, out, out_len);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// hashInfo() -> { crc32c, blake3, blake3Paths: { block, chunk, tree } }: the paths chosen at
// run time; blake3Paths names the one hash() takes per size class (<= 64 B, <= 1 KiB, longer).
Napi::Value HashInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("crc32c", crc32c_impl_name());
  obj.Set("blake3", blake3::impl_name());
  Napi::Object paths = Napi::Object::New(env);
  paths.Set("block", blake3::class_impl_name(64));
  paths.Set("chunk", blake3::class_impl_name(1024));
  paths.Set("tree", blake3::class_impl_name(1025));
  obj.Set("blake3Paths", paths);
  return obj;
}

// blake3SetImpl(name) -> boolean (tests force each SIMD path).
Napi::Value Blake3SetImpl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!ArgString(env, info[0], "name", &name)) return Napi::Value();
  return Napi::Boolean::New(env, blake3::set_impl_for_testing(name.c_str()));
}

}  // namespace

void InitBlake3(Napi::Env env, Napi::Object exports) {
  ExportFast<4, Blake3>(env, exports, "blake3");
  exports.Set("hasherCreate", Napi::Function::New<HasherCreate>(env, "hasherCreate"));
  ExportFast<2, HasherUpdate>(env, exports, "hasherUpdate");
  ExportFast<3, HasherDigest>(env, exports, "hasherDigest");
  exports.Set("hasherCopy", Napi::Function::New<HasherCopy>(env, "hasherCopy"));
  exports.Set("blake3Async", Napi::Function::New<Blake3Async>(env, "blake3Async"));
  exports.Set("hashInfo", Napi::Function::New<HashInfo>(env, "hashInfo"));
  exports.Set("blake3SetImpl", Napi::Function::New<Blake3SetImpl>(env, "blake3SetImpl"));
}

}  // namespace stemedb
