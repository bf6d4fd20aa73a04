// lock(path) / unlock(handle): the one-writer-per-directory OS lock.
//
// The lock lives as long as the open file that carries it: unlock() closes
// it, and so does the death of the process (kill -9 included), so no stale
// lock survives. Handles are small integers into a process-wide table, so a
// wrong number can never close an unrelated descriptor. The table also
// remembers each locked file's identity, refusing a second lock of the same
// file inside this process even where the OS lock would grant it (flock
// emulated with per-process POSIX locks on NFS). A lock left by a worker
// thread that exits is released by an environment cleanup hook.
#include <map>
#include <mutex>

#include "io/io_internal.h"

namespace stemedb {
namespace io {

namespace {

struct Entry {
  LockFile file;
  napi_env env;
  int32_t handle;
};

std::mutex g_mutex;                 // guards everything below
std::map<int32_t, Entry*> g_locks;  // handle -> entry
int32_t g_next_handle = 1;

bool HeldHere(const LockFile& f) {
  for (const auto& kv : g_locks) {
    if (kv.second->file.dev == f.dev && kv.second->file.ino == f.ino) return true;
  }
  return false;
}

int32_t NextHandle() {
  for (;;) {
    int32_t h = g_next_handle;
    g_next_handle = (g_next_handle == INT32_MAX) ? 1 : g_next_handle + 1;
    if (g_locks.find(h) == g_locks.end()) return h;
  }
}

// Runs when the environment (main thread or worker) that took the lock is torn down.
void CleanupHook(void* arg) {
  Entry* e = static_cast<Entry*>(arg);
  {
    std::lock_guard<std::mutex> guard(g_mutex);
    g_locks.erase(e->handle);
  }
  CloseLockFile(&e->file, true);
  delete e;
}

Napi::Value ThrowLocked(Napi::Env env, const std::string& path) {
  std::string msg = "ELOCKED: " + path + " is locked by another writer";
  std::string pid = ReadLockHolder(path);
  if (!pid.empty()) msg += " (pid " + pid + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Value().Set("code", Napi::String::New(env, "ELOCKED"));
  e.Value().Set("path", Napi::String::New(env, path));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace

Napi::Value JsLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgPath(env, info[0], ArgName(0, "path"), &path)) return env.Undefined();

  LockFile file;
  SysResult r = OpenLockFile(path, &file);
  if (!r.ok()) {
    SysError(env, r.err, r.syscall, path.c_str()).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  std::unique_lock<std::mutex> guard(g_mutex);
  if (HeldHere(file)) {
    guard.unlock();
    CloseLockFile(&file, false);
    return ThrowLocked(env, path);
  }
  bool busy = false;
  r = TryLockFile(&file, &busy);
  if (!r.ok()) {
    guard.unlock();
    CloseLockFile(&file, false);
    if (busy) return ThrowLocked(env, path);
    SysError(env, r.err, r.syscall, path.c_str()).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  WriteLockPid(&file, CurrentPid());

  Entry* e = new Entry{file, env, NextHandle()};
  if (napi_add_env_cleanup_hook(env, CleanupHook, e) != napi_ok) {
    guard.unlock();
    CloseLockFile(&e->file, true);
    delete e;
    Napi::Error::New(env, "lock: could not register a cleanup hook").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  g_locks[e->handle] = e;
  return Napi::Number::New(env, e->handle);
}

Napi::Value JsUnlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Value v = info[0];
  if (!v.IsNumber()) {
    ThrowTypeError(env, "argument 1 (handle) must be a number");
    return env.Undefined();
  }
  double d = v.As<Napi::Number>().DoubleValue();
  Entry* e = nullptr;
  {
    std::lock_guard<std::mutex> guard(g_mutex);
    if (d >= 1 && d <= INT32_MAX && static_cast<double>(static_cast<int32_t>(d)) == d) {
      auto it = g_locks.find(static_cast<int32_t>(d));
      // Only the environment that took a lock may release it.
      if (it != g_locks.end() && it->second->env == static_cast<napi_env>(env)) {
        e = it->second;
        g_locks.erase(it);
      }
    }
  }
  if (e == nullptr) {
    ThrowCodedError(env, "EBADF", "EBADF: unlock: not a lock handle held by this thread");
    return env.Undefined();
  }
  napi_remove_env_cleanup_hook(env, CleanupHook, e);
  CloseLockFile(&e->file, true);
  delete e;
  return env.Undefined();
}

}  // namespace io
}  // namespace stemedb
