//===- ThreadPool.h - the runtime's workers for parallel ranges --*- C++ -*-===//
//
// Compiled models own no threads: they hand ranges of work to the runtime
// through the ABI's parallel_for (kernels/include/trit/abi.h). A generation
// step makes hundreds of such calls, so dispatch and the final barrier spin
// briefly on atomics before falling back to sleeping.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_THREADPOOL_H
#define TRIT_RUNTIME_THREADPOOL_H

#include "trit/abi.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace trit {

class ThreadPool {
public:
  /// `threads` counts the caller: 1 runs everything on the caller.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int getThreadCount() const { return static_cast<int>(workers.size()) + 1; }

  /// Splits [begin, end) into one contiguous chunk per thread and runs
  /// fn(closure, b, e) on each; returns when all chunks are done.
  void parallelFor(trit_range_fn fn, void *closure, int64_t begin,
                   int64_t end);

  /// The ABI callback: `pool` is a ThreadPool.
  static void parallelForCallback(void *pool, trit_range_fn fn, void *closure,
                                  int64_t begin, int64_t end);

private:
  void workerLoop(int index);
  void runChunk(int index);

  std::vector<std::thread> workers;
  // The current job, published by bumping `generation`.
  trit_range_fn jobFn = nullptr;
  void *jobClosure = nullptr;
  int64_t jobBegin = 0, jobEnd = 0;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable wake;
};

} // namespace trit

#endif // TRIT_RUNTIME_THREADPOOL_H
