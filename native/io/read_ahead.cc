// Read-ahead for the record reader (src/journal/read/read-ahead.ts). readerOpen(spinMicros)
// makes a read loop; readStart(loop, fd, buf, position) queues a read of all of `buf` at
// `position` and returns a handle; readWait(handle), later, returns the bytes read (short
// only at the end of the file) or throws the read's error, shaped like Node's fs errors.
//
// Why not fs.read: its completion comes back through the event loop, so a reader that
// waits for it gives the loop a turn per block, and V8 uses those turns to run its GC
// tasks: with a fresh 1 MiB block per step, several times as many full collections as a
// reader whose steps are only promise jobs (measured: 5 against 28 for 15 passes over
// 200 MB). readWait() takes the result on the JS thread without a turn of the loop.
//
// Why a loop rather than one pool job per read (uv_queue_work): waking a sleeping pool
// thread costs the waker 10-40 us here (a virtual machine: the wake-up is an
// inter-processor interrupt) and delays the read by more than it takes. As the write loop
// (write_loop.cc) does, the loop borrows a pool thread while reads keep coming and polls
// for up to `spinMicros` for the next one, so a read is handed over with a store. The JS
// thread polls only for a read in progress, briefly, then sleeps on a condition variable.
//
// readTouch(handle, spare, from) spends the time the JS thread would wait for that read on
// the next one: it writes a byte into each page of `spare` (the buffer the next read will
// fill) from `from` on, until the read ends, and returns how far it got. A fresh buffer's
// pages cost a page fault each when first written, and on a virtual machine a fault (~2 us)
// costs several times what copying the page does.
//
// readWait() never waits for a read that has not started: one still queued (the loop not
// yet running, every pool thread busy with other work, say fsyncs) is taken back and done
// right there, so the JS thread is held no longer than a plain pread would hold it.
//
// Lifetimes: a read's handle owns it; the buffer is referenced until the read can no longer
// touch it (readWait, or the handle's finalizer, which first takes it back or waits for it).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "io/cpu_relax.h"
#include "io/io_internal.h"
#include "io/pool_loop.h"

