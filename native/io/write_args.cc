// The write-and-sync job shared by the pool worker (sync_worker.cc) and a
// journal's write loop (write_loop.cc): its argument parsing on the JS
// thread and its system calls on whichever thread runs it.
#include <cstring>
#include <utility>

#include "io/io_internal.h"

namespace stemedb {
namespace io {

namespace {

constexpr uint64_t kMaxSafeInteger = 9007199254740991ull;  // 2^53 - 1
constexpr uint64_t kWritebackMinBytes = 64 * 1024;
constexpr uint64_t kPageBytes = 4096;

// The watermark record, already encoded by TypeScript (src/format/watermark.ts owns the
// layout): exactly kWatermarkBytes when wmFd >= 0, null when wmFd is -1. Copied, so the
// job does not keep the caller's array alive.
bool ArgWatermarkRecord(const Napi::CallbackInfo& info, size_t i, WriteArgs* a) {
  Napi::Env env = info.Env();
  const ArgName what(i, "wmRecord");
  if (a->wm_fd < 0) {
    if (info[i].IsNull() || info[i].IsUndefined()) return true;
    ThrowTypeError(env, what.Text() + " must be null when wmFd is -1");
    return false;
  }
  Bytes rec;
  if (!ArgBytes(env, info[i], what, &rec)) return false;
  if (rec.len != kWatermarkBytes) {
    ThrowRangeError(env, what.Text() + " must be " + std::to_string(kWatermarkBytes) +
                             " bytes, got " + std::to_string(rec.len));
    return false;
  }
  std::memcpy(a->wm_record, rec.data, kWatermarkBytes);
  return true;
}

// Collects the buffers argument: copies the elements into `keep` first (the
// only step that may run JS, e.g. getters), then reads each typed array's
// data pointer and byte length, with no JS running in between.
bool ArgBuffers(const Napi::CallbackInfo& info, size_t i, Napi::Array* keep,
                std::vector<Slice>* out, uint64_t* total) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (!v.IsArray()) {
    ThrowTypeError(
        env, "argument " + std::to_string(i + 1) + " (buffers) must be an array of Uint8Array");
    return false;
  }
  Napi::Array arr = v.As<Napi::Array>();
  uint32_t n = arr.Length();
  *keep = Napi::Array::New(env, n);
  for (uint32_t k = 0; k < n; ++k) {
    Napi::Value el = arr.Get(k);
    if (env.IsExceptionPending()) return false;
    if (!el.IsTypedArray()) {
      ThrowTypeError(env, "argument " + std::to_string(i + 1) + " (buffers): element " +
                              std::to_string(k) + " is not a Uint8Array");
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
      ThrowTypeError(env, "argument " + std::to_string(i + 1) + " (buffers): element " +
                              std::to_string(k) + " is not a Uint8Array");
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

bool ParseWriteArgs(const Napi::CallbackInfo& info, size_t first, WriteArgs* a) {
  Napi::Env env = info.Env();
  uint64_t total = 0;
  Napi::Array keep;
  if (!ArgInt32(env, info[first], ArgName(first, "fd"), &a->fd)) return false;
  if (!ArgBuffers(info, first + 1, &keep, &a->slices, &total)) return false;
  if (!ArgIndex(env, info[first + 2], ArgName(first + 2, "position"), &a->position)) return false;
  if (!ArgBool(env, info[first + 3], ArgName(first + 3, "sync"), &a->sync)) return false;
  if (!ArgInt32(env, info[first + 4], ArgName(first + 4, "wmFd"), &a->wm_fd)) return false;
  if (!ArgWatermarkRecord(info, first + 5, a)) return false;
  uint64_t limit = MaxFileOffset() < kMaxSafeInteger ? MaxFileOffset() : kMaxSafeInteger;
  if (total > limit || a->position > limit - total) {
    ThrowRangeError(env, "writev: position + total length exceeds the largest file offset");
    return false;
  }
  a->keep = Napi::Persistent(static_cast<Napi::Object>(keep));
  return true;
}

SysResult ExecuteWrite(const WriteArgs& a, uint64_t* written) {
  *written = 0;
  SysResult r = WriteAllAt(a.fd, a.slices.data(), a.slices.size(), a.position, written);
  if (!r.ok()) return r;
  if (a.sync) {
    r = DataSync(a.fd);
    if (!r.ok()) return r;
  } else if (*written >= kWritebackMinBytes) {
    // A large unsynced write ('none' mode) starts its way to the disk now, overlapped
    // with the caller's next batches, so the eventual sync() has little left to wait
    // for. Whole pages only: a partial last page would be written again once the next
    // write fills it, and small writes are left to the OS for the same reason.
    const uint64_t from = a.position & ~(kPageBytes - 1);
    const uint64_t to = (a.position + *written) & ~(kPageBytes - 1);
    if (to > from) r = StartWriteback(a.fd, from, to - from);
    if (!r.ok()) return r;
  }
  if (a.wm_fd >= 0) {
    // Published after the data sync: it only tells readers what is durable.
    Slice s{a.wm_record, kWatermarkBytes};
    uint64_t n = 0;
    r = WriteAllAt(a.wm_fd, &s, 1, 0, &n);
    if (!r.ok()) r.syscall = "pwrite";
  }
  return r;
}

}  // namespace io
}  // namespace stemedb
