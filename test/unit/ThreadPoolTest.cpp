//===- ThreadPoolTest.cpp - the runtime's parallel tasks ------------------===//

#include "trit/Runtime/Executor.h"
#include "trit/Runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <cmath>
#include <vector>

namespace {

struct Coverage {
  std::vector<std::atomic<int>> hits;
  explicit Coverage(size_t n) : hits(n) {}
  void mark(int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      hits[i].fetch_add(1);
  }
};

TEST(ThreadPool, EveryIndexRunsExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    trit::ThreadPool pool(threads);
    EXPECT_EQ(pool.getThreadCount(), threads);
    // Many small tasks back to back, as a generation step issues them.
    for (int64_t size : {0, 1, 2, 3, 7, 64, 1000})
      for (int64_t grain : {1, 3, 64})
        for (int repeat = 0; repeat < 20; ++repeat) {
          Coverage c(size + 5);
          pool.parallelFor(5, 5 + size, grain,
                           [&](int64_t b, int64_t e) { c.mark(b, e); });
          for (int64_t i = 0; i < size + 5; ++i)
            ASSERT_EQ(c.hits[i].load(), i >= 5 ? 1 : 0)
                << threads << " threads, size " << size << ", grain " << grain
                << ", index " << i;
        }
  }
}

// Chunks come in multiples of the grain from the start, the last one cut.
TEST(ThreadPool, ChunksFollowTheGrain) {
  trit::ThreadPool pool(3);
  std::atomic<int> bad{0};
  pool.parallelFor(0, 1000, 64, [&](int64_t b, int64_t e) {
    if (b % 64 != 0 || (e != b + 64 && e != 1000))
      bad.fetch_add(1);
  });
  EXPECT_EQ(bad.load(), 0);
}

struct Counting {
  std::atomic<int> calls{0};
  trit_chunks chunks{0, 100, 1};
  Coverage coverage{100};
};

void countingTask(void *closure) {
  auto *c = static_cast<Counting *>(closure);
  c->calls.fetch_add(1);
  for (int64_t b = 0, e = 0; trit_take_chunk(&c->chunks, &b, &e);)
    c->coverage.mark(b, e);
}

TEST(ThreadPool, AbiCallbackRunsEachThreadAtMostOnce) {
  trit::ThreadPool pool(2);
  for (int repeat = 0; repeat < 100; ++repeat) {
    Counting c;
    trit::ThreadPool::runCallback(&pool, countingTask, &c);
    EXPECT_GE(c.calls.load(), 1);
    EXPECT_LE(c.calls.load(), 2);
    for (auto &h : c.coverage.hits)
      ASSERT_EQ(h.load(), 1);
  }
}

TEST(Executor, RopeTablesIterateThetaLikeGgml) {
  std::vector<float> cos, sin;
  trit::computeRopeTables(500000.0, 8, 3, cos, sin);
  ASSERT_EQ(cos.size(), 12u);
  float scale = powf(500000.0f, -2.0f / 8);
  float theta = 2.0f;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(cos[2 * 4 + i], cosf(theta));
    EXPECT_EQ(sin[2 * 4 + i], sinf(theta));
    theta *= scale;
  }
  EXPECT_EQ(cos[0], 1.0f);
  EXPECT_EQ(sin[0], 0.0f);
}

TEST(Executor, RejectsContextsTheModelWasNotCompiledFor) {
  trit::CompiledModelInfo info;
  info.maxContext = 16;
  info.maxTokens = 4;
  auto tooBig = trit::Executor::create(info, {}, 17, 1);
  ASSERT_FALSE(bool(tooBig));
  EXPECT_EQ(trit::toString(tooBig.takeError()),
            "a context of 17 positions; the model was compiled for 1 to 16");
  auto noThreads = trit::Executor::create(info, {}, 16, 0);
  ASSERT_FALSE(bool(noThreads));
  EXPECT_EQ(trit::toString(noThreads.takeError()),
            "thread count 0 is not between 1 and 1024");
}

} // namespace
