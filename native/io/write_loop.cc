// A journal's write loop (docs/durability.md, "The write loop"): the same
// write-and-sync jobs as the pool's writev (write_args.cc), run one after another
// by a loop that borrows a libuv pool thread while jobs keep coming, instead of one
// pool job per write. JS sees it as writerOpen / writerWritev / writerClose.
//
// Why: a pool thread sleeps as soon as its job is done and must be woken for
// the next one, which on this kind of machine (virtualised, 2 vCPUs) costs tens
// of microseconds. A journal with one appender submits its next job a few
// microseconds after the previous one completed. The loop polls (pause
// instruction) for up to `spinMicros` for the next job before it gives the pool
// thread back, so such a job is handed over with a store, not a wake-up. The JS
// thread never polls: completions come back through a thread-safe function.
//
// How long it polls adapts to the journal: at least `spinMicros`, and up to twice the
// recent time between a job's end and the next job's arrival when that is at most
// `maxSpinMicros`. An appender whose next batch takes ~150 µs to lay out and seal
// (appendBatch of 1000 small records) would otherwise find the loop gone each time and
// pay a thread wake-up (10-40 µs here) per batch; a journal written every few
// milliseconds still polls only `spinMicros` after each job.
//
// Jobs run one at a time in submission order, which is the order the journal
// needs. writerClose() (or the environment's cleanup) stops the loop once the
// queue is empty.
//
// The arguments and errors go through node-addon-api like every binding; the
// loop's lifetime (an async work that runs many jobs, a thread-safe function
// ref'd only while jobs are in flight, a weak-then-strong handle reference) is
// spelled with N-API's C calls, which say exactly what is held when.
#include <atomic>
#include <chrono>
#include <memory>

#include "io/io_internal.h"
#include "io/pool_loop.h"

namespace stemedb {
namespace io {

namespace {

struct Job {
  WriteArgs args;
  napi_deferred deferred = nullptr;
  SysResult result;
  uint64_t written = 0;
};

class Writer {  // one per writerOpen(): its queue and the loop that drains it
 public:
  Writer(napi_env env, uint32_t spin_us, uint32_t max_spin_us)
      : env_(env),
        spin_(std::chrono::microseconds(spin_us)),
        max_spin_(std::chrono::microseconds(max_spin_us)) {}

  bool Start(napi_env env, napi_value handle) {
    napi_value name;
    if (napi_create_string_utf8(env, "stemedb:writer", NAPI_AUTO_LENGTH, &name) != napi_ok)
      return false;
    if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this,
                                        CallJs, &tsfn_) != napi_ok) {
      return false;
    }
    // An idle writer must not keep the process alive; Submit refs while jobs are in flight.
    napi_unref_threadsafe_function(env, tsfn_);
    // Weak until a loop runs: a running loop keeps the handle (and so this) alive.
    if (napi_create_reference(env, handle, 0, &handle_ref_) != napi_ok) return false;
    napi_add_env_cleanup_hook(env, CleanupHook, this);
    return true;
  }

  // JS thread. False (and the job not taken) when no loop could be started for it.
  bool Submit(Job* job) {
    const bool launch = queue_.Push(job);
    if (launch) {
      // The loop had given its thread back: how long after the last job this one came.
      const int64_t end = last_end_ns_.load(std::memory_order_relaxed);
      if (end != 0) NoteGap(NowNs() - end);
    }
    if (launch && !Launch()) {
      queue_.Unpush();
      return false;
    }
    if (in_flight_++ == 0) {
      // While jobs are in flight the handle (and so this writer) stays alive.
      uint32_t refs;
      napi_reference_ref(env_, handle_ref_, &refs);
      napi_ref_threadsafe_function(env_, tsfn_);
    }
    return true;
  }

  bool stopped() const { return stopped_; }

  // JS thread. Idempotent. A running loop ends once the queue is empty; the tsfn is
  // released when no loop can call it any more.
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    queue_.Stop();
    if (hook_added_) {
      napi_remove_env_cleanup_hook(env_, CleanupHook, this);
      hook_added_ = false;
    }
    if (loops_ == 0) ReleaseTsfn();
  }

