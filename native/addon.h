// The addon's parts, each registering its functions on the module's exports (the JS
// side's view of them is src/native/binding.ts). All bindings use node-addon-api and
// the argument checks in napi/args.h.
#pragma once
#include <napi.h>

namespace stemedb {

// crc32c(data, seed) (crc32c/crc32c_binding.cc).
void InitCrc32c(Napi::Env env, Napi::Object exports);

// blake3, hasherCreate / hasherUpdate / hasherDigest / hasherCopy, blake3Async,
// hashInfo, blake3SetImpl (blake3/blake3_binding.cc).
void InitBlake3(Napi::Env env, Napi::Object exports);

// frameBatch, sealFrames, verifyFrames, crc32cCheckpoints, findFrame
// (frames/frames_binding.cc).
void InitFrames(Napi::Env env, Napi::Object exports);

// io/io_binding.cc:
//   lock(path: string): number
//   unlock(handle: number): void
//   writev(fd, buffers, position, sync, wmFd, wmRecord): Promise<number>
//   fsync(fd: number): Promise<void>
//   fsyncDir(path: string): Promise<void>
//   writerOpen(spinMicros): handle — a journal's write loop (io/write_loop.cc);
//   writerWritev(handle, fd, buffers, position, sync, wmFd, wmRecord): Promise<number>;
//   writerClose(handle): void
//   readerOpen(spinMicros): handle — a read loop on a borrowed pool thread (io/read_ahead.cc);
//   readStart(reader, fd, buf, position): handle — a read in that loop;
//   readWait(handle): number — its result, taken without a turn of the event loop;
//   readTouch(handle, spare, from): number — faults in `spare`'s pages while that read runs
void InitIo(Napi::Env env, Napi::Object exports);

}  // namespace stemedb
