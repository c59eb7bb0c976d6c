//===- trit-kernel-bench.cpp - microbenchmarks of the ternary kernels -----===//
//
// GEMV (one token) of each kernel variant on the BitNet 2B4T shapes, with the
// weights resident in cache and streamed from memory (a set of matrices much
// larger than the last-level cache, cycled), reporting GB/s of packed weights
// and GMAC/s; and the prompt-processing dot tile (16 rows x 1, 4 or 64
// tokens), reporting GMAC/s; the same for the T3X5 layout (kernels.h).
//
//===----------------------------------------------------------------------===//

#include "trit/kernels.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

using GemvFn = void (*)(const uint8_t *, const int8_t *, int32_t, float, float,
                        int64_t, int64_t, int64_t, float *);
using DotFn = void (*)(const uint8_t *, const int8_t *, int64_t, int64_t,
                       int64_t, int32_t *);

/// Runs kernel(weights, q) over one rows x cols matrix of `matrixBytes`
/// (cached) or cycling through >= 512 MB of distinct copies (streamed).
template <typename Kernel>
void runMatrix(benchmark::State &state, size_t matrixBytes, bool streamed,
               Kernel kernel) {
  int64_t rows = state.range(0), cols = state.range(1);
  size_t copies = streamed ? std::max<size_t>(1, (512u << 20) / matrixBytes) : 1;
  // 64-byte aligned, as the artifact stores weights.
  std::vector<uint8_t> storage(matrixBytes * copies + 64);
  uint8_t *weights = storage.data() + (64 - uintptr_t(storage.data()) % 64) % 64;
  std::mt19937 rng(1);
  for (size_t k = 0; k < matrixBytes * copies; ++k)
    weights[k] = uint8_t(rng()) & 0xAA; // I2_S: codes 0 or 2 in every pair
  std::vector<int8_t> q(cols);
  for (int8_t &v : q)
    v = int8_t(rng());
  size_t i = 0;
  for (auto _ : state)
    kernel(weights + (i++ % copies) * matrixBytes, q.data());
  state.counters["GB/s"] = benchmark::Counter(
      double(matrixBytes) * state.iterations(), benchmark::Counter::kIsRate,
      benchmark::Counter::kIs1000);
  state.counters["GMAC/s"] = benchmark::Counter(
      double(rows) * cols * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
}

void runGemv(benchmark::State &state, GemvFn gemv, bool streamed) {
  int64_t rows = state.range(0), cols = state.range(1);
  std::vector<float> out(rows);
  runMatrix(state, size_t(rows * cols / 4), streamed,
            [&](const uint8_t *weights, const int8_t *q) {
              gemv(weights, q, 0, 1.0f, 1.0f, cols, 0, rows, out.data());
              benchmark::DoNotOptimize(out.data());
              benchmark::ClobberMemory();
            });
}

/// The T3X5 layout's one-token dot products (1.67 bits per weight).
void runT3X5Rows(benchmark::State &state, DotFn dot, bool streamed) {
  int64_t rows = state.range(0), cols = state.range(1);
  std::vector<int32_t> out(rows);
  runMatrix(state, size_t(rows * trit_t3x5_row_bytes(cols)), streamed,
            [&](const uint8_t *weights, const int8_t *q) {
              dot(weights, q, cols, 0, rows, out.data());
              benchmark::DoNotOptimize(out.data());
              benchmark::ClobberMemory();
            });
}

/// The same with 64 rows in lanes (lookups of the token's triple sums).
void runT3X5x64Rows(benchmark::State &state, bool streamed) {
  int64_t rows = state.range(0), cols = state.range(1);
  std::vector<int32_t> out(rows);
  runMatrix(state, size_t(rows / 64 * trit_t3x5x64_superblock_bytes(cols)),
            streamed, [&](const uint8_t *weights, const int8_t *q) {
              trit_t3x5x64_dot_rows_avx512vbmi(weights, q, cols, 0, rows,
                                               out.data());
              benchmark::DoNotOptimize(out.data());
              benchmark::ClobberMemory();
            });
}

void shapes(benchmark::internal::Benchmark *b) {
  // q/o, k/v, gate/up, down of BitNet b1.58 2B4T.
  b->Args({2560, 2560})->Args({640, 2560})->Args({6912, 2560})->Args(
      {2560, 6912});
}

#define TRIT_GEMV_BENCH(isa, check)                                            \
  void gemv_##isa##_cached(benchmark::State &state) {                          \
    if (!(check))                                                              \
      return state.SkipWithError("CPU lacks " #isa);                           \
    runGemv(state, trit_bitlinear_gemv_##isa, false);                          \
  }                                                                            \
  void gemv_##isa##_streamed(benchmark::State &state) {                        \
    if (!(check))                                                              \
      return state.SkipWithError("CPU lacks " #isa);                           \
    runGemv(state, trit_bitlinear_gemv_##isa, true);                           \
  }                                                                            \
  BENCHMARK(gemv_##isa##_cached)->Apply(shapes);                               \
  BENCHMARK(gemv_##isa##_streamed)->Apply(shapes);

#define TRIT_T3X5_ROWS_BENCH(isa, check)                                       \
  void t3x5_##isa##_cached(benchmark::State &state) {                          \
    if (!(check))                                                              \
      return state.SkipWithError("CPU lacks " #isa);                           \
    runT3X5Rows(state, trit_t3x5_dot_rows_##isa, false);                       \
  }                                                                            \
  void t3x5_##isa##_streamed(benchmark::State &state) {                        \
    if (!(check))                                                              \
      return state.SkipWithError("CPU lacks " #isa);                           \
    runT3X5Rows(state, trit_t3x5_dot_rows_##isa, true);                        \
  }                                                                            \
  BENCHMARK(t3x5_##isa##_cached)->Apply(shapes);                               \
  BENCHMARK(t3x5_##isa##_streamed)->Apply(shapes);

TRIT_GEMV_BENCH(generic, true)
TRIT_GEMV_BENCH(avx2, __builtin_cpu_supports("avx2"))
TRIT_GEMV_BENCH(avx512vnni, __builtin_cpu_supports("avx512vnni") &&
                                __builtin_cpu_supports("avx512vl"))

TRIT_T3X5_ROWS_BENCH(avx2, __builtin_cpu_supports("avx2"))
TRIT_T3X5_ROWS_BENCH(avx512vnni, __builtin_cpu_supports("avx512vnni") &&
                                     __builtin_cpu_supports("avx512vl"))
TRIT_T3X5_ROWS_BENCH(avx512vbmi, __builtin_cpu_supports("avx512vnni") &&
                                     __builtin_cpu_supports("avx512vbmi"))

void t3x5x64_avx512vbmi_cached(benchmark::State &state) {
  if (!__builtin_cpu_supports("avx512vbmi"))
    return state.SkipWithError("CPU lacks avx512vbmi");
  runT3X5x64Rows(state, false);
}
void t3x5x64_avx512vbmi_streamed(benchmark::State &state) {
  if (!__builtin_cpu_supports("avx512vbmi"))
    return state.SkipWithError("CPU lacks avx512vbmi");
  runT3X5x64Rows(state, true);
}
BENCHMARK(t3x5x64_avx512vbmi_cached)->Apply(shapes);
BENCHMARK(t3x5x64_avx512vbmi_streamed)->Apply(shapes);

/// Prompt processing: rows x tokens through the dot tile (weights in cache,
/// as the range kernel's 16-row tiles keep them), GMAC/s.
using TileFn = void (*)(const uint8_t *, const int8_t *, int64_t, int64_t,
                        int64_t, int64_t, int32_t *);

void runTile(benchmark::State &state, TileFn tile, int64_t rowBytes) {
  int64_t rows = state.range(0), cols = state.range(1), tokens = state.range(2);
  std::vector<uint8_t> weights(size_t(rows * rowBytes));
  std::mt19937 rng(2);
  for (uint8_t &w : weights)
    w = uint8_t(rng()) & 0xAA;
  std::vector<int8_t> q(size_t(tokens * cols));
  for (int8_t &v : q)
    v = int8_t(rng());
  std::vector<int32_t> dots(size_t(rows * tokens));
  for (auto _ : state) {
    tile(weights.data(), q.data(), cols, 0, rows, tokens, dots.data());
    benchmark::DoNotOptimize(dots.data());
    benchmark::ClobberMemory();
  }
  state.counters["GMAC/s"] = benchmark::Counter(
      double(rows) * cols * tokens * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
}

void tileShapes(benchmark::internal::Benchmark *b) {
  // A 16-row tile of each 2B4T input width, with 1, 4 and 64 tokens.
  for (int64_t cols : {2560, 6912})
    for (int64_t tokens : {1, 4, 64})
      b->Args({16, cols, tokens});
}

#define TRIT_TILE_BENCH(isa, check)                                            \
  void tile_##isa(benchmark::State &state) {                                   \
    if (!(check))                                                              \
      return state.SkipWithError("CPU lacks " #isa);                           \
    runTile(state, trit_i2s_dot_tile_##isa, state.range(1) / 4);               \
  }                                                                            \
  void t3x5_tile_##isa(benchmark::State &state) {                              \
    if (!(check))                                                              \
      return state.SkipWithError("CPU lacks " #isa);                           \
    runTile(state, trit_t3x5_dot_tile_##isa,                                   \
            trit_t3x5_row_bytes(state.range(1)));                              \
  }                                                                            \
  BENCHMARK(tile_##isa)->Apply(tileShapes);                                    \
  BENCHMARK(t3x5_tile_##isa)->Apply(tileShapes);

TRIT_TILE_BENCH(avx2, __builtin_cpu_supports("avx2"))
TRIT_TILE_BENCH(avx512vnni, __builtin_cpu_supports("avx512vnni") &&
                                __builtin_cpu_supports("avx512vl"))

/// Prompt processing through lookup tables (tritc --prompt-lut) against
/// the exact T3X5 tile, over one thread's share of a 2B4T BitLinear (320,
/// 1280 or 3456 rows, cached weights) and a 64-token chunk, GMAC/s.
void lutShapes(benchmark::internal::Benchmark *b) {
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{320, 2560},
                            {1280, 2560},
                            {3456, 2560},
                            {1280, 6912}})
    for (int64_t tokens : {64, 128})
      b->Args({rows, cols, tokens});
}

void t3x5_lut_tile_avx512vbmi(benchmark::State &state) {
  if (!__builtin_cpu_supports("avx512vbmi"))
    return state.SkipWithError("CPU lacks avx512vbmi");
  int64_t rows = state.range(0);
  runTile(
      state,
      [](const uint8_t *w, const int8_t *q, int64_t cols, int64_t begin,
         int64_t end, int64_t tokens, int32_t *dots) {
        trit_t3x5_lut_dot_tile_avx512vbmi(w, q, cols, begin, end, tokens, dots,
                                          end - begin);
      },
      trit_t3x5_row_bytes(state.range(1)));
  (void)rows;
}
BENCHMARK(t3x5_lut_tile_avx512vbmi)->Apply(lutShapes);
BENCHMARK(t3x5_tile_avx512vnni)->Apply(lutShapes)->Name("t3x5_tile_avx512vnni/share");

/// The rows-in-lanes tile on the same shares (exact, like t3x5_tile).
void t3x5x64_tile_avx512vbmi(benchmark::State &state) {
  if (!__builtin_cpu_supports("avx512vbmi"))
    return state.SkipWithError("CPU lacks avx512vbmi");
  runTile(state, trit_t3x5x64_dot_tile_avx512vbmi,
          trit_t3x5x64_superblock_bytes(state.range(1)) / 64);
}
BENCHMARK(t3x5x64_tile_avx512vbmi)->Apply(lutShapes);

/// The lookup-table tile on rows in lanes (no decoding or transposes).
void t3x5x64_lut_tile_avx512vbmi(benchmark::State &state) {
  if (!__builtin_cpu_supports("avx512vbmi"))
    return state.SkipWithError("CPU lacks avx512vbmi");
  runTile(
      state,
      [](const uint8_t *w, const int8_t *q, int64_t cols, int64_t begin,
         int64_t end, int64_t tokens, int32_t *dots) {
        trit_t3x5x64_lut_dot_tile_avx512vbmi(w, q, cols, begin, end, tokens,
                                             dots, end - begin);
      },
      trit_t3x5x64_superblock_bytes(state.range(1)) / 64);
}
BENCHMARK(t3x5x64_lut_tile_avx512vbmi)->Apply(lutShapes);

} // namespace

BENCHMARK_MAIN();
