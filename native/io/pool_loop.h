// The queue of a loop that borrows a libuv pool thread while work keeps coming (the write
// loop, write_loop.cc, and the read loop, read_ahead.cc): the JS thread pushes items and starts
// a run of the loop when none is running; the run takes items one after another, polling a
// little for the next before it gives its thread back. Why poll rather than queue one pool job
// per item: see write_loop.cc. What each loop does with an item, and how long it polls, stays
// with the loop.
#ifndef STEMEDB_IO_POOL_LOOP_H_
#define STEMEDB_IO_POOL_LOOP_H_

#include <node_api.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

#include "io/cpu_relax.h"

namespace stemedb {
namespace io {

template <typename Item>
class PoolLoopQueue {
 public:
  // JS thread: queues `item`; true when no run is active, so the caller must start one (and
  // call Unpush() if it cannot).
  bool Push(Item* item) {
    std::lock_guard<std::mutex> lk(mu_);
    queue_.push_back(item);
    queued_.store(queue_.size(), std::memory_order_release);
    const bool start = !run_active_;
    run_active_ = true;
    return start;
  }

  // JS thread: undoes the Push() whose run could not start (no run, so nothing else took it).
  void Unpush() {
    std::lock_guard<std::mutex> lk(mu_);
    queue_.pop_back();
    queued_.store(queue_.size(), std::memory_order_release);
    run_active_ = false;
  }

  // JS thread: removes `item` if still queued and `claim()` (called under the lock) agrees.
  template <typename Claim>
  bool Remove(Item* item, Claim claim) {
    std::lock_guard<std::mutex> lk(mu_);
    if (!claim()) return false;
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (*it == item) {
        queue_.erase(it);
        break;
      }
    }
    queued_.store(queue_.size(), std::memory_order_release);
    return true;
  }

  // Pool thread: polls until an item is queued, Stop() is called, or `deadline` passes (the
  // clock is read every 64 polls: cheap, still ~µs-grained). With `yield`, each of those
  // checks also lets a thread waiting for this CPU (a GC helper, say) run. True when an
  // item came while polling.
  bool PollUntil(std::chrono::steady_clock::time_point deadline, bool yield) const {
    unsigned polls = 0;
    bool polled = false;
    while (queued_.load(std::memory_order_acquire) == 0 &&
           !stop_flag_.load(std::memory_order_acquire)) {
      polled = true;
      CpuRelax();
      if ((++polls & 63) == 0) {
        if (std::chrono::steady_clock::now() >= deadline) break;
        if (yield) std::this_thread::yield();
      }
    }
    return polled && queued_.load(std::memory_order_acquire) != 0;
  }

  // Pool thread: the first queued item that `accept` (called under the lock) takes; items it
  // refuses are dropped from the queue. Null, and the run over (the next Push() starts one),
  // when none is left.
  template <typename Accept>
  Item* Pop(Accept accept) {
    std::lock_guard<std::mutex> lk(mu_);
    while (!queue_.empty()) {
      Item* item = queue_.front();
      queue_.pop_front();
      queued_.store(queue_.size(), std::memory_order_release);
      if (accept(item)) return item;
    }
    run_active_ = false;
    return nullptr;
  }

  // Environment teardown or close: no poll waits any more; a run ends once the queue is empty.
  void Stop() { stop_flag_.store(true, std::memory_order_release); }

 private:
  std::mutex mu_;
  std::deque<Item*> queue_;
  bool run_active_ = false;  // guarded by mu_
  std::atomic<size_t> queued_{0};
  std::atomic<bool> stop_flag_{false};
};

// Starts one run of a loop on a libuv pool thread: an async work named `name` whose `execute`
// drains the queue there and whose `complete` (JS thread) frees `data`. False if it could not
// be queued (nothing is then held).
inline bool StartPoolRun(napi_env env, const char* name, napi_async_execute_callback execute,
                         napi_async_complete_callback complete, void* data, napi_async_work* work) {
  napi_value resource_name;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_create_async_work(env, nullptr, resource_name, execute, complete, data, work) !=
          napi_ok) {
    return false;
  }
  if (napi_queue_async_work(env, *work) != napi_ok) {
    napi_delete_async_work(env, *work);
    return false;
  }
  return true;
}

}  // namespace io
}  // namespace stemedb

#endif  // STEMEDB_IO_POOL_LOOP_H_
