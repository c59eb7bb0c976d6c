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

/// What a stub model's entry points saw: one record per call.
struct EntryCall {
  bool prefill;
  std::vector<int32_t> tokens;
  int64_t start, logitRows;
  const uint16_t *kvCache;
  std::vector<trit_batch_row> batch;
};
std::vector<EntryCall> entryCalls;

int32_t recordCall(bool prefill, trit_exec_context *ctx, const int32_t *tokens,
                   int64_t n, int64_t start, float *logits, int64_t rows) {
  EntryCall call{prefill, {tokens, tokens + n}, start, rows, ctx->kv_cache,
                 {}};
  if (ctx->batch)
    call.batch.assign(ctx->batch, ctx->batch + n);
  entryCalls.push_back(call);
  for (int64_t r = 0; r < rows; ++r) // logit 0 of each row: its token
    logits[r * 2] = float(tokens[n - rows + r]);
  for (int64_t t = 0; ctx->batch && t < n; ++t)
    if (ctx->batch[t].position >= ctx->kv_capacity)
      return TRIT_EXEC_BAD_BATCH;
  return TRIT_EXEC_OK;
}

/// A model of 2 layers, 1 KV head of 4, a vocabulary of 2 and a memory
/// plan of 3 tokens per call, whose entry points only record their calls.
trit::CompiledModelInfo stubModel() {
  trit::CompiledModelInfo info;
  info.prefill = [](trit_exec_context *c, const int32_t *t, int64_t n,
                    int64_t s, float *l, int64_t r) {
    return recordCall(true, c, t, n, s, l, r);
  };
  info.decode = [](trit_exec_context *c, const int32_t *t, int64_t n,
                   int64_t s, float *l, int64_t r) {
    return recordCall(false, c, t, n, s, l, r);
  };
  info.maxTokens = 3;
  info.maxContext = 16;
  info.layers = 2;
  info.kvHeads = 1;
  info.headDim = 4;
  info.vocab = 2;
  return info;
}

TEST(Executor, BatchedStepsGiveEachRowItsSequencesCacheAndPosition) {
  auto exec = trit::Executor::create(stubModel(), {}, 8, 1, 4);
  ASSERT_TRUE(bool(exec)) << trit::toString(exec.takeError());
  EXPECT_EQ((*exec)->getSequences(), 4);
  // Each sequence's cache, as the plain calls see it.
  std::vector<const uint16_t *> caches;
  float logits[2 * 5];
  entryCalls.clear();
  for (int s = 0; s < 4; ++s)
    ASSERT_FALSE(bool((*exec)->decodeSequence(s, 1, 0, logits)));
  for (const EntryCall &call : entryCalls)
    caches.push_back(call.kvCache);
  for (int s = 1; s < 4; ++s)
    EXPECT_NE(caches[s], caches[s - 1]);

  // Four rows with a memory plan of 3: a call of 3 rows and one of 1, each
  // a prefill with batch rows and start 0, logits of every row in order.
  entryCalls.clear();
  std::vector<trit::DecodeRow> rows = {{2, 11, 5}, {0, 12, 0}, {3, 13, 7},
                                       {1, 14, 2}};
  ASSERT_FALSE(bool((*exec)->decodeBatch(rows.data(), rows.size(), logits)));
  ASSERT_EQ(entryCalls.size(), 2u);
  EXPECT_EQ(entryCalls[0].tokens, (std::vector<int32_t>{11, 12, 13}));
  EXPECT_EQ(entryCalls[1].tokens, (std::vector<int32_t>{14}));
  size_t row = 0;
  for (const EntryCall &call : entryCalls) {
    EXPECT_TRUE(call.prefill);
    EXPECT_EQ(call.start, 0);
    EXPECT_EQ(call.logitRows, int64_t(call.tokens.size()));
    for (const trit_batch_row &b : call.batch) {
      EXPECT_EQ(b.kv_cache, caches[rows[row].sequence]) << row;
      EXPECT_EQ(b.position, rows[row].position) << row;
      EXPECT_EQ(logits[row * 2], float(rows[row].token)) << row;
      ++row;
    }
  }
  EXPECT_EQ(row, 4u);

  // One row alone takes the decode entry on its sequence's cache.
  entryCalls.clear();
  trit::DecodeRow one = {3, 9, 4};
  ASSERT_FALSE(bool((*exec)->decodeBatch(&one, 1, logits)));
  ASSERT_EQ(entryCalls.size(), 1u);
  EXPECT_FALSE(entryCalls[0].prefill);
  EXPECT_EQ(entryCalls[0].kvCache, caches[3]);
  EXPECT_EQ(entryCalls[0].start, 4);
  EXPECT_TRUE(entryCalls[0].batch.empty());
}

TEST(Executor, BatchedStepsRefuseBadRowsBeforeRunning) {
  auto exec = trit::Executor::create(stubModel(), {}, 8, 1, 2);
  ASSERT_TRUE(bool(exec));
  float logits[2 * 3];
  entryCalls.clear();
  std::vector<trit::DecodeRow> twice = {{1, 5, 0}, {1, 6, 1}};
  EXPECT_EQ(trit::toString((*exec)->decodeBatch(twice.data(), 2, logits)),
            "sequence 1 appears twice in one batched step");
  std::vector<trit::DecodeRow> missing = {{0, 5, 0}, {2, 6, 1}};
  EXPECT_EQ(trit::toString((*exec)->decodeBatch(missing.data(), 2, logits)),
            "sequence 2 does not exist; this executor has 2");
  EXPECT_TRUE(entryCalls.empty());
  // A position past the cache: the compiled check's status, explained.
  std::vector<trit::DecodeRow> late = {{0, 5, 0}, {1, 6, 8}};
  EXPECT_EQ(trit::toString((*exec)->decodeBatch(late.data(), 2, logits)),
            "a batched step's position is outside a context of 8 tokens");
  EXPECT_EQ(trit::toString((*exec)->prefillSequence(-1, nullptr, 0, 0,
                                                    logits)),
            "sequence -1 does not exist; this executor has 2");
  auto none = trit::Executor::create(stubModel(), {}, 8, 1, 0);
  ASSERT_FALSE(bool(none));
  EXPECT_EQ(trit::toString(none.takeError()),
            "sequence count 0 is not between 1 and 4096");
}

} // namespace
