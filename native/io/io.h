// stemedb IO addon part: OS lock, pwritev + fdatasync on the libuv pool,
// directory fsync. InitIo adds lock, unlock, writev, fsync, fsyncDir to exports.
#pragma once
#include <napi.h>

namespace stemedb {

// Adds to `exports`:
//   lock(path: string): number
//   unlock(handle: number): void
//   writev(fd, buffers, position, sync, wmFd, wmValue): Promise<number>
//   fsync(fd: number): Promise<void>
//   fsyncDir(path: string): Promise<void>
//   writerOpen(spinMicros): handle — a dedicated writer thread (writer_thread.cc);
//   writerWritev(handle, fd, buffers, position, sync, wmFd, wmValue): Promise<number>;
//   writerClose(handle): void
void InitIo(Napi::Env env, Napi::Object exports);

}  // namespace stemedb

// Unqualified alias so the addon glue can call InitIo(env, exports) either way.
using stemedb::InitIo;
