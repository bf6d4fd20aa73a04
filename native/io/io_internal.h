// Internal declarations shared by the files of native/io/. Not part of the
// addon's interface: the addon glue sees InitIo (addon.h) only.
//
// Error convention inside this module: an `int` error is a libuv-style error
// code (negative, e.g. UV_EIO), obtained from the OS error with
// uv_translate_sys_error(), so POSIX errno values and Win32 GetLastError()
// values map to the same names Node uses ('EIO', 'ENOSPC', 'EBADF', ...).
#pragma once
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "napi/args.h"

namespace stemedb {
namespace io {

// One buffer to write: the data pointer was read on the JS thread; the owning
// typed array is kept alive by the worker for the duration of the write.
struct Slice {
  const uint8_t* data;
  size_t len;
};

// A failed system call: the libuv error code (0 = success) and the name of
// the call that failed ('pwritev', 'fdatasync', 'open', ...).
struct SysResult {
  int err = 0;
  const char* syscall = nullptr;
  bool ok() const { return err == 0; }
};

// One write-and-sync job: pwritev of `slices` at `position`, fdatasync when
// `sync`, then the encoded watermark record `wm_record` at offset 0 of `wm_fd`
// when wm_fd >= 0. `keep` holds the typed arrays behind `slices` alive until
// the job is settled (released on the JS thread).
// The watermark record's size (docs/format.md, "The durable watermark"; encoded by
// src/format/watermark.ts, which owns its layout: this layer only carries the bytes).
constexpr size_t kWatermarkBytes = 16;

struct WriteArgs {
  int fd = -1;
  std::vector<Slice> slices;
  Napi::ObjectReference keep;
  uint64_t position = 0;
  bool sync = false;
  int wm_fd = -1;
  uint8_t wm_record[kWatermarkBytes] = {};
};

// Reads (fd, buffers, position, sync, wmFd, wmRecord) from argument `first` on;
// false after throwing a TypeError/RangeError. JS thread only.
bool ParseWriteArgs(const Napi::CallbackInfo& info, size_t first, WriteArgs* out);
// Runs the job's system calls; `*written` = bytes of data written. Any thread.
SysResult ExecuteWrite(const WriteArgs& args, uint64_t* written);

// Largest byte position (exclusive end) a write may reach.
uint64_t MaxFileOffset();

// ---- platform layer (sys_posix.cc / sys_win.cc); runs on any thread ----

// Writes all slices contiguously at `position` (pwritev chunked by IOV_MAX,
// looping on partial writes and EINTR). `*written` = bytes written, also on
// failure (what reached the file before the error).
SysResult WriteAllAt(int fd, const Slice* slices, size_t count, uint64_t position,
                     uint64_t* written);

// fdatasync (F_FULLFSYNC on macOS, FlushFileBuffers on Windows). Never retried.
SysResult DataSync(int fd);

// Starts writeback of [position, position + length) without waiting for it
// (Linux sync_file_range(SYNC_FILE_RANGE_WRITE); a no-op elsewhere), so that a
// later DataSync finds less dirty data. Does not make anything durable.
SysResult StartWriteback(int fd, uint64_t position, uint64_t length);

// Opens the directory read-only, fsyncs it, closes it. No-op on Windows.
SysResult SyncDirectory(const std::string& path);

// Lock file: the open OS handle that carries the lock (fd on POSIX, HANDLE on
// Windows) and the file's identity (device/volume + inode/file index), which
// lock.cc uses to refuse a second lock of the same file within this process
// even where the OS lock would not (flock emulated by POSIX locks on NFS).
struct LockFile {
#ifdef _WIN32
  void* handle = nullptr;
#else
  int fd = -1;
#endif
  uint64_t dev = 0;
  uint64_t ino = 0;
};

// Opens `path` read/write, creating it if missing (not truncated, not
// inherited by child processes), and fills in the file identity.
SysResult OpenLockFile(const std::string& path, LockFile* out);
// Takes an exclusive, non-blocking lock bound to this open file (flock on
// POSIX, LockFileEx on Windows). Held elsewhere: *busy = true and an error.
SysResult TryLockFile(LockFile* lock, bool* busy);
// Truncates the file and writes `pid` as decimal text plus a newline. Best
// effort: the pid is only informational (tools show the holder), so a failure
// here does not fail the lock.
void WriteLockPid(LockFile* lock, uint64_t pid);
// Closes the file, which releases the lock; with `clear`, empties it first so
// no stale pid is left behind.
void CloseLockFile(LockFile* lock, bool clear);
// Reads what the holder wrote (its pid) for error messages; "" if unknown.
std::string ReadLockHolder(const std::string& path);

// Current process id.
uint64_t CurrentPid();

// ---- errors (errors.cc); JS thread only ----

// Error like Node's fs errors: message "CODE: description, syscall 'path'",
// properties code (errno name), errno (the negative libuv code, as Node's fs
// errors carry), syscall, and path when given. ENOSPC says the disk is full.
Napi::Error SysError(Napi::Env env, int err, const char* syscall, const char* path = nullptr);
// The errno name for a libuv error code ("EIO"; "UNKNOWN" if libuv has none).
std::string ErrName(int err);

// ---- JS entry points ----
Napi::Value JsLock(const Napi::CallbackInfo& info);
Napi::Value JsUnlock(const Napi::CallbackInfo& info);
Napi::Value JsWritev(const Napi::CallbackInfo& info);
Napi::Value JsFsync(const Napi::CallbackInfo& info);
Napi::Value JsFsyncDir(const Napi::CallbackInfo& info);
Napi::Value JsWriterOpen(const Napi::CallbackInfo& info);
Napi::Value JsWriterWritev(const Napi::CallbackInfo& info);
Napi::Value JsWriterClose(const Napi::CallbackInfo& info);
Napi::Value JsReaderOpen(const Napi::CallbackInfo& info);
Napi::Value JsReadStart(const Napi::CallbackInfo& info);
Napi::Value JsReadWait(const Napi::CallbackInfo& info);
Napi::Value JsReadTouch(const Napi::CallbackInfo& info);

}  // namespace io
}  // namespace stemedb
