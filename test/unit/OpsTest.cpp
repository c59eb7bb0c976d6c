//===- OpsTest.cpp - the model operations the compiled code calls ---------===//
//
// Each instruction set's build of kernels/src/ops_template.h must agree bit
// for bit with the generic build (no FMA contraction anywhere), on odd
// shapes; the generic build must follow ggml's formulas and IEEE f16
// rounding.
//
//===----------------------------------------------------------------------===//

#include "TernaryPackers.h"
#include "trit/kernels.h"
#include "trit/ops.h"
#include "trit/Runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct OpsVariant {
  const char *name;
  bool supported;
  decltype(&trit_op_rms_norm_generic) rmsNorm;
  decltype(&trit_op_norm_quantize_generic) normQuantize;
  decltype(&trit_op_gate_generic) gate;
  decltype(&trit_op_rope_generic) rope;
  decltype(&trit_op_kv_store_generic) kvStore;
  decltype(&trit_op_attention_generic) attention;
  decltype(&trit_op_lm_head_generic) lmHead;
  decltype(&trit_op_embedding_f16_generic) embeddingF16;
  decltype(&trit_op_lm_head_q8_generic) lmHeadQ8;
  decltype(&trit_op_lm_head_q4_generic) lmHeadQ4;
  decltype(&trit_op_lm_head_rerank_generic) lmHeadRerank;
};

#define TRIT_OPS_VARIANT(isa, supported)                                       \
  OpsVariant {                                                                 \
    #isa, supported, trit_op_rms_norm_##isa, trit_op_norm_quantize_##isa,      \
        trit_op_gate_##isa, trit_op_rope_##isa, trit_op_kv_store_##isa,        \
        trit_op_attention_##isa, trit_op_lm_head_##isa,                        \
        trit_op_embedding_f16_##isa, trit_op_lm_head_q8_##isa,                 \
        trit_op_lm_head_q4_##isa, trit_op_lm_head_rerank_##isa                 \
  }

std::vector<OpsVariant> variants() {
  __builtin_cpu_init();
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  bool vnni = __builtin_cpu_supports("avx512vnni") &&
              __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vl");
  return {TRIT_OPS_VARIANT(generic, true), TRIT_OPS_VARIANT(avx2, avx2),
          TRIT_OPS_VARIANT(avx512vnni, vnni)};
}

uint16_t halfBits(float f) {
  _Float16 h = static_cast<_Float16>(f);
  uint16_t bits;
  std::memcpy(&bits, &h, 2);
  return bits;
}

