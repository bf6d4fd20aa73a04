// writev / fsync / fsyncDir: promise-returning functions whose system calls
// run on the libuv thread pool (Napi::AsyncWorker). Arguments are checked and
// buffer pointers read on the JS thread; the worker holds a reference to the
// buffers until the work completes. A failure rejects with an Error shaped
// like Node's fs errors (code, errno, syscall) and is never retried here:
// after a failed fsync the journal must stop (fail-stop, design rule 8).
#include <cstring>
#include <utility>
#include <vector>

#include "../crc32c/crc32c.h"
#include "io_internal.h"

namespace stemedb {
namespace io {

namespace {

constexpr uint64_t kMaxSafeInteger = 9007199254740991ull;  // 2^53 - 1
constexpr size_t kWatermarkBytes = 16;

// Base: one promise, one SysResult; OnOK resolves or rejects on the JS thread.
class IoWorker : public Napi::AsyncWorker {
 public:
  IoWorker(Napi::Env env, const char* name)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // What the promise resolves with on success.
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }
  // Path for error messages, or nullptr.
  virtual const char* ErrorPath() const { return nullptr; }

  void OnOK() override {
    Napi::Env env = Env();
    if (result_.ok()) {
      deferred_.Resolve(Result(env));
    } else {
      deferred_.Reject(SysError(env, result_.err, result_.syscall, ErrorPath()).Value());
    }
  }

  // Execute never calls SetError, so OnError only runs if N-API itself fails.
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  SysResult result_;

 private:
  Napi::Promise::Deferred deferred_;
};

// Encodes the watermark record: value u64 LE, CRC32C(value bytes) u32 LE, "SDWM".
void EncodeWatermark(uint64_t value, uint8_t out[kWatermarkBytes]) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
  uint32_t crc = stemedb::crc32c_extend(0, out, 8);
  for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
  std::memcpy(out + 12, "SDWM", 4);
}

class WritevWorker : public IoWorker {
 public:
  WritevWorker(Napi::Env env, int fd, std::vector<Slice> slices, Napi::Array keepalive, uint64_t position,
               bool sync, int wm_fd, uint64_t wm_value)
      : IoWorker(env, "stemedb:writev"),
        fd_(fd),
        slices_(std::move(slices)),
        keepalive_(Napi::Persistent(static_cast<Napi::Object>(keepalive))),
        position_(position),
        sync_(sync),
        wm_fd_(wm_fd),
        wm_value_(wm_value) {}

 protected:
  void Execute() override {
    result_ = WriteAllAt(fd_, slices_.data(), slices_.size(), position_, &written_);
    if (!result_.ok()) return;
    if (sync_) {
      result_ = DataSync(fd_);
      if (!result_.ok()) return;
    }
    if (wm_fd_ >= 0) {
      // Published after the data sync: it only tells readers what is durable.
      uint8_t rec[kWatermarkBytes];
      EncodeWatermark(wm_value_, rec);
      Slice s{rec, sizeof rec};
      uint64_t n = 0;
      result_ = WriteAllAt(wm_fd_, &s, 1, 0, &n);
      if (!result_.ok()) result_.syscall = "pwrite";
    }
  }

  Napi::Value Result(Napi::Env env) override { return Napi::Number::New(env, static_cast<double>(written_)); }

 private:
  int fd_;
  std::vector<Slice> slices_;
  Napi::ObjectReference keepalive_;  // the typed arrays behind slices_
  uint64_t position_;
  bool sync_;
  int wm_fd_;
  uint64_t wm_value_;
  uint64_t written_ = 0;
};

class FsyncWorker : public IoWorker {
 public:
  FsyncWorker(Napi::Env env, int fd) : IoWorker(env, "stemedb:fsync"), fd_(fd) {}

 protected:
  void Execute() override { result_ = DataSync(fd_); }

 private:
  int fd_;
};

class FsyncDirWorker : public IoWorker {
 public:
  FsyncDirWorker(Napi::Env env, std::string path) : IoWorker(env, "stemedb:fsyncDir"), path_(std::move(path)) {}

 protected:
  void Execute() override { result_ = SyncDirectory(path_); }
  const char* ErrorPath() const override { return path_.c_str(); }

 private:
  std::string path_;
};

// Collects the buffers argument: copies the elements into `keep` first (the
// only step that may run JS, e.g. getters), then reads each typed array's
// data pointer and byte length, with no JS running in between.
bool ArgBuffers(const Napi::CallbackInfo& info, size_t i, Napi::Array* keep, std::vector<Slice>* out,
                uint64_t* total) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (!v.IsArray()) {
    ThrowTypeError(env, "argument 2 (buffers) must be an array of Uint8Array");
    return false;
  }
  Napi::Array arr = v.As<Napi::Array>();
  uint32_t n = arr.Length();
  *keep = Napi::Array::New(env, n);
  for (uint32_t k = 0; k < n; ++k) {
    Napi::Value el = arr.Get(k);
    if (env.IsExceptionPending()) return false;
    if (!el.IsTypedArray()) {
      ThrowTypeError(env, "argument 2 (buffers): element " + std::to_string(k) + " is not a Uint8Array");
      return false;
    }
    keep->Set(k, el);
  }
  out->reserve(n);
  *total = 0;
  for (uint32_t k = 0; k < n; ++k) {
    napi_value el = keep->Get(k);
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value ab;
    size_t offset = 0;
    if (napi_get_typedarray_info(env, el, &type, &length, &data, &ab, &offset) != napi_ok) {
      ThrowTypeError(env, "argument 2 (buffers): element " + std::to_string(k) + " is not a Uint8Array");
      return false;
    }
    size_t bytes = Napi::Value(env, el).As<Napi::TypedArray>().ByteLength();
    if (data == nullptr) bytes = 0;  // detached
    out->push_back(Slice{static_cast<const uint8_t*>(data), bytes});
    *total += bytes;
  }
  return true;
}

}  // namespace

Napi::Value JsWritev(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  int wm_fd = -1;
  uint64_t position = 0;
  uint64_t wm_value = 0;
  uint64_t total = 0;
  bool sync = false;
  Napi::Array keep;
  std::vector<Slice> slices;
  if (!ArgFd(info, 0, "fd", &fd)) return env.Undefined();
  if (!ArgBuffers(info, 1, &keep, &slices, &total)) return env.Undefined();
  if (!ArgPosition(info, 2, "position", &position)) return env.Undefined();
  if (!ArgBool(info, 3, "sync", &sync)) return env.Undefined();
  if (!ArgFd(info, 4, "wmFd", &wm_fd)) return env.Undefined();
  if (!ArgPosition(info, 5, "wmValue", &wm_value)) return env.Undefined();
  uint64_t limit = MaxFileOffset() < kMaxSafeInteger ? MaxFileOffset() : kMaxSafeInteger;
  if (total > limit || position > limit - total) {
    ThrowRangeError(env, "writev: position + total length exceeds the largest file offset");
    return env.Undefined();
  }

  auto* w = new WritevWorker(env, fd, std::move(slices), keep, position, sync, wm_fd, wm_value);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value JsFsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ArgFd(info, 0, "fd", &fd)) return env.Undefined();
  auto* w = new FsyncWorker(env, fd);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value JsFsyncDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgPath(info, 0, "path", &path)) return env.Undefined();
  auto* w = new FsyncDirWorker(env, std::move(path));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace io
}  // namespace stemedb