  // The handle was collected: no job is in flight and no loop runs (both hold it strongly).
  static void Finalize(napi_env env, void* data, void*) {
    auto* w = static_cast<Writer*>(data);
    w->Stop();
    if (w->handle_ref_ != nullptr) napi_delete_reference(env, w->handle_ref_);
    delete w;
  }

 private:
  // One borrowed pool thread's run of the loop (two can briefly coexist: one that just
  // found the queue empty and has not completed yet, and the one a new job launched).
  struct Run {
    Writer* writer;
    napi_async_work work = nullptr;
  };

  bool Launch() {
    auto run = std::make_unique<Run>();
    run->writer = this;
    if (!StartPoolRun(env_, "stemedb:writer", Execute, Complete, run.get(), &run->work))
      return false;
    uint32_t refs;
    napi_reference_ref(env_, handle_ref_, &refs);
    loops_++;
    run.release();  // owned by the work now; freed in Complete
    return true;
  }

  static void CleanupHook(void* data) {
    auto* w = static_cast<Writer*>(data);
    w->hook_added_ = false;  // being run: it must not also be removed
    w->Stop();
  }

  void ReleaseTsfn() {
    if (tsfn_ == nullptr) return;
    napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
    tsfn_ = nullptr;
  }

  static int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  // Moving average of the time from a job's end to the next job's arrival. Written by the
  // pool thread (a job caught while polling) and the JS thread (one that relaunched the
  // loop); a lost update only skews a heuristic.
  void NoteGap(int64_t ns) {
    const int64_t avg = gap_ns_.load(std::memory_order_relaxed);
    gap_ns_.store(avg == 0 ? ns : avg + (ns - avg) / 4, std::memory_order_relaxed);
  }

  // How long to poll now: twice the recent gap if that is within max_spin_, else spin_.
  std::chrono::nanoseconds SpinBudget() const {
    const auto twice = std::chrono::nanoseconds(2 * gap_ns_.load(std::memory_order_relaxed));
    if (twice <= spin_ || twice > max_spin_) return spin_;
    return twice;
  }

  // Pool thread: the next job, polling for SpinBudget(); null (and the loop over) when none came.
  Job* Take() {
    const auto start = std::chrono::steady_clock::now();
    if (queue_.PollUntil(start + SpinBudget(), false)) {
      NoteGap(std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count());
    }
    return queue_.Pop([](Job*) { return true; });
  }

  static void Execute(napi_env, void* data) {
    Writer* w = static_cast<Run*>(data)->writer;
    while (Job* job = w->Take()) {
      job->result = ExecuteWrite(job->args, &job->written);
      w->last_end_ns_.store(NowNs(), std::memory_order_relaxed);  // before JS can hear of it
      napi_call_threadsafe_function(w->tsfn_, job, napi_tsfn_nonblocking);
    }
  }

  // JS thread, after a run of the loop ended.
  static void Complete(napi_env env, napi_status, void* data) {
    std::unique_ptr<Run> run(static_cast<Run*>(data));
    Writer* w = run->writer;
    napi_delete_async_work(env, run->work);
    w->loops_--;
    uint32_t refs;
    napi_reference_unref(env, w->handle_ref_, &refs);
    if (w->stopped_ && w->loops_ == 0) w->ReleaseTsfn();
  }

