// POSIX (Linux, macOS, BSDs) system-call layer of the IO part. Runs on libuv
// pool threads (writes, syncs) or the JS thread (lock). Everything returns a
// libuv-style error code; nothing here touches N-API.
#ifndef _WIN32

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io/io_internal.h"

#ifdef __APPLE__
#include <AvailabilityMacros.h>
#endif

#include <algorithm>
#include <limits>
#include <vector>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_DIRECTORY
#define O_DIRECTORY 0
#endif

namespace stemedb {
namespace io {

namespace {

// Bytes handed to one pwritev call: stays far below SSIZE_MAX (EINVAL) and
// Linux's 0x7ffff000 per-call cap; the partial-write loop does the rest.
constexpr size_t kMaxBytesPerCall = size_t{1} << 30;

SysResult Fail(const char* syscall) { return SysResult{uv_translate_sys_error(errno), syscall}; }

// pwritev where available. macOS has it from 11.0 only (the build targets
// 10.15), so older systems write the first buffer with pwrite; the caller's
// partial-write loop makes that correct, only slower.
ssize_t PWritev(int fd, const struct iovec* iov, int cnt, off_t pos) {
#if defined(__APPLE__)
#if defined(MAC_OS_X_VERSION_MAX_ALLOWED) && MAC_OS_X_VERSION_MAX_ALLOWED >= 110000
  if (__builtin_available(macOS 11.0, *)) return pwritev(fd, iov, cnt, pos);
#endif
  return pwrite(fd, iov[0].iov_base, iov[0].iov_len, pos);
#else
  return pwritev(fd, iov, cnt, pos);
#endif
}

// The durable-flush primitive. Linux/BSD: fdatasync. macOS: fsync only
// reaches the drive's volatile cache, so F_FULLFSYNC, falling back to fsync
// only where the filesystem does not support it (never on an I/O error).
// No retry on any error, EINTR included: after a failed sync the kernel may
// have dropped the dirty pages, and a second sync can falsely succeed.
int FlushFd(int fd) {
#if defined(__APPLE__)
  if (fcntl(fd, F_FULLFSYNC) == 0) return 0;
  if (errno != ENOTSUP && errno != EINVAL && errno != ENOTTY) return -1;
  return fsync(fd);
#else
  return fdatasync(fd);
#endif
}

// Full fsync of a directory (metadata: the entries), F_FULLFSYNC on macOS.
int FlushDirFd(int fd) {
#if defined(__APPLE__)
  if (fcntl(fd, F_FULLFSYNC) == 0) return 0;
  if (errno != ENOTSUP && errno != EINVAL && errno != ENOTTY) return -1;
#endif
  return fsync(fd);
}

}  // namespace

uint64_t MaxFileOffset() { return static_cast<uint64_t>(std::numeric_limits<off_t>::max()); }

SysResult WriteAllAt(int fd, const Slice* slices, size_t count, uint64_t position,
                     uint64_t* written) {
  *written = 0;
  std::vector<struct iovec> iov;
  iov.reserve(std::min<size_t>(count, IOV_MAX));
  size_t idx = 0;    // current slice
  size_t inner = 0;  // bytes of slices[idx] already written
  uint64_t pos = position;

  for (;;) {
    // Skip finished and empty slices.
    while (idx < count && inner == slices[idx].len) {
      ++idx;
      inner = 0;
    }
    if (idx == count) return SysResult{};

    // Gather up to IOV_MAX pieces, at most kMaxBytesPerCall bytes.
    iov.clear();
    size_t bytes = 0;
    for (size_t j = idx;
         j < count && iov.size() < static_cast<size_t>(IOV_MAX) && bytes < kMaxBytesPerCall; ++j) {
      size_t off = (j == idx) ? inner : 0;
      size_t len = std::min(slices[j].len - off, kMaxBytesPerCall - bytes);
      if (len == 0) continue;
      struct iovec v;
      v.iov_base = const_cast<uint8_t*>(slices[j].data + off);
      v.iov_len = len;
      iov.push_back(v);
      bytes += len;
    }

    ssize_t n;
    do {
      n = PWritev(fd, iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(pos));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Fail("pwritev");
    if (n == 0) return SysResult{UV_EIO, "pwritev"};  // no progress: never spin

    // Advance past what was written (possibly a partial write).
    size_t left = static_cast<size_t>(n);
    pos += left;
    *written += left;
    while (left > 0) {
      size_t take = std::min(left, slices[idx].len - inner);
      inner += take;
      left -= take;
      if (inner == slices[idx].len) {
        ++idx;
        inner = 0;
      }
    }
  }
}

SysResult DataSync(int fd) {
  if (FlushFd(fd) != 0) return Fail("fdatasync");
  return SysResult{};
}

SysResult StartWriteback(int fd, uint64_t position, uint64_t length) {
#if defined(__linux__)
  if (length == 0) return SysResult{};
  int rc;
  do {
    rc = sync_file_range(fd, static_cast<off_t>(position), static_cast<off_t>(length),
                         SYNC_FILE_RANGE_WRITE);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Fail("sync_file_range");
#else
  (void)fd, (void)position, (void)length;  // no such hint: writeback starts when the OS decides
#endif
  return SysResult{};
}

SysResult SyncDirectory(const std::string& path) {
  int fd;
  do {
    fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Fail("open");
  SysResult r;
  if (FlushDirFd(fd) != 0) r = Fail("fsync");
  close(fd);
  return r;
}

SysResult OpenLockFile(const std::string& path, LockFile* out) {
  int fd;
  do {
    // O_CLOEXEC: a spawned child must not inherit (and so keep) the lock.
    fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0 && errno == EISDIR) {
    // A directory is locked through a read-only descriptor of its own: unlike a
    // lock file, it cannot be deleted or replaced while it holds the journal.
    do {
      fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
  }
  if (fd < 0) return Fail("open");
  struct stat st;
  if (fstat(fd, &st) != 0) {
    SysResult r = Fail("fstat");
    close(fd);
    return r;
  }
  out->fd = fd;
  out->dev = static_cast<uint64_t>(st.st_dev);
  out->ino = static_cast<uint64_t>(st.st_ino);
  return SysResult{};
}

SysResult TryLockFile(LockFile* lock, bool* busy) {
  *busy = false;
  // flock locks belong to the open file description: a second open() of the
  // same file conflicts, in this process too, and the kernel drops the lock
  // when the last descriptor closes, i.e. when the process dies (no stale lock).
  for (;;) {
    if (flock(lock->fd, LOCK_EX | LOCK_NB) == 0) return SysResult{};
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK || errno == EAGAIN) *busy = true;
    return Fail("flock");
  }
}

void WriteLockPid(LockFile* lock, uint64_t pid) {
  struct stat st;
  if (fstat(lock->fd, &st) != 0 || !S_ISREG(st.st_mode)) return;  // a locked directory holds no pid
  std::string text = std::to_string(pid) + "\n";
  if (ftruncate(lock->fd, 0) != 0) return;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = pwrite(lock->fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void CloseLockFile(LockFile* lock, bool clear) {
  if (lock->fd < 0) return;
  // Still holding the lock while clearing, so no new holder's pid is erased.
  struct stat st;
  if (clear && fstat(lock->fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(lock->fd, 0) != 0) {
    // Informational content only; closing (which releases the lock) matters.
  }
  close(lock->fd);  // no EINTR retry: the descriptor is gone either way
  lock->fd = -1;
}

std::string ReadLockHolder(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[32];
  ssize_t n;
  do {
    n = pread(fd, buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  close(fd);
  std::string s;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) s.push_back(buf[i]);
  return s;
}

uint64_t CurrentPid() { return static_cast<uint64_t>(getpid()); }

}  // namespace io
}  // namespace stemedb

#endif  // !_WIN32