std::vector<float> randomFloats(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// A context with a KV cache and RoPE tables, run on the caller's thread.
struct TestContext {
  TestContext(int64_t layers, int64_t capacity, int64_t kvWidth,
              int64_t headDim)
      : cache(layers * 2 * capacity * kvWidth),
        cos(capacity * headDim / 2), sin(capacity * headDim / 2) {
    for (int64_t p = 0; p < capacity; ++p)
      for (int64_t i = 0; i < headDim / 2; ++i) {
        float theta = p * std::pow(10000.0f, -2.0f * i / headDim);
        cos[p * headDim / 2 + i] = std::cos(theta);
        sin[p * headDim / 2 + i] = std::sin(theta);
      }
    ctx.abi_version = TRIT_ABI_VERSION;
    ctx.kv_cache = cache.data();
    ctx.kv_capacity = capacity;
    ctx.rope_cos = cos.data();
    ctx.rope_sin = sin.data();
  }
  std::vector<uint16_t> cache;
  std::vector<float> cos, sin;
  trit_exec_context ctx{};
};

TEST(Ops, EmbeddingDecodesEveryHalfExactly) {
  std::vector<uint16_t> table(65536);
  for (int i = 0; i < 65536; ++i)
    table[i] = uint16_t(i);
  int32_t token = 0;
  for (const OpsVariant &v : variants()) {
    if (!v.supported)
      continue;
    std::vector<float> out(65536);
    v.embeddingF16(table.data(), &token, 1, 65536, out.data());
    for (int i = 0; i < 65536; ++i) {
      _Float16 h;
      std::memcpy(&h, &table[i], 2);
      float expected = static_cast<float>(h);
      if (std::isnan(expected))
        EXPECT_TRUE(std::isnan(out[i])) << v.name << " " << i;
      else
        EXPECT_EQ(std::memcmp(&out[i], &expected, 4), 0)
            << v.name << " half 0x" << std::hex << i;
    }
  }
}

TEST(Ops, KVStoreRoundsToNearestEven) {
  // Ties, subnormals, overflow, infinities, signed zeros, random values.
  std::vector<float> values = {0.0f,      -0.0f,      1.0f,        -2.5f,
                               65504.0f,  65519.99f,  65520.0f,    1e6f,
                               -1e6f,     6.1e-5f,    5.96e-8f,    2.98e-8f,
                               2.99e-8f,  1e-10f,     INFINITY,    -INFINITY,
                               1.0009765625f /* 1 + 2^-10 */,
                               1.00048828125f /* tie: 1 + 2^-11 */,
                               1.00146484375f /* tie up: 1 + 3 * 2^-11 */};
  for (float x : randomFloats(4000, 30.0f, 7))
    values.push_back(x);
  for (float x : randomFloats(4000, 1e-5f, 8))
    values.push_back(x);
  int64_t width = values.size();
  for (const OpsVariant &v : variants()) {
    if (!v.supported)
      continue;
    TestContext t(1, 1, width, 2);
    v.kvStore(&t.ctx, 0, values.data(), values.data(), 1, 0, width);
    for (int64_t i = 0; i < width; ++i)
      EXPECT_EQ(t.cache[i], halfBits(values[i]))
          << v.name << " value " << values[i];
  }
}

TEST(Ops, RmsNormFollowsGgml) {
  const int64_t n = 3, cols = 259;
  std::vector<float> x = randomFloats(n * cols, 2.0f, 1);
  std::vector<float> w = randomFloats(cols, 1.0f, 2), out(n * cols);
  trit_op_rms_norm_generic(x.data(), w.data(), 1e-5f, n, cols, out.data());
  for (int64_t t = 0; t < n; ++t) {
    double sum = 0;
    for (int64_t k = 0; k < cols; ++k)
      sum += double(x[t * cols + k] * x[t * cols + k]);
    float scale = 1.0f / std::sqrt(float(sum / cols) + 1e-5f);
    for (int64_t k = 0; k < cols; ++k)
      EXPECT_EQ(out[t * cols + k], (x[t * cols + k] * scale) * w[k]);
  }
}

TEST(Ops, SiluIsWithinTwoUlpOfLibm) {
  std::vector<float> g = randomFloats(10000, 6.0f, 3);
  g.insert(g.end(), {-100.0f, -87.0f, -20.0f, 0.0f, 20.0f, 88.0f, 100.0f});
  std::vector<float> ones(g.size(), 1.0f), out(g.size());
  trit_op_gate_generic(1, g.data(), ones.data(), g.size(), out.data());
  for (size_t i = 0; i < g.size(); ++i) {
    float expected = float(double(g[i]) / (1.0 + std::exp(-double(g[i]))));
    EXPECT_NEAR(out[i], expected, 4 * std::abs(expected) * 1.2e-7f + 1e-30f)
        << "silu(" << g[i] << ")";
  }
}

TEST(Ops, EveryIsaMatchesGenericExactly) {
  std::vector<OpsVariant> all = variants();
  const OpsVariant &ref = all[0];
  // Odd shapes: 3 tokens, rows of 259, heads of 64 with GQA, a vocabulary of
  // 37 rows of 100 (not a multiple of the 16 partial sums).
  const int64_t n = 3, cols = 259, heads = 4, kvHeads = 2, hd = 64;
  const int64_t width = heads * hd, kvWidth = kvHeads * hd, start = 5;
  const int64_t capacity = 16, vocab = 37, dim = 100;
  std::vector<float> x = randomFloats(n * cols, 3.0f, 4);
  std::vector<float> w = randomFloats(cols, 1.0f, 5);
  std::vector<float> q = randomFloats(n * width, 1.0f, 6);
  std::vector<float> k = randomFloats(n * kvWidth, 1.0f, 7);
  std::vector<float> vv = randomFloats(n * kvWidth, 1.0f, 8);
  std::vector<float> head = randomFloats(vocab * dim, 0.1f, 9);
  std::vector<float> hx = randomFloats(n * dim, 1.0f, 10);
  std::vector<uint16_t> head16(head.size());
  for (size_t i = 0; i < head.size(); ++i)
    head16[i] = halfBits(head[i]);

  // A q8_rows table: [vocab] scales, 64-aligned, then int8 codes.
  size_t codesAt = (vocab * 4 + 63) / 64 * 64;
  std::vector<uint8_t> q8Table(codesAt + vocab * dim);
  for (int64_t r = 0; r < vocab; ++r) {
    float scale = 0.01f * float(r + 1);
    std::memcpy(q8Table.data() + r * 4, &scale, 4);
    for (int64_t k = 0; k < dim; ++k)
      q8Table[codesAt + r * dim + k] = uint8_t(int8_t((r * 7 + k * 13) % 255 - 127));
  }

  struct Results {
    std::vector<float> norm, normed, gate0, gate1, rope0, rope1, attention,
        lm16, lm32, lmq8, qscales;
    std::vector<int8_t> codes;
    std::vector<int32_t> sums;
    std::vector<uint16_t> cache;
  };
  auto run = [&](const OpsVariant &v) {
    Results r;
    r.norm.resize(n * cols);
    v.rmsNorm(x.data(), w.data(), 1e-5f, n, cols, r.norm.data());
    r.normed.resize(cols);
    r.codes.resize(n * cols);
    r.qscales.resize(n);
    r.sums.resize(n);
    trit_exec_context serial{};
    v.normQuantize(&serial, x.data(), w.data(), 1e-5f, n, cols,
                   r.normed.data(), r.codes.data(), r.qscales.data(),
                   r.sums.data());
    r.gate0.resize(n * cols);
    r.gate1.resize(n * cols);
    v.gate(0, x.data(), r.norm.data(), n * cols, r.gate0.data());
    v.gate(1, x.data(), r.norm.data(), n * cols, r.gate1.data());
    TestContext t(2, capacity, kvWidth, hd);
    r.rope0.resize(n * width);
    r.rope1.resize(n * width);
    v.rope(&t.ctx, q.data(), n, width, hd, start, 1, r.rope0.data());
    v.rope(&t.ctx, q.data(), n, width, hd, start, 0, r.rope1.data());
    // Fill positions 0..start+n of layer 1, then attend from start.
    for (int64_t p = 0; p < start; ++p)
      v.kvStore(&t.ctx, 1, k.data(), vv.data(), 1, p, kvWidth);
    v.kvStore(&t.ctx, 1, k.data(), vv.data(), n, start, kvWidth);
    r.cache = t.cache;
    std::vector<float> scratch(heads * 16 * (capacity + hd));
    r.attention.resize(n * width);
    v.attention(&t.ctx, 1, r.rope0.data(), n, start, heads, kvHeads, hd,
                0.125f, capacity, scratch.data(), r.attention.data());
    std::vector<float> rounded(n * dim);
    r.lm16.resize(n * vocab);
    r.lm32.resize(n * vocab);
    v.lmHead(&t.ctx, hx.data(), n, dim, head16.data(), 1, vocab,
             rounded.data(), r.lm16.data());
    v.lmHead(&t.ctx, hx.data(), n, dim, head.data(), 0, vocab, rounded.data(),
             r.lm32.data());
    r.lmq8.resize(n * vocab);
    std::vector<uint8_t> scratchQ8(n * dim * 4);
    v.lmHeadQ8(&t.ctx, hx.data(), n, dim, q8Table.data(), vocab,
               scratchQ8.data(), r.lmq8.data());
    return r;
  };
  Results expected = run(ref);
  for (const OpsVariant &v : all) {
    if (!v.supported || &v == &all[0])
      continue;
    Results got = run(v);
    auto same = [](const auto &a, const auto &b) {
      return a.size() == b.size() &&
             std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0;
    };
    EXPECT_TRUE(same(got.norm, expected.norm)) << v.name << " rms_norm";
    EXPECT_TRUE(same(got.codes, expected.codes)) << v.name << " quantize";
    EXPECT_TRUE(same(got.qscales, expected.qscales)) << v.name << " scales";
    EXPECT_TRUE(same(got.sums, expected.sums)) << v.name << " sums";
    EXPECT_TRUE(same(got.gate0, expected.gate0)) << v.name << " relu2";
    EXPECT_TRUE(same(got.gate1, expected.gate1)) << v.name << " silu";
    EXPECT_TRUE(same(got.rope0, expected.rope0)) << v.name << " rope neox";
    EXPECT_TRUE(same(got.rope1, expected.rope1)) << v.name << " rope";
    EXPECT_TRUE(same(got.cache, expected.cache)) << v.name << " kv_store";
    EXPECT_TRUE(same(got.attention, expected.attention))
        << v.name << " attention";
    EXPECT_TRUE(same(got.lm16, expected.lm16)) << v.name << " lm_head f16";
    EXPECT_TRUE(same(got.lm32, expected.lm32)) << v.name << " lm_head f32";
    EXPECT_TRUE(same(got.lmq8, expected.lmq8)) << v.name << " lm_head q8";
  }
}

TEST(Ops, AttentionOfOnePositionReturnsItsValue) {
  // With a single cached position the softmax is exactly 1.
  const int64_t hd = 64;
  TestContext t(1, 4, hd, hd);
  std::vector<float> k = randomFloats(hd, 1.0f, 11), v(hd), q(hd, 0.5f);
  for (int64_t i = 0; i < hd; ++i)
    v[i] = float(i) * 0.25f; // exact in f16
  trit_op_kv_store_generic(&t.ctx, 0, k.data(), v.data(), 1, 0, hd);
  std::vector<float> scratch(16 * (4 + hd)), out(hd);
  trit_op_attention_generic(&t.ctx, 0, q.data(), 1, 0, 1, 1, hd, 0.125f, 4,
                            scratch.data(), out.data());
  for (int64_t i = 0; i < hd; ++i)
    EXPECT_EQ(out[i], v[i]);
}

TEST(Ops, AttentionIsTheSameOnEveryInstructionSetForEveryHeadSize) {
  // Head sizes with and without a 16-element tail (the intrinsic kernels
  // must follow the C definition's order for both), a prompt of 5 tokens
  // over 3 cached positions.
  for (int64_t hd : {16, 20, 48, 128}) {
    const int64_t heads = 2, n = 5, start = 3, capacity = 8;
    std::vector<float> k = randomFloats(capacity * hd, 1.0f, 41),
                       v = randomFloats(capacity * hd, 1.0f, 42),
                       q = randomFloats(n * heads * hd, 1.0f, 43);
    std::vector<float> expected;
    for (const OpsVariant &variant : variants()) {
      if (!variant.supported)
        continue;
      TestContext t(1, capacity, hd, hd);
      variant.kvStore(&t.ctx, 0, k.data(), v.data(), start + n, 0, hd);
      std::vector<float> scratch(heads * 16 * (capacity + hd)),
          out(n * heads * hd);
      variant.attention(&t.ctx, 0, q.data(), n, start, heads, 1, hd, 0.125f,
                        capacity, scratch.data(), out.data());
      if (expected.empty())
        expected = out;
      else
        EXPECT_EQ(0, std::memcmp(out.data(), expected.data(), out.size() * 4))
            << variant.name << " head size " << hd;
    }
  }
}

TEST(Ops, PromptAttentionInBlocksIsTokenByTokenAttention) {
  // A prompt of 37 tokens after 3 cached positions takes two blocks of 16
  // queries and 5 single ones; each token must get what it gets alone
  // (n = 1 never takes a block), with GQA (4 heads on 2 KV heads) and a
  // head size that is not a multiple of 16 (no blocks).
  for (int64_t hd : {16, 20, 64}) {
    const int64_t heads = 4, kvHeads = 2, n = 37, start = 3,
                  capacity = 48, width = heads * hd, kvWidth = kvHeads * hd;
    std::vector<float> k = randomFloats((start + n) * kvWidth, 1.0f, 51),
                       v = randomFloats((start + n) * kvWidth, 1.0f, 52),
                       q = randomFloats(n * width, 1.0f, 53);
    for (const OpsVariant &variant : variants()) {
      if (!variant.supported)
        continue;
      TestContext t(1, capacity, kvWidth, hd);
      variant.kvStore(&t.ctx, 0, k.data(), v.data(), start + n, 0, kvWidth);
      std::vector<float> scratch(heads * 16 * (capacity + hd));
      std::vector<float> together(n * width), alone(n * width);
      variant.attention(&t.ctx, 0, q.data(), n, start, heads, kvHeads, hd,
                        0.125f, capacity, scratch.data(), together.data());
      for (int64_t i = 0; i < n; ++i)
        variant.attention(&t.ctx, 0, q.data() + i * width, 1, start + i,
                          heads, kvHeads, hd, 0.125f, capacity,
                          scratch.data(), alone.data() + i * width);
      for (int64_t i = 0; i < n; ++i)
        EXPECT_EQ(0, std::memcmp(together.data() + i * width,
                                 alone.data() + i * width, width * 4))
            << variant.name << " head size " << hd << " token " << i;
    }
  }
}

TEST(Ops, BatchRowsUseTheirOwnCachesAndPositions) {
  // A batched step: three sequences at positions 5, 0 and 9, each with its
  // own KV cache. RoPE, the KV store and attention must give each row what
  // the one-token call on its own cache gives (head size 64 would take a
  // query block in a prompt; rows of a batch never do).
  const int64_t hd = 64, heads = 4, kvHeads = 2, capacity = 16, n = 3;
  const int64_t width = heads * hd, kvWidth = kvHeads * hd;
  const int64_t positions[n] = {5, 0, 9};
  std::vector<float> q = randomFloats(n * width, 1.0f, 61),
                     k = randomFloats(n * kvWidth, 1.0f, 62),
                     v = randomFloats(n * kvWidth, 1.0f, 63);
  for (const OpsVariant &variant : variants()) {
    if (!variant.supported)
      continue;
    // Each sequence's history, the same in both runs.
    std::vector<TestContext> alone, batched;
    alone.reserve(n);
    for (int64_t s = 0; s < n; ++s) {
      alone.emplace_back(1, capacity, kvWidth, hd);
      std::vector<float> hk = randomFloats(capacity * kvWidth, 1.0f, 70 + s),
                         hv = randomFloats(capacity * kvWidth, 1.0f, 80 + s);
      variant.kvStore(&alone.back().ctx, 0, hk.data(), hv.data(),
                      positions[s], 0, kvWidth);
    }
    batched = alone;
    for (TestContext &t : batched)
      t.ctx.kv_cache = t.cache.data();
    std::vector<float> scratch(heads * 16 * (capacity + hd));
    std::vector<float> expectedQ(n * width), expected(n * width);
    for (int64_t s = 0; s < n; ++s) {
      TestContext &t = alone[s];
      t.ctx.kv_cache = t.cache.data();
      variant.rope(&t.ctx, q.data() + s * width, 1, width, hd, positions[s],
                   0, expectedQ.data() + s * width);
      variant.kvStore(&t.ctx, 0, k.data() + s * kvWidth,
                      v.data() + s * kvWidth, 1, positions[s], kvWidth);
      variant.attention(&t.ctx, 0, expectedQ.data() + s * width, 1,
                        positions[s], heads, kvHeads, hd, 0.125f, capacity,
                        scratch.data(), expected.data() + s * width);
    }
    trit_batch_row rows[n];
    for (int64_t s = 0; s < n; ++s)
      rows[s] = {batched[s].cache.data(), positions[s]};
    trit_exec_context ctx = batched[0].ctx;
    ctx.kv_cache = nullptr; // every access goes through the rows
    ctx.batch = rows;
    std::vector<float> gotQ(n * width), got(n * width);
    variant.rope(&ctx, q.data(), n, width, hd, 0, 0, gotQ.data());
    variant.kvStore(&ctx, 0, k.data(), v.data(), n, 0, kvWidth);
    variant.attention(&ctx, 0, gotQ.data(), n, 0, heads, kvHeads, hd, 0.125f,
                      capacity, scratch.data(), got.data());
    EXPECT_EQ(0, std::memcmp(gotQ.data(), expectedQ.data(), gotQ.size() * 4))
        << variant.name;
    EXPECT_EQ(0, std::memcmp(got.data(), expected.data(), got.size() * 4))
        << variant.name;
    for (int64_t s = 0; s < n; ++s)
      EXPECT_EQ(batched[s].cache, alone[s].cache) << variant.name << " " << s;
  }
}

TEST(Ops, BatchRowsAreCheckedBeforeAnyWork) {
  TestContext a(1, 8, 64, 64), b(1, 8, 64, 64);
  trit_batch_row rows[2] = {{a.cache.data(), 7}, {b.cache.data(), 0}};
  a.ctx.batch = rows;
  int32_t tokens[2] = {1, 2};
  auto check = [&](int64_t start) {
    return trit_op_check_inputs_generic(&a.ctx, tokens, 2, start, 2, 16, 8,
                                        10);
  };
  EXPECT_EQ(TRIT_EXEC_OK, check(0));
  EXPECT_EQ(TRIT_EXEC_BAD_BATCH, check(1)); // start must be 0
  rows[0].position = 8;                     // past the capacity
  EXPECT_EQ(TRIT_EXEC_BAD_BATCH, check(0));
  rows[0].position = -1;
  EXPECT_EQ(TRIT_EXEC_BAD_BATCH, check(0));
  rows[0] = {nullptr, 1};
  EXPECT_EQ(TRIT_EXEC_BAD_BATCH, check(0));
}

TEST(Ops, BitLinearRangesMatchTheGemv) {
  const int64_t n = 3, rows = 37, cols = 384;
  std::mt19937 rng(12);
  std::vector<uint8_t> packed(rows * cols / 4);
  for (uint8_t &b : packed) {
    // Codes 0..2 only (3 is not a ternary code).
    b = 0;
    for (int j = 0; j < 4; ++j)
      b |= uint8_t(rng() % 3) << (2 * j);
  }
  std::vector<float> x = randomFloats(n * cols, 1.0f, 13);
  std::vector<int8_t> codes(n * cols);
  std::vector<float> scales(n);
  std::vector<int32_t> sums(n);
  trit_exec_context serial{};
  trit_op_norm_quantize_generic(&serial, x.data(), nullptr, 0.0f, n, cols, nullptr,
                                codes.data(), scales.data(), sums.data());
  std::vector<float> out(n * rows);
  trit_exec_context ctx{};
  // The range function the compiler generates, written by hand.
  static thread_local int64_t rangeCols, rangeRows;
  rangeCols = cols;
  rangeRows = rows;
  trit_bitlinear_range_fn range = [](const void *args, trit_chunks *c) {
    trit_op_bitlinear_range_generic(args, rangeCols, rangeRows, c);
  };
  trit_op_bitlinear_generic(&ctx, range, packed.data(), 0.75f, codes.data(),
                            scales.data(), sums.data(), n, rows, out.data());
  for (int64_t t = 0; t < n; ++t) {
    std::vector<float> expected(rows);
    trit_bitlinear_gemv_generic(packed.data(), codes.data() + t * cols,
                                sums[t], scales[t], 0.75f, cols, 0, rows,
                                expected.data());
    for (int64_t r = 0; r < rows; ++r)
      EXPECT_EQ(out[t * rows + r], expected[r]) << "token " << t << " row " << r;
  }
}

extern "C" void trit_op_bitlinear_t3x5x64_range_avx512vnni(const void *closure,
                                                           int64_t cols,
                                                           int64_t rows,
                                                           trit_chunks *chunks);
extern "C" void trit_op_bitlinear_fused_avx512vnni(
    const trit_exec_context *ctx, const int8_t *q, const float *q_scales,
    const int32_t *q_sums, int64_t n, trit_bitlinear_range_fn range0,
    const uint8_t *weights0, float w_scale0, int64_t rows0, float *out0,
    trit_bitlinear_range_fn range1, const uint8_t *weights1, float w_scale1,
    int64_t rows1, float *out1, trit_bitlinear_range_fn range2,
    const uint8_t *weights2, float w_scale2, int64_t rows2, float *out2);

// On a pool, BitLinears are split into chunks that any thread takes, and
// the rows-in-lanes row dots build their tables once per thread: the same
// bits as one thread, for one op and for a fused op, whatever the split.
TEST(Ops, BitLinearsOnAPoolMatchOneThread) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512vnni") ||
      !__builtin_cpu_supports("avx512vbmi"))
    GTEST_SKIP() << "CPU lacks avx512vnni or avx512vbmi";
  const int64_t rows = 640, cols = 2560;
  std::mt19937 rng(41);
  std::vector<int8_t> ternary(rows * cols);
  for (int8_t &t : ternary)
    t = int8_t(int(rng() % 3) - 1);
  std::vector<uint8_t> packed = trit::test::packT3X5x64(ternary, rows, cols);
  // The generated range function has the shape as constants.
  trit_bitlinear_range_fn lanes = [](const void *a, trit_chunks *c) {
    trit_op_bitlinear_t3x5x64_range_avx512vnni(a, 2560, 640, c);
  };
  for (int64_t n : {1, 3}) {
    std::vector<float> x = randomFloats(n * cols, 1.0f, 42 + int(n));
    std::vector<int8_t> q(n * cols);
    std::vector<float> scales(n);
    std::vector<int32_t> sums(n);
    trit_exec_context serial{};
    trit_op_norm_quantize_generic(&serial, x.data(), nullptr, 0.0f, n, cols,
                                  nullptr, q.data(), scales.data(),
                                  sums.data());
    std::vector<float> alone(n * rows);
    trit_op_bitlinear_avx512vnni(&serial, lanes, packed.data(), 0.75f,
                                 q.data(), scales.data(), sums.data(), n, rows,
                                 alone.data());
    for (int threads : {2, 3, 5}) {
      trit::ThreadPool pool(threads);
      trit_exec_context ctx{};
      ctx.threads = uint32_t(threads);
      ctx.parallel = &trit::ThreadPool::runCallback;
      ctx.pool = &pool;
      for (int repeat = 0; repeat < 10; ++repeat) {
        std::vector<float> out(n * rows);
        trit_op_bitlinear_avx512vnni(&ctx, lanes, packed.data(), 0.75f,
                                     q.data(), scales.data(), sums.data(), n,
                                     rows, out.data());
        ASSERT_EQ(out, alone) << n << " tokens, " << threads << " threads";
        std::vector<float> a(n * rows), b(n * rows), c(n * rows);
        trit_op_bitlinear_fused_avx512vnni(
            &ctx, q.data(), scales.data(), sums.data(), n, lanes,
            packed.data(), 0.75f, rows, a.data(), lanes, packed.data(), 0.75f,
            rows, b.data(), lanes, packed.data(), 0.75f, rows, c.data());
        ASSERT_EQ(a, alone) << n << " tokens, " << threads << " threads";
        ASSERT_EQ(b, alone) << n << " tokens, " << threads << " threads";
        ASSERT_EQ(c, alone) << n << " tokens, " << threads << " threads";
      }
    }
  }
}