namespace stemedb {
namespace io {

namespace {

enum State : int { kQueued = 0, kRunning = 1, kDone = 2, kTaken = 3 };

class ReadLoop;

struct Read {
  ReadLoop* loop = nullptr;
  napi_env env = nullptr;
  napi_ref keep = nullptr;  // the buffer; JS thread only
  uv_file fd = -1;
  uint8_t* data = nullptr;
  size_t len = 0;
  int64_t position = 0;
  std::atomic<int> state{kQueued};
  // Set by whoever read (the loop before kDone, or the JS thread), read by the JS thread after.
  int err = 0;
  size_t got = 0;
  bool collected = false;  // JS thread: the result was taken (and the buffer released)
};

// Reads data[0, len) at position, looping on short reads until the end of the file.
void ReadAll(Read* r) {
  size_t got = 0;
  while (got < r->len) {
    uv_fs_t fs;
    size_t want = r->len - got;
    if (want > 0x7fffffffu) want = 0x7fffffffu;  // one uv_buf_t holds at most that much on Windows
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(r->data + got), static_cast<unsigned>(want));
    // A null loop makes uv_fs_read synchronous: the read Node's fs makes, on every platform.
    int n =
        uv_fs_read(nullptr, &fs, r->fd, &buf, 1, r->position + static_cast<int64_t>(got), nullptr);
    uv_fs_req_cleanup(&fs);
    if (n == UV_EINTR) continue;
    if (n < 0) {
      r->err = n;
      break;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  r->got = got;
}

class ReadLoop {  // one per readerOpen(): its queue and the loop that drains it
 public:
  ReadLoop(napi_env env, uint32_t spin_us) : env_(env), spin_(std::chrono::microseconds(spin_us)) {}

  // JS thread. False (and the read not queued) when no loop could be started for it.
  bool Submit(Read* r) {
    if (queue_.Push(r) && !Launch()) {
      queue_.Unpush();
      return false;
    }
    return true;
  }

  // JS thread: takes `r` back if the loop has not started it. True when taken.
  bool TakeBack(Read* r) {
    return queue_.Remove(r, [r] {
      int expected = kQueued;
      return r->state.compare_exchange_strong(expected, kTaken);
    });
  }

  // JS thread: waits for `r` (running or done) to be done.
  void WaitDone(Read* r) {
    // A read in progress takes tens to hundreds of microseconds: poll a little first.
    for (int i = 0; i < 2000 && r->state.load(std::memory_order_acquire) != kDone; i++) CpuRelax();
    if (r->state.load(std::memory_order_acquire) == kDone) return;
    std::unique_lock<std::mutex> lk(done_mu_);
    done_cv_.wait(lk, [r] { return r->state.load(std::memory_order_acquire) == kDone; });
  }

  // Environment teardown: no new loop starts; a running one ends once its queue is empty.
  void Stop() { queue_.Stop(); }

 private:
  struct Run {
    ReadLoop* loop;
    napi_async_work work = nullptr;
  };

  bool Launch() {
    auto run = std::make_unique<Run>();
    run->loop = this;
    if (!StartPoolRun(env_, "stemedb:reader", Execute, Complete, run.get(), &run->work))
      return false;
    run.release();  // freed in Complete
    return true;
  }

  // Pool thread: the next read, polling for spin_ (yielding now and then to a thread waiting
  // for this CPU, a GC helper say); null (and the loop over) when none came. A read the JS
  // thread took back meanwhile is skipped.
  Read* Take() {
    queue_.PollUntil(std::chrono::steady_clock::now() + spin_, true);
    return queue_.Pop([](Read* r) {
      int expected = kQueued;
      return r->state.compare_exchange_strong(expected, kRunning);
    });
  }

  // kDone is stored under done_mu_ and r is not touched after it: the JS thread may take the
  // result (polling, without the lock) and free r at once; a sleeper cannot miss the store.
  void Finish(Read* r) {
    {
      std::lock_guard<std::mutex> lk(done_mu_);
      r->state.store(kDone, std::memory_order_release);
    }
    done_cv_.notify_all();
  }

  static void Execute(napi_env, void* data) {
    ReadLoop* loop = static_cast<Run*>(data)->loop;
    while (Read* r = loop->Take()) {
      ReadAll(r);
      loop->Finish(r);  // last use of r here: the JS thread may free it now
    }
  }

  static void Complete(napi_env env, napi_status, void* data) {
    std::unique_ptr<Run> run(static_cast<Run*>(data));
    napi_delete_async_work(env, run->work);
  }

  napi_env env_;
  const std::chrono::microseconds spin_;
  PoolLoopQueue<Read> queue_;
  std::mutex done_mu_;
  std::condition_variable done_cv_;
};

const napi_type_tag kReadLoopTag = {0x5374656d65646233ULL, 0x526561644c6f0001ULL};
const napi_type_tag kReadTag = {0x5374656d65646233ULL, 0x5265616400000001ULL};

// Ends the read (takes it back, or waits for it) and releases the buffer. JS thread.
// `read`: a read taken back is done here (its result is wanted).
void Collect(Read* r, bool read) {
  if (r->collected) return;
  if (r->loop->TakeBack(r)) {
    if (read) ReadAll(r);  // it had not started: read it here rather than wait for the loop
  } else {
    r->loop->WaitDone(r);
  }
  r->collected = true;
  if (r->keep != nullptr) {
    napi_delete_reference(r->env, r->keep);
    r->keep = nullptr;
  }
}

void FinalizeRead(napi_env, void* data, void*) {
  auto* r = static_cast<Read*>(data);
  Collect(r, false);  // the loop must be done with it before it is freed
  delete r;
}

void StopLoop(void* data) { static_cast<ReadLoop*>(data)->Stop(); }

}  // namespace

// readerOpen(spinMicros) -> handle. The loop lives as long as the environment (its
// handle is kept by the JS side for good): idle, it holds no thread.
Napi::Value JsReaderOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t spin = 0;
  if (!ArgIndex(env, info[0], ArgName(0, "spinMicros"), &spin)) return env.Undefined();
  if (spin > 1000000) {
    ThrowRangeError(env, "argument 1 (spinMicros) must be at most 1000000");
    return env.Undefined();
  }
  auto* loop = new ReadLoop(env, static_cast<uint32_t>(spin));
  // Never freed: reads may reference it until the environment ends; then the hook stops it.
  napi_add_env_cleanup_hook(env, StopLoop, loop);
  napi_value handle;
  if (napi_create_external(env, loop, nullptr, nullptr, &handle) != napi_ok) return env.Undefined();
  napi_type_tag_object(env, handle, &kReadLoopTag);
  return Napi::Value(env, handle);
}

// readStart(loop, fd, buf, position) -> handle
Napi::Value JsReadStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ReadLoop* loop =
      ArgHandle<ReadLoop>(env, info[0], &kReadLoopTag, ArgName(0, "reader"), "readerOpen()");
  if (loop == nullptr) return env.Undefined();
  int32_t fd = -1;
  Bytes buf;
  uint64_t position = 0;
  if (!ArgInt32(env, info[1], ArgName(1, "fd"), &fd) ||
      !ArgBytes(env, info[2], ArgName(2, "buf"), &buf) ||
      !ArgIndex(env, info[3], ArgName(3, "position"), &position)) {
    return env.Undefined();
  }
  auto r = std::make_unique<Read>();
  r->loop = loop;
  r->env = env;
  r->fd = fd;
  r->data = buf.data;
  r->len = buf.len;
  r->position = static_cast<int64_t>(position);
  if (napi_create_reference(env, info[2], 1, &r->keep) != napi_ok) return env.Undefined();
  if (!loop->Submit(r.get())) {
    // No loop could start: read now, so readWait finds the result.
    r->state.store(kTaken);
    ReadAll(r.get());
  }
  napi_value handle;
  if (napi_create_external(env, r.get(), FinalizeRead, nullptr, &handle) != napi_ok) {
    Collect(r.get(), false);
    return env.Undefined();
  }
  napi_type_tag_object(env, handle, &kReadTag);
  r.release();  // the handle owns it now
  return Napi::Value(env, handle);
}

// readTouch(handle, spare, from) -> how far `spare`'s pages were written
Napi::Value JsReadTouch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Read* r = ArgHandle<Read>(env, info[0], &kReadTag, ArgName(0, "read"), "readStart()");
  Bytes spare;
  uint64_t from = 0;
  if (r == nullptr || !ArgBytes(env, info[1], ArgName(1, "spare"), &spare) ||
      !ArgIndex(env, info[2], ArgName(2, "from"), &from)) {
    return env.Undefined();
  }
  // Page by page (4 KiB, the smallest page anywhere this runs), while the read runs.
  constexpr size_t kPage = 4096;
  size_t at = static_cast<size_t>(from);
  if (!r->collected && r->state.load(std::memory_order_acquire) == kRunning) {
    volatile uint8_t* bytes = spare.data;
    while (at < spare.len && r->state.load(std::memory_order_acquire) == kRunning) {
      bytes[at] = 0;  // a write: reading an untouched page would map the shared zero page
      at += kPage;
    }
  }
  return Napi::Number::New(env, static_cast<double>(at < spare.len ? at : spare.len));
}

// readWait(handle) -> bytes read; throws the read's error
Napi::Value JsReadWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Read* r = ArgHandle<Read>(env, info[0], &kReadTag, ArgName(0, "read"), "readStart()");
  if (r == nullptr) return env.Undefined();
  Collect(r, true);
  if (r->err != 0) {
    SysError(env, r->err, "read").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(r->got));
}

}  // namespace io
}  // namespace stemedb