  // JS thread: settles the job's promise. env is null when the environment is going away.
  static void CallJs(napi_env env, napi_value, void* context, void* data) {
    auto* w = static_cast<Writer*>(context);
    std::unique_ptr<Job> job(static_cast<Job*>(data));
    if (env == nullptr) {
      job->args.keep.SuppressDestruct();  // no JS heap left to release into
      return;
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    if (job->result.ok()) {
      napi_value n;
      napi_create_double(env, static_cast<double>(job->written), &n);
      napi_resolve_deferred(env, job->deferred, n);
    } else {
      Napi::Error e = SysError(Napi::Env(env), job->result.err, job->result.syscall);
      napi_reject_deferred(env, job->deferred, e.Value());
    }
    job->args.keep.Reset();
    if (--w->in_flight_ == 0) {
      if (w->tsfn_ != nullptr) napi_unref_threadsafe_function(env, w->tsfn_);
      uint32_t refs;
      napi_reference_unref(env, w->handle_ref_,
                           &refs);  // last use of w here: it may be collected now
    }
    napi_close_handle_scope(env, scope);
  }

  napi_env env_;
  const std::chrono::microseconds spin_;
  const std::chrono::microseconds max_spin_;
  std::atomic<int64_t> gap_ns_{0};       // NoteGap()
  std::atomic<int64_t> last_end_ns_{0};  // steady clock when the loop last finished a job
  napi_threadsafe_function tsfn_ = nullptr;
  napi_ref handle_ref_ = nullptr;
  PoolLoopQueue<Job> queue_;
  uint32_t in_flight_ = 0;  // JS thread only
  uint32_t loops_ = 0;      // JS thread only: launched, not yet completed
  bool stopped_ = false;    // JS thread only
  bool hook_added_ = true;
};

const napi_type_tag kWriteLoopTag = {0x5374656d65646233ULL, 0x57726974654c0001ULL};

// Tagged: an External from elsewhere (another addon, a hasher handle) is refused.
Writer* GetWriter(const Napi::CallbackInfo& info, size_t i) {
  return ArgHandle<Writer>(info.Env(), info[i], &kWriteLoopTag, ArgName(i, "writer"),
                           "writerOpen()");
}

}  // namespace

// writerOpen(spinMicros, maxSpinMicros = spinMicros) -> handle
Napi::Value JsWriterOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t spin = 0;
  if (!ArgIndex(env, info[0], ArgName(0, "spinMicros"), &spin)) return env.Undefined();
  if (spin > 1000000) {
    ThrowRangeError(env, "argument 1 (spinMicros) must be at most 1000000");
    return env.Undefined();
  }
  uint64_t max_spin = spin;
  if (!info[1].IsUndefined()) {
    if (!ArgIndex(env, info[1], ArgName(1, "maxSpinMicros"), &max_spin)) return env.Undefined();
    if (max_spin < spin || max_spin > 1000000) {
      ThrowRangeError(env, "argument 2 (maxSpinMicros) must be from spinMicros to 1000000, got " +
                               std::to_string(max_spin));
      return env.Undefined();
    }
  }
  auto* w = new Writer(env, static_cast<uint32_t>(spin), static_cast<uint32_t>(max_spin));
  napi_value handle;
  if (napi_create_external(env, w, Writer::Finalize, nullptr, &handle) != napi_ok) {
    delete w;
    return env.Undefined();
  }
  napi_type_tag_object(env, handle, &kWriteLoopTag);
  if (!w->Start(env, handle)) {
    w->Stop();  // the finalizer frees it
    Napi::Error::New(env, "writerOpen: could not set up the writer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Value(env, handle);
}

// writerWritev(handle, fd, buffers, position, sync, wmFd, wmRecord) -> Promise<number>
Napi::Value JsWriterWritev(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Writer* w = GetWriter(info, 0);
  if (w == nullptr) return env.Undefined();
  if (w->stopped()) {
    ThrowCodedError(env, "ERR_CLOSED", "writer is closed");
    return env.Undefined();
  }
  auto job = std::make_unique<Job>();
  if (!ParseWriteArgs(info, 1, &job->args)) return env.Undefined();
  napi_value promise;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) return env.Undefined();
  if (!w->Submit(job.get())) {
    napi_reject_deferred(
        env, job->deferred,
        Napi::Error::New(env, "writerWritev: could not queue work on the libuv thread pool")
            .Value());
    return Napi::Value(env, promise);
  }
  job.release();  // the loop owns it now; CallJs frees it
  return Napi::Value(env, promise);
}

// writerClose(handle): the loop ends once its queue is empty (queued jobs still run and settle).
Napi::Value JsWriterClose(const Napi::CallbackInfo& info) {
  Writer* w = GetWriter(info, 0);
  if (w != nullptr) w->Stop();
  return info.Env().Undefined();
}

}  // namespace io
}  // namespace stemedb
