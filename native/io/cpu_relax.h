// CpuRelax(): one step of a polling loop (the write loop's and the read loop's): lets a
// sibling hyper-thread (or the host) run while this thread polls.
#ifndef STEMEDB_IO_CPU_RELAX_H_
#define STEMEDB_IO_CPU_RELAX_H_

#include <thread>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#include <immintrin.h>
#endif

namespace stemedb {
namespace io {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
  _mm_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#else
  std::this_thread::yield();
#endif
}

}  // namespace io
}  // namespace stemedb

#endif  // STEMEDB_IO_CPU_RELAX_H_