// The AVX-512 family's T3X5 range kernels for one model: exact
// (vpshufb rows), exact with VBMI rows, and through lookup tables (exact
// below TRIT_LUT_MIN_TOKENS tokens, else the generic table tile's dots
// through the BitLinear output formula).
TEST(Ops, T3X5RangesAgreeOnEveryPath) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512vnni") ||
      !__builtin_cpu_supports("avx512vbmi"))
    GTEST_SKIP() << "CPU lacks avx512vnni or avx512vbmi";
  const int64_t rows = 37, cols = 2560; // an unpaired group, a 64-weight tail
  std::mt19937 rng(21);
  std::vector<int8_t> ternary(rows * cols);
  for (int8_t &t : ternary)
    t = int8_t(int(rng() % 3) - 1);
  std::vector<uint8_t> packed = trit::test::packT3X5(ternary, rows, cols);
  static thread_local int64_t rangeCols, rangeRows;
  rangeCols = cols;
  rangeRows = rows;
  trit_bitlinear_range_fn exact = [](const void *a, trit_chunks *c) {
    trit_op_bitlinear_t3x5_range_avx512vnni(a, rangeCols, rangeRows, c);
  };
  trit_bitlinear_range_fn vbmi = [](const void *a, trit_chunks *c) {
    trit_op_bitlinear_t3x5_vbmi_range_avx512vnni(a, rangeCols, rangeRows, c);
  };
  trit_bitlinear_range_fn lut = [](const void *a, trit_chunks *c) {
    trit_op_bitlinear_t3x5_lut_range_avx512vnni(a, rangeCols, rangeRows, c);
  };
  for (int64_t n : {1, 3, 7, 8, 20, 130}) {
    std::vector<float> x = randomFloats(n * cols, 1.0f, 22 + int(n));
    std::vector<int8_t> q(n * cols);
    std::vector<float> scales(n);
    std::vector<int32_t> sums(n);
    trit_exec_context serial{};
    trit_op_norm_quantize_generic(&serial, x.data(), nullptr, 0.0f, n, cols,
                                  nullptr, q.data(), scales.data(),
                                  sums.data());
    auto run = [&](trit_bitlinear_range_fn range) {
      std::vector<float> out(n * rows);
      trit_exec_context ctx{};
      trit_op_bitlinear_avx512vnni(&ctx, range, packed.data(), 0.75f,
                                   q.data(), scales.data(), sums.data(), n,
                                   rows, out.data());
      return out;
    };
    std::vector<float> reference = run(exact);
    EXPECT_EQ(run(vbmi), reference) << n << " tokens";
    std::vector<float> expected = reference;
    if (n >= TRIT_LUT_MIN_TOKENS) {
      // Chunks of TRIT_LUT_MAX_TOKENS tokens, as the range kernel takes them.
      for (int64_t t0 = 0; t0 < n; t0 += TRIT_LUT_MAX_TOKENS) {
        int64_t nt = std::min<int64_t>(n - t0, TRIT_LUT_MAX_TOKENS);
        std::vector<int32_t> dots(nt * rows);
        trit_t3x5_lut_dot_tile_generic(packed.data(), q.data() + t0 * cols,
                                       cols, 0, rows, nt, dots.data(), rows);
        for (int64_t t = 0; t < nt; ++t)
          for (int64_t r = 0; r < rows; ++r)
            expected[(t0 + t) * rows + r] =
                float(dots[t * rows + r] - sums[t0 + t]) / scales[t0 + t] *
                0.75f;
      }
    }
    EXPECT_EQ(run(lut), expected) << n << " tokens";
  }
}

} // namespace

