//===- ThreadPool.cpp - the runtime's workers for parallel ops ------------===//

#include "trit/Runtime/ThreadPool.h"

#include <algorithm>
#include <chrono>

#include <sched.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TRIT_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define TRIT_CPU_RELAX() asm volatile("yield")
#else
#define TRIT_CPU_RELAX() ((void)0)
#endif

using namespace trit;

namespace {
constexpr uint64_t kClosed = uint64_t(1) << 62;

// A worker waits this long for the next task before it sleeps: longer than
// the gap between two ops of a generation step, far shorter than a token.
constexpr std::chrono::microseconds kWorkerSpin{100};
// The caller waits this long for participants still in their last chunk
// before it sleeps, which frees its core for a participant the OS has
// descheduled (on a busy machine it may be waiting for exactly that core).
constexpr std::chrono::microseconds kCallerSpin{30};
// Within a wait, the first microseconds only spin; after them the spinning
// thread yields its core every microsecond or so. A gap that long means the
// thread it waits for is probably not running, and on a busy machine a
// spinning pool thread would sit on the core that thread needs. Yielding
// at once would hand cores to low-priority background work (a nice 19
// process gets the core for a scheduler slice) between every two ops.
constexpr std::chrono::microseconds kSpinBeforeYield{20};
// The most tasks run on the caller alone after waits for preempted
// participants (a few tokens' worth of a small model's ops).
constexpr int kMaxSoloTasks = 255;

/// Waits until `done()` or `limit` has passed; returns done().
template <typename Done>
bool spinUntil(Done done, std::chrono::microseconds limit) {
  auto start = std::chrono::steady_clock::now();
  while (true) {
    for (int i = 0; i < 64; ++i) {
      if (done())
        return true;
      TRIT_CPU_RELAX();
    }
    auto waited = std::chrono::steady_clock::now() - start;
    if (waited > limit)
      return done();
    if (waited > kSpinBeforeYield)
      sched_yield();
  }
}
} // namespace

ThreadPool::ThreadPool(int threads) : participants(kClosed) {
  for (int i = 1; i < threads; ++i)
    workers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  workAvailable.notify_all();
  for (std::thread &worker : workers)
    worker.join();
}

void ThreadPool::run(trit_task_fn fn, void *closure) {
  if (workers.empty() || soloTasksLeft > 0) {
    soloTasksLeft -= soloTasksLeft > 0;
    fn(closure);
    return;
  }
  auto start = std::chrono::steady_clock::now();
  taskFn.store(fn, std::memory_order_relaxed);
  taskClosure.store(closure, std::memory_order_relaxed);
  participants.store(0, std::memory_order_release); // open to joiners
  generation.fetch_add(1, std::memory_order_seq_cst);
  if (sleepingWorkers.load(std::memory_order_seq_cst) > 0) {
    // The lock orders this with a worker between its check and its wait.
    { std::lock_guard<std::mutex> lock(mutex); }
    workAvailable.notify_all();
  }
  fn(closure);
  // Close: a worker that has not joined by now finds nothing to do anyway,
  // since the caller's call only returns once every chunk is taken.
  if (participants.fetch_or(kClosed, std::memory_order_acq_rel) == 0) {
    soloStreak = 0;
    return;
  }
  auto own = std::chrono::steady_clock::now();
  waitForParticipants();
  // A wait longer than the caller's own share (and than a spin) means a
  // participant was preempted inside a chunk: on a machine that busy the
  // workers cost more than they bring, so the next tasks run on the caller
  // alone, twice as many after each such wait in a row, then the workers
  // are tried again. An idle machine never waits that long.
  auto waited = std::chrono::steady_clock::now() - own;
  if (waited > std::max<std::chrono::steady_clock::duration>(
                   own - start, kSpinBeforeYield)) {
    soloStreak = std::min(soloStreak * 2 + 1, kMaxSoloTasks);
    soloTasksLeft = soloStreak;
  } else {
    soloStreak = 0;
  }
}

void ThreadPool::waitForParticipants() {
  auto done = [&] {
    return participants.load(std::memory_order_seq_cst) == kClosed;
  };
  if (spinUntil(done, kCallerSpin))
    return;
  callerSleeping.store(true, std::memory_order_seq_cst);
  {
    std::unique_lock<std::mutex> lock(mutex);
    participantsDone.wait(lock, done);
  }
  callerSleeping.store(false, std::memory_order_relaxed);
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  auto hasWork = [&] {
    return generation.load(std::memory_order_seq_cst) != seen ||
           stopping.load(std::memory_order_relaxed);
  };
  while (true) {
    if (!spinUntil(hasWork, kWorkerSpin)) {
      sleepingWorkers.fetch_add(1, std::memory_order_seq_cst);
      {
        std::unique_lock<std::mutex> lock(mutex);
        workAvailable.wait(lock, hasWork);
      }
      sleepingWorkers.fetch_sub(1, std::memory_order_relaxed);
    }
    if (stopping.load())
      return;
    seen = generation.load(std::memory_order_acquire);
    // Join unless the caller has closed the task.
    uint64_t state = participants.load(std::memory_order_acquire);
    while (!(state & kClosed) &&
           !participants.compare_exchange_weak(state, state + 1,
                                               std::memory_order_acq_rel))
      ;
    if (state & kClosed)
      continue;
    taskFn.load(std::memory_order_relaxed)(
        taskClosure.load(std::memory_order_relaxed));
    uint64_t left =
        participants.fetch_sub(1, std::memory_order_seq_cst) - 1;
    if (left == kClosed && callerSleeping.load(std::memory_order_seq_cst)) {
      { std::lock_guard<std::mutex> lock(mutex); }
      participantsDone.notify_one();
    }
  }
}

void ThreadPool::runCallback(void *pool, trit_task_fn fn, void *closure) {
  static_cast<ThreadPool *>(pool)->run(fn, closure);
}
