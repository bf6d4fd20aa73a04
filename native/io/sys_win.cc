// Windows system-call layer of the IO part. The fds handed in by JS are CRT
// descriptors from libuv's fs.open; uv_get_osfhandle gives their HANDLE.
// Errors are Win32 codes translated by libuv (ERROR_DISK_FULL -> ENOSPC, ...).
#ifdef _WIN32

#include "io/io_internal.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <algorithm>
#include <string>

namespace stemedb {
namespace io {

namespace {

// WriteFile takes a DWORD length; stay well below it.
constexpr size_t kMaxBytesPerCall = size_t{1} << 30;

// The lock covers one byte far beyond the data (like SQLite's lock bytes), so
// other processes can still read the pid at the start of the file.
constexpr DWORD kLockOffsetLow = 0x40000000u;

SysResult Fail(const char* syscall) {
  return SysResult{uv_translate_sys_error(static_cast<int>(GetLastError())), syscall};
}

HANDLE HandleOf(int fd) { return reinterpret_cast<HANDLE>(uv_get_osfhandle(fd)); }

OVERLAPPED At(uint64_t pos) {
  OVERLAPPED ov;
  ZeroMemory(&ov, sizeof ov);
  ov.Offset = static_cast<DWORD>(pos & 0xffffffffu);
  ov.OffsetHigh = static_cast<DWORD>(pos >> 32);
  return ov;
}

std::wstring Widen(const std::string& s) {
  int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  if (n <= 0) return std::wstring();
  std::wstring w(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), &w[0], n);
  return w;
}

}  // namespace

uint64_t MaxFileOffset() { return static_cast<uint64_t>(INT64_MAX); }

SysResult WriteAllAt(int fd, const Slice* slices, size_t count, uint64_t position,
                     uint64_t* written) {
  *written = 0;
  HANDLE h = HandleOf(fd);
  if (h == INVALID_HANDLE_VALUE || h == nullptr) return SysResult{UV_EBADF, "pwritev"};
  uint64_t pos = position;
  // No vectored positional write for ordinary handles on Windows: one
  // positional WriteFile per buffer (per 1 GiB piece), looping on short writes.
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = slices[i].data;
    size_t left = slices[i].len;
    while (left > 0) {
      DWORD want = static_cast<DWORD>(std::min(left, kMaxBytesPerCall));
      OVERLAPPED ov = At(pos);
      DWORD n = 0;
      if (!WriteFile(h, p, want, &n, &ov)) return Fail("pwritev");
      if (n == 0) return SysResult{UV_EIO, "pwritev"};
      p += n;
      left -= n;
      pos += n;
      *written += n;
    }
  }
  return SysResult{};
}

SysResult DataSync(int fd) {
  HANDLE h = HandleOf(fd);
  if (h == INVALID_HANDLE_VALUE || h == nullptr) return SysResult{UV_EBADF, "fdatasync"};
  // FlushFileBuffers writes data and metadata through to the device. Never
  // retried on failure (see the POSIX file).
  if (!FlushFileBuffers(h)) return Fail("fdatasync");
  return SysResult{};
}

SysResult StartWriteback(int, uint64_t, uint64_t) {
  return SysResult{};
}  // no such hint on Windows

SysResult SyncDirectory(const std::string& path) {
  // NTFS journals its metadata, so a create/rename/delete is durable once the call
  // returns, and flushing a directory handle (FlushFileBuffers) needs admin rights on
  // most volumes: nothing to flush. The directory is still opened, so a missing or
  // unreadable one fails as it does on POSIX (ENOENT from "open") instead of passing.
  std::wstring w = Widen(path);
  if (w.empty()) return SysResult{UV_EINVAL, "open"};
  HANDLE h = CreateFileW(w.c_str(), 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) return Fail("open");
  CloseHandle(h);
  return SysResult{};
}

SysResult OpenLockFile(const std::string& path, LockFile* out) {
  std::wstring w = Widen(path);
  if (w.empty()) return SysResult{UV_EINVAL, "open"};
  // Readers may look at the pid, but no FILE_SHARE_DELETE: while the lock is
  // held the file cannot be deleted, renamed or replaced, so nobody can "clear a
  // stale lock" under a live writer. The default security attributes make the
  // handle non-inheritable (children never keep the lock).
  HANDLE h =
      CreateFileW(w.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                  nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return Fail("open");
  BY_HANDLE_FILE_INFORMATION info;
  if (!GetFileInformationByHandle(h, &info)) {
    SysResult r = Fail("fstat");
    CloseHandle(h);
    return r;
  }
  out->handle = h;
  out->dev = info.dwVolumeSerialNumber;
  out->ino = (static_cast<uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
  return SysResult{};
}

SysResult TryLockFile(LockFile* lock, bool* busy) {
  *busy = false;
  // Locks belong to the handle: another handle conflicts, in this process
  // too; the OS releases them when the process ends.
  OVERLAPPED ov = At(kLockOffsetLow);
  if (LockFileEx(static_cast<HANDLE>(lock->handle),
                 LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov)) {
    return SysResult{};
  }
  DWORD e = GetLastError();
  if (e == ERROR_LOCK_VIOLATION || e == ERROR_IO_PENDING) *busy = true;
  return SysResult{uv_translate_sys_error(static_cast<int>(e)), "flock"};
}

void WriteLockPid(LockFile* lock, uint64_t pid) {
  HANDLE h = static_cast<HANDLE>(lock->handle);
  std::string text = std::to_string(pid) + "\n";
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  if (!SetFilePointerEx(h, zero, nullptr, FILE_BEGIN) || !SetEndOfFile(h)) return;
  OVERLAPPED ov = At(0);
  DWORD n = 0;
  WriteFile(h, text.data(), static_cast<DWORD>(text.size()), &n, &ov);
}

void CloseLockFile(LockFile* lock, bool clear) {
  HANDLE h = static_cast<HANDLE>(lock->handle);
  if (h == nullptr) return;
  if (clear) {
    LARGE_INTEGER zero;
    zero.QuadPart = 0;
    if (SetFilePointerEx(h, zero, nullptr, FILE_BEGIN)) SetEndOfFile(h);
    OVERLAPPED ov = At(kLockOffsetLow);
    UnlockFileEx(h, 0, 1, 0, &ov);
  }
  CloseHandle(h);
  lock->handle = nullptr;
}

std::string ReadLockHolder(const std::string& path) {
  std::wstring w = Widen(path);
  if (w.empty()) return "";
  HANDLE h =
      CreateFileW(w.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                  nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return "";
  char buf[32];
  DWORD n = 0;
  OVERLAPPED ov = At(0);
  if (!ReadFile(h, buf, sizeof buf, &n, &ov)) n = 0;
  CloseHandle(h);
  std::string s;
  for (DWORD i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) s.push_back(buf[i]);
  return s;
}

uint64_t CurrentPid() { return static_cast<uint64_t>(GetCurrentProcessId()); }

}  // namespace io
}  // namespace stemedb

#endif  // _WIN32