namespace {

TEST(Ops, ExactHeadFollowsItsDefinitionForAnyTokenCount) {
  // The f16 and f32 heads against their definition: the input rounded to
  // f16 (for an f16 table), sixteen partial sums per row and token (lane l
  // takes elements l, l + 16, ...; a tail goes to lane 0), added in lane
  // order from 0.0f. 1 to 9 tokens (the kernels block 4 rows x 4 tokens),
  // 37 rows (a ragged row block), row sizes with and without a tail.
  for (int64_t dim : {16, 100, 2560 + 7}) {
    const int64_t vocab = 37;
    std::vector<float> table = randomFloats(vocab * dim, 0.5f, 91);
    std::vector<uint16_t> table16(table.size());
    for (size_t i = 0; i < table.size(); ++i)
      table16[i] = halfBits(table[i]);
    for (int64_t n = 1; n <= 9; ++n) {
      std::vector<float> x = randomFloats(n * dim, 1.0f, 92 + n);
      for (int f16 : {0, 1}) {
        std::vector<float> expected(n * vocab);
        for (int64_t t = 0; t < n; ++t)
          for (int64_t r = 0; r < vocab; ++r) {
            float acc[16] = {0};
            for (int64_t k = 0; k < dim; ++k) {
              float w = f16 ? float(reinterpret_cast<const _Float16 &>(
                                  table16[r * dim + k]))
                            : table[r * dim + k];
              float xi = f16 ? float(_Float16(x[t * dim + k])) : x[t * dim + k];
              acc[k < dim / 16 * 16 ? k % 16 : 0] += w * xi;
            }
            float sum = 0.0f;
            for (float a : acc)
              sum += a;
            expected[t * vocab + r] = sum;
          }
        for (const OpsVariant &v : variants()) {
          if (!v.supported)
            continue;
          trit_exec_context ctx{};
          ctx.abi_version = TRIT_ABI_VERSION;
          std::vector<float> rounded(n * dim), out(n * vocab);
          v.lmHead(&ctx, x.data(), n, dim,
                   f16 ? static_cast<const void *>(table16.data())
                       : static_cast<const void *>(table.data()),
                   f16, vocab, rounded.data(), out.data());
          EXPECT_EQ(0, std::memcmp(out.data(), expected.data(), out.size() * 4))
              << v.name << " dim " << dim << " tokens " << n << " f16 " << f16;
        }
      }
    }
  }
}

TEST(Ops, FourBitHeadFollowsItsDefinitionOnEveryInstructionSet) {
  const int64_t vocab = 37, dim = 384, n = 3, blocks = dim / 128;
  std::vector<float> x = randomFloats(n * dim, 1.0f, 31);
  // A q4_blocks table: [vocab][blocks] scales, 64-aligned, then codes.
  size_t codesAt = (vocab * blocks * 4 + 63) / 64 * 64;
  std::vector<uint8_t> table(codesAt + vocab * dim / 2);
  std::vector<int> codes(vocab * dim); // -7..7
  for (int64_t r = 0; r < vocab; ++r)
    for (int64_t b = 0; b < blocks; ++b) {
      float scale = 0.01f * float(r + 1) + 0.003f * float(b);
      std::memcpy(table.data() + (r * blocks + b) * 4, &scale, 4);
      for (int64_t k = 0; k < 128; ++k) {
        int code = int((r * 7 + b * 5 + k * 13) % 15) - 7;
        codes[r * dim + b * 128 + k] = code;
        table[codesAt + r * dim / 2 + b * 64 + k % 64] |=
            uint8_t((code + 8) << (k < 64 ? 0 : 4));
      }
    }
  // The definition (kernels/src/ops_template.h): int32 lanes of four element pairs,
  // scaled per block into sixteen float sums, added in order.
  std::vector<float> expected(n * vocab);
  for (int64_t t = 0; t < n; ++t) {
    std::vector<int8_t> q(dim);
    int32_t sum;
    float qs = trit_quantize_row_generic(x.data() + t * dim, q.data(), dim,
                                         &sum);
    for (int64_t r = 0; r < vocab; ++r) {
      float acc[16] = {0};
      for (int64_t b = 0; b < blocks; ++b) {
        float scale;
        std::memcpy(&scale, table.data() + (r * blocks + b) * 4, 4);
        for (int l = 0; l < 16; ++l) {
          int32_t lane = 0;
          for (int i = 0; i < 4; ++i)
            for (int64_t k : {b * 128 + 4 * l + i, b * 128 + 64 + 4 * l + i})
              lane += codes[r * dim + k] * q[k];
          acc[l] += float(lane) * scale;
        }
      }
      float total = 0;
      for (float a : acc)
        total += a;
      expected[t * vocab + r] = total / qs;
    }
  }
  std::vector<uint8_t> scratch(n * dim * 4);
  for (const OpsVariant &v : variants()) {
    if (!v.supported)
      continue;
    std::vector<float> out(n * vocab);
    trit_exec_context ctx{};
    v.lmHeadQ4(&ctx, x.data(), n, dim, table.data(), vocab, scratch.data(),
               out.data());
    EXPECT_EQ(0, std::memcmp(out.data(), expected.data(), out.size() * 4))
        << v.name;
  }
}

/// Scratch of lm_head_rerank for n tokens (the layout of the compiler's
/// getLMHeadScratchSize, with room for alignment): the rounded input, its
/// codes, scales and sums, the histogram, the candidates, and the check's
/// batch with its refined estimates.
size_t rerankScratchBytes(int64_t n, int64_t dim) {
  return size_t(n * dim * 5 + 1024 + (4096 + 8192 + 2 * 8192) * 4);
}

/// The exact f16 head's logits [n][vocab] for the reranking head's tests
/// to compare with; `rounded` receives the input rounded to f16.
std::vector<float> exactHeadLogits(const OpsVariant &v,
                                   const std::vector<float> &x, int64_t n,
                                   int64_t dim,
                                   const std::vector<uint16_t> &table,
                                   int64_t vocab, std::vector<float> &rounded) {
  trit_exec_context ctx{};
  std::vector<float> exact(n * vocab);
  rounded.assign(n * dim, 0.0f);
  v.lmHead(&ctx, x.data(), n, dim, table.data(), 1, vocab, rounded.data(),
           exact.data());
  return exact;
}

TEST(Ops, RerankHeadRecomputesTheBestEstimatesExactly) {
  const int64_t vocab = 301, dim = 384, n = 2;
  std::vector<float> x = randomFloats(n * dim, 1.0f, 41);
  std::vector<float> values = randomFloats(vocab * dim, 0.05f, 42);
  std::vector<uint16_t> table(vocab * dim);
  for (size_t i = 0; i < table.size(); ++i)
    table[i] = halfBits(values[i]);
  // The ternary copy: its own values (the kernel does not care how they
  // were derived) and a scale per row.
  std::mt19937 rng(43);
  std::vector<int8_t> ternary(vocab * dim);
  for (int8_t &t : ternary)
    t = int8_t(int(rng() % 3) - 1);
  std::vector<float> rowScales(vocab);
  for (int64_t r = 0; r < vocab; ++r)
    rowScales[r] = 0.01f + 0.0001f * float(r % 17);
  // The estimates, from the definition in kernels/src/ops_template.h.
  std::vector<float> estimate(n * vocab);
  for (int64_t t = 0; t < n; ++t) {
    std::vector<int8_t> q(dim);
    int32_t sum;
    float qs =
        trit_quantize_row_generic(x.data() + t * dim, q.data(), dim, &sum);
    for (int64_t r = 0; r < vocab; ++r) {
      int32_t dot = 0;
      for (int64_t k = 0; k < dim; ++k)
        dot += ternary[r * dim + k] * q[k];
      estimate[t * vocab + r] = float(dot) / qs * rowScales[r];
    }
  }
  size_t codesAt = trit_ternary_rows_codes_offset(vocab, dim);
  __builtin_cpu_init();
  bool vbmi = __builtin_cpu_supports("avx512vbmi");
  // t3x5: 2 asks for the VBMI row dots (the AVX-512 family; T3X5 elsewhere).
  for (int t3x5 : {2, 1, 0}) {
    if (t3x5 == 2 && !vbmi)
      continue;
    std::vector<uint8_t> packed = t3x5
                                      ? trit::test::packT3X5(ternary, vocab, dim)
                                      : trit::test::packI2S(ternary, vocab, dim);
    std::vector<uint8_t> compact(codesAt + packed.size());
    std::memcpy(compact.data(), rowScales.data(), vocab * 4);
    std::memcpy(compact.data() + codesAt, packed.data(), packed.size());
    for (const OpsVariant &v : variants()) {
      if (!v.supported)
        continue;
      trit_exec_context ctx{};
      std::vector<float> rounded;
      std::vector<float> exact =
          exactHeadLogits(v, x, n, dim, table, vocab, rounded);
      std::vector<uint8_t> scratch(rerankScratchBytes(n, dim));
      for (int64_t candidates : {1, 17, 8192}) {
        // Margin 0: the candidates only, no check.
        std::vector<float> out(n * vocab);
        v.lmHeadRerank(&ctx, x.data(), n, dim, compact.data(), t3x5,
                       table.data(), 1, vocab, candidates, 0.0f, scratch.data(),
                       out.data());
        std::string where = std::string(v.name) +
                            (t3x5 == 2 ? " t3x5 vbmi"
                             : t3x5    ? " t3x5"
                                       : " i2_s") +
                            ", " +
                            std::to_string(candidates) + " candidates";
        for (int64_t t = 0; t < n; ++t) {
          // Every row at or above the candidates-th highest estimate is
          // exact; the others are their estimate or exact (rows that share
          // the cut-off's histogram bin).
          std::vector<float> sorted(estimate.begin() + t * vocab,
                                    estimate.begin() + (t + 1) * vocab);
          std::sort(sorted.rbegin(), sorted.rend());
          float cutoff = sorted[std::min<int64_t>(candidates, vocab) - 1];
          int64_t recomputed = 0;
          for (int64_t r = 0; r < vocab; ++r) {
            float got = out[t * vocab + r], est = estimate[t * vocab + r];
            if (est >= cutoff)
              EXPECT_EQ(got, exact[t * vocab + r]) << where << " row " << r;
            else
              EXPECT_TRUE(got == est || got == exact[t * vocab + r])
                  << where << " row " << r;
            recomputed += got != est;
          }
          // A few more than asked at most: 4096 bins over 301 values.
          EXPECT_LE(recomputed, std::min<int64_t>(candidates + 4, vocab))
              << where;
        }
      }
    }
  }
}

// The reranking head's check: a row the ternary copy misjudges (its codes
// are all zero, so its estimate is 0) but whose exact logit is the highest
// is found through its error statistics, and the exact-logits flag reads
// the whole table.
TEST(Ops, RerankHeadCheckRecomputesRowsThatMayBeatTheCandidates) {
  const int64_t vocab = 301, dim = 384, n = 2, winner = 7;
  std::vector<float> x = randomFloats(n * dim, 1.0f, 51);
  std::vector<float> values = randomFloats(vocab * dim, 0.05f, 52);
  for (int64_t k = 0; k < dim; ++k) // row 7 follows both tokens' inputs
    values[winner * dim + k] =
        0.02f * ((x[k] > 0 ? 1.0f : -1.0f) + (x[dim + k] > 0 ? 1.0f : -1.0f));
  std::vector<uint16_t> table(vocab * dim);
  std::vector<float> w(vocab * dim);
  for (size_t i = 0; i < table.size(); ++i) {
    table[i] = halfBits(values[i]);
    w[i] = float(static_cast<_Float16>(values[i]));
  }
  // The copy as layouts.h describes it: ternary rows of w (sign where
  // |w| > 0.75 mean |w|, the kept weights' mean as scale; row 7 all zero)
  // and a residual block, the same of what they leave out; each block's
  // header holds its scales and error statistics.
  struct Block {
    std::vector<int8_t> codes;
    std::vector<float> header;
  };
  std::vector<double> target(w.begin(), w.end()), estimate(vocab * dim, 0.0);
  auto makeBlock = [&](bool skipWinner) {
    Block block{std::vector<int8_t>(vocab * dim, 0),
                std::vector<float>(3 * vocab + dim, 0.0f)};
    std::vector<double> share(dim, 0.0);
    for (int64_t r = 0; r < vocab; ++r) {
      double mean = 0, kept = 0, count = 0;
      for (int64_t k = 0; k < dim; ++k)
        mean += std::fabs(target[r * dim + k]) / dim;
      for (int64_t k = 0; k < dim && !(skipWinner && r == winner); ++k)
        if (std::fabs(target[r * dim + k]) > 0.75 * mean) {
          block.codes[r * dim + k] = target[r * dim + k] > 0 ? 1 : -1;
          kept += std::fabs(target[r * dim + k]);
          count += 1;
        }
      float scale = count ? float(kept / count) : 0.0f;
      double energy = 0, estimateEnergy = 0;
      for (int64_t k = 0; k < dim; ++k) {
        target[r * dim + k] -= double(scale) * block.codes[r * dim + k];
        estimate[r * dim + k] += double(scale) * block.codes[r * dim + k];
        energy += target[r * dim + k] * target[r * dim + k];
        estimateEnergy += estimate[r * dim + k] * estimate[r * dim + k];
      }
      for (int64_t k = 0; k < dim && energy > 0; ++k)
        share[k] += target[r * dim + k] * target[r * dim + k] * dim / energy /
                    vocab;
      block.header[r] = scale;
      block.header[vocab + r] = float(std::sqrt(energy / dim));
      block.header[2 * vocab + r] = float(std::sqrt(estimateEnergy / dim));
    }
    for (int64_t k = 0; k < dim; ++k)
      block.header[3 * vocab + k] = float(share[k]);
    return block;
  };
  Block first = makeBlock(true), second = makeBlock(false);
  size_t codesAt = trit_ternary_rows_codes_offset(vocab, dim);
  size_t residualAt = trit_ternary_rows_residual_offset(
      TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_T3X5, vocab, dim);
  std::vector<uint8_t> compact(trit_weight_layout_bytes(
      TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_T3X5, vocab, dim));
  for (auto [block, at] : {std::pair{&first, size_t(0)},
                           std::pair{&second, residualAt}}) {
    std::vector<uint8_t> packed = trit::test::packT3X5(block->codes, vocab, dim);
    std::memcpy(compact.data() + at, block->header.data(),
                block->header.size() * 4);
    std::memcpy(compact.data() + at + codesAt, packed.data(), packed.size());
  }

  std::vector<uint8_t> scratch(rerankScratchBytes(n, dim));
  for (const OpsVariant &v : variants()) {
    if (!v.supported)
      continue;
    trit_exec_context ctx{};
    std::vector<float> rounded;
    std::vector<float> exact =
        exactHeadLogits(v, x, n, dim, table, vocab, rounded);
    for (int64_t t = 0; t < n; ++t)
      ASSERT_EQ(winner, std::max_element(exact.begin() + t * vocab,
                                         exact.begin() + (t + 1) * vocab) -
                            (exact.begin() + t * vocab));
    // Unchecked, with one candidate: row 7 keeps its estimate of 0.
    std::vector<float> unchecked(n * vocab);
    v.lmHeadRerank(&ctx, x.data(), n, dim, compact.data(), 1, table.data(), 1,
                   vocab, 1, 0.0f, scratch.data(), unchecked.data());
    for (int64_t t = 0; t < n; ++t)
      EXPECT_EQ(unchecked[t * vocab + winner], 0.0f) << v.name;
    // Checked: row 7 is recomputed (its residual block row carries it),
    // and so is every row whose first estimate + 8 sigma and refined
    // estimate + 8 sigma (the residual block's) reach the highest exact
    // logit.
    std::vector<float> out(n * vocab);
    v.lmHeadRerank(&ctx, x.data(), n, dim, compact.data(), 1, table.data(), 1,
                   vocab, 1, 8.0f, scratch.data(), out.data());
    for (int64_t t = 0; t < n; ++t) {
      const float *xt = rounded.data() + t * dim;
      std::vector<int8_t> q(dim);
      int32_t sum;
      float qs =
          trit_quantize_row_generic(x.data() + t * dim, q.data(), dim, &sum);
      auto sigmas = [&](const Block &block, int64_t r) {
        double xx = 0, ee = 0;
        for (int64_t k = 0; k < dim; ++k) {
          xx += block.header[3 * vocab + k] * double(xt[k]) * xt[k];
          ee += (xt[k] - q[k] / double(qs)) * (xt[k] - q[k] / double(qs));
        }
        return 8.0 * (block.header[vocab + r] * std::sqrt(xx) +
                      block.header[2 * vocab + r] * std::sqrt(ee));
      };
      float best = exact[t * vocab + winner];
      EXPECT_EQ(out[t * vocab + winner], best) << v.name;
      int64_t recomputed = 0;
      for (int64_t r = 0; r < vocab; ++r) {
        float got = out[t * vocab + r], want = exact[t * vocab + r];
        EXPECT_TRUE(got == unchecked[t * vocab + r] || got == want)
            << v.name << " row " << r;
        double dot = 0;
        for (int64_t k = 0; k < dim; ++k)
          dot += second.codes[r * dim + k] * q[k];
        double refined =
            unchecked[t * vocab + r] + dot / qs * second.header[r];
        double high = best * 1.001 + 1e-3;
        if (unchecked[t * vocab + r] + sigmas(first, r) > high &&
            refined + sigmas(second, r) > high)
          EXPECT_EQ(got, want) << v.name << " row " << r;
        recomputed += got == want;
      }
      EXPECT_LT(recomputed, vocab) << v.name << ": the check kept none";
    }
    // The exact-logits flag: every row from the table.
    ctx.flags = TRIT_EXEC_EXACT_LOGITS;
    std::vector<float> all(n * vocab);
    v.lmHeadRerank(&ctx, x.data(), n, dim, compact.data(), 1, table.data(), 1,
                   vocab, 1, 8.0f, scratch.data(), all.data());
    EXPECT_EQ(0, std::memcmp(all.data(), exact.data(), all.size() * 4))
        << v.name;
  }
}

TEST(Ops, CompactHeadIsAnExactIntegerDotScaledTwice) {
  const int64_t vocab = 5, dim = 130;
  std::vector<float> x = randomFloats(2 * dim, 1.0f, 21);
  size_t codesAt = (vocab * 4 + 63) / 64 * 64;
  std::vector<uint8_t> table(codesAt + vocab * dim);
  std::vector<int8_t> w(vocab * dim);
  for (int64_t r = 0; r < vocab; ++r) {
    float scale = 0.5f / float(r + 1);
    std::memcpy(table.data() + r * 4, &scale, 4);
    for (int64_t k = 0; k < dim; ++k) {
      w[r * dim + k] = int8_t((r * 31 + k * 17) % 255 - 127);
      table[codesAt + r * dim + k] = uint8_t(w[r * dim + k]);
    }
  }
  std::vector<uint8_t> scratch(2 * dim * 4);
  std::vector<float> out(2 * vocab);
  trit_exec_context ctx{};
  trit_op_lm_head_q8_generic(&ctx, x.data(), 2, dim, table.data(), vocab,
                             scratch.data(), out.data());
  for (int64_t t = 0; t < 2; ++t) {
    std::vector<int8_t> q(dim);
    int32_t sum;
    float qs = trit_quantize_row_generic(x.data() + t * dim, q.data(), dim, &sum);
    for (int64_t r = 0; r < vocab; ++r) {
      int32_t dot = 0;
      for (int64_t k = 0; k < dim; ++k)
        dot += int32_t(q[k]) * w[r * dim + k];
      float scale;
      std::memcpy(&scale, table.data() + r * 4, 4);
      EXPECT_EQ(out[t * vocab + r], float(dot) / qs * scale);
    }
  }
}

} // namespace
