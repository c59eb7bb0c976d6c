//===- ThreadPool.cpp - the runtime's workers for parallel ranges ---------===//

#include "trit/Runtime/ThreadPool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define TRIT_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define TRIT_CPU_RELAX() asm volatile("yield")
#else
#define TRIT_CPU_RELAX() ((void)0)
#endif

using namespace trit;

// About 50-100 microseconds of spinning before a worker sleeps: longer than
// the gap between two ops of a generation step, far shorter than a token.
static constexpr int kSpinIterations = 1 << 16;

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i)
    workers.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &worker : workers)
    worker.join();
}

void ThreadPool::runChunk(int index) {
  int64_t n = jobEnd - jobBegin, threads = getThreadCount();
  int64_t b = jobBegin + n * index / threads;
  int64_t e = jobBegin + n * (index + 1) / threads;
  if (b < e)
    jobFn(jobClosure, b, e);
}

void ThreadPool::parallelFor(trit_range_fn fn, void *closure, int64_t begin,
                             int64_t end) {
  if (workers.empty() || end - begin <= 1) {
    fn(closure, begin, end);
    return;
  }
  jobFn = fn;
  jobClosure = closure;
  jobBegin = begin;
  jobEnd = end;
  pending.store(static_cast<int>(workers.size()), std::memory_order_relaxed);
  {
    // The lock orders the publication with sleeping workers' wait.
    std::lock_guard<std::mutex> lock(mutex);
    generation.fetch_add(1, std::memory_order_release);
  }
  wake.notify_all();
  runChunk(0);
  while (pending.load(std::memory_order_acquire) != 0)
    TRIT_CPU_RELAX();
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  while (true) {
    int spins = 0;
    while (generation.load(std::memory_order_acquire) == seen &&
           !stopping.load(std::memory_order_relaxed) &&
           spins++ < kSpinIterations)
      TRIT_CPU_RELAX();
    if (generation.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] {
        return stopping.load() || generation.load() != seen;
      });
    }
    if (generation.load(std::memory_order_acquire) == seen && stopping)
      return;
    seen = generation.load(std::memory_order_acquire);
    runChunk(index);
    pending.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallelForCallback(void *pool, trit_range_fn fn,
                                     void *closure, int64_t begin,
                                     int64_t end) {
  static_cast<ThreadPool *>(pool)->parallelFor(fn, closure, begin, end);
}
