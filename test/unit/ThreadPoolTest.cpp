//===- ThreadPoolTest.cpp - the runtime's parallel ranges -----------------===//

#include "trit/Runtime/Executor.h"
#include "trit/Runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <vector>

namespace {

struct Coverage {
  std::vector<std::atomic<int>> hits;
  explicit Coverage(size_t n) : hits(n) {}
};

void mark(void *closure, int64_t begin, int64_t end) {
  auto *c = static_cast<Coverage *>(closure);
  for (int64_t i = begin; i < end; ++i)
    c->hits[i].fetch_add(1);
}

TEST(ThreadPool, EveryIndexRunsExactlyOnce) {
  for (int threads : {1, 2, 3}) {
    trit::ThreadPool pool(threads);
    EXPECT_EQ(pool.getThreadCount(), threads);
    // Many small jobs back to back, as a generation step issues them.
    for (int64_t size : {0, 1, 2, 3, 7, 64, 1000}) {
      for (int repeat = 0; repeat < 50; ++repeat) {
        Coverage c(size + 5);
        pool.parallelFor(mark, &c, 5, 5 + size);
        for (int64_t i = 0; i < size + 5; ++i)
          ASSERT_EQ(c.hits[i].load(), i >= 5 ? 1 : 0)
              << threads << " threads, size " << size << ", index " << i;
      }
    }
  }
}

TEST(ThreadPool, AbiCallbackRunsOnThePool) {
  trit::ThreadPool pool(2);
  Coverage c(100);
  trit::ThreadPool::parallelForCallback(&pool, mark, &c, 0, 100);
  for (auto &h : c.hits)
    EXPECT_EQ(h.load(), 1);
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
