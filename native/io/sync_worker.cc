// writev / fsync / fsyncDir: promise-returning functions whose system calls
// run on the libuv thread pool (Napi::AsyncWorker). Arguments are checked and
// buffer pointers read on the JS thread; the worker holds a reference to the
// buffers until the work completes. A failure rejects with an Error shaped
// like Node's fs errors (code, errno, syscall) and is never retried here:
// after a failed fsync the journal must stop (fail-stop, rule 8).
#include <cstring>
#include <utility>
#include <vector>

#include "io/io_internal.h"

namespace stemedb {
namespace io {

namespace {

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

class WritevWorker : public IoWorker {
 public:
  WritevWorker(Napi::Env env, WriteArgs args)
      : IoWorker(env, "stemedb:writev"), args_(std::move(args)) {}

 protected:
  void Execute() override { result_ = ExecuteWrite(args_, &written_); }

  Napi::Value Result(Napi::Env env) override {
    return Napi::Number::New(env, static_cast<double>(written_));
  }

 private:
  WriteArgs args_;
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
  FsyncDirWorker(Napi::Env env, std::string path)
      : IoWorker(env, "stemedb:fsyncDir"), path_(std::move(path)) {}

 protected:
  void Execute() override { result_ = SyncDirectory(path_); }
  const char* ErrorPath() const override { return path_.c_str(); }

 private:
  std::string path_;
};

}  // namespace

Napi::Value JsWritev(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WriteArgs args;
  if (!ParseWriteArgs(info, 0, &args)) return env.Undefined();
  auto* w = new WritevWorker(env, std::move(args));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value JsFsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ArgInt32(env, info[0], ArgName(0, "fd"), &fd)) return env.Undefined();
  auto* w = new FsyncWorker(env, fd);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value JsFsyncDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgPath(env, info[0], ArgName(0, "path"), &path)) return env.Undefined();
  auto* w = new FsyncDirWorker(env, std::move(path));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace io
}  // namespace stemedb
