//===- ThreadPool.h - the runtime's workers for parallel ops -----*- C++ -*-===//
//
// Compiled models own no threads: they hand each parallel op to the runtime
// as a task (kernels/include/trit/abi.h) that every thread runs and that
// shares its work through chunk queues. A generation step makes hundreds of
// such calls, so both sides spin briefly before sleeping; but no thread
// ever waits on a thread that has not started: the caller closes the task
// once its own call returns, and a worker that wakes later skips it. A busy
// machine therefore costs what the descheduled thread had started, not its
// whole share (the old fixed halves made every op wait a scheduler slice).
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

  /// Runs fn(closure) on the calling thread and on each worker that joins
  /// before the caller's own call returns; returns once every call has.
  /// After waits for preempted workers (a busy machine), the next tasks run
  /// on the caller alone for a while.
  void run(trit_task_fn fn, void *closure);

  /// Runs body(b, e) over [begin, end) in chunks of `grain` (at least 1)
  /// taken by whichever threads are running.
  template <typename Body>
  void parallelFor(int64_t begin, int64_t end, int64_t grain, Body &&body) {
    struct Task {
      Body &body;
      trit_chunks chunks;
    } task{body, {begin, end, grain < 1 ? 1 : grain}};
    run(
        [](void *closure) {
          Task &t = *static_cast<Task *>(closure);
          for (int64_t b = 0, e = 0; trit_take_chunk(&t.chunks, &b, &e);)
            t.body(b, e);
        },
        &task);
  }

  /// The ABI callback: `pool` is a ThreadPool.
  static void runCallback(void *pool, trit_task_fn fn, void *closure);

private:
  void workerLoop();
  /// Blocks until the closed task has no participant left.
  void waitForParticipants();

  std::vector<std::thread> workers;
  // The current task, published by opening `participants` and bumping
  // `generation`.
  std::atomic<trit_task_fn> taskFn{nullptr};
  std::atomic<void *> taskClosure{nullptr};
  std::atomic<uint64_t> generation{0};
  // Threads inside the task's function, plus kClosed once the caller's
  // call has returned (then nobody may join).
  std::atomic<uint64_t> participants;
  std::atomic<bool> stopping{false};
  std::atomic<int> sleepingWorkers{0};
  std::atomic<bool> callerSleeping{false};
  std::mutex mutex;
  std::condition_variable workAvailable, participantsDone;
  // The caller's own: tasks still to run without the workers, and the
  // length of the last such run (ThreadPool.cpp says when).
  int soloTasksLeft = 0, soloStreak = 0;
};

} // namespace trit

#endif // TRIT_RUNTIME_THREADPOOL_H
