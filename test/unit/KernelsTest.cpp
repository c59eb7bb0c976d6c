//===- KernelsTest.cpp - every kernel variant against the generic one -----===//
//
// The vectorized kernels must give bit-identical results to the generic C
// kernel on random inputs, odd shapes (1 row, a prime number of rows, an odd
// number of 128-weight blocks) and edge values (all -1, all +1, all 0, the
// extreme int8 codes). Variants the CPU lacks are skipped.
//
//===----------------------------------------------------------------------===//

#include "TernaryPackers.h"
#include "trit/kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using trit::test::packI2S;
using trit::test::packT3X5;
using trit::test::packT3X5x64;

using DotFn = void (*)(const uint8_t *, const int8_t *, int64_t, int64_t,
                       int64_t, int32_t *);
using GemvFn = void (*)(const uint8_t *, const int8_t *, int32_t, float, float,
                        int64_t, int64_t, int64_t, float *);

struct Variant {
  const char *name;
  bool supported;
  DotFn dot;
  GemvFn gemv;
};

std::vector<Variant> variants() {
  __builtin_cpu_init();
  return {
      {"avx2", bool(__builtin_cpu_supports("avx2")), trit_i2s_dot_rows_avx2,
       trit_bitlinear_gemv_avx2},
      {"avx512vnni",
       __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl"),
       trit_i2s_dot_rows_avx512vnni, trit_bitlinear_gemv_avx512vnni},
  };
}


/// sum_k t[r][k] * q[k], computed the obvious way.
std::vector<int32_t> referenceDots(const std::vector<int8_t> &t,
                                   const std::vector<int8_t> &q, int64_t rows,
                                   int64_t cols) {
  std::vector<int32_t> dots(rows, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k)
      dots[r] += int32_t(t[r * cols + k]) * q[k];
  return dots;
}

struct Case {
  std::string name;
  int64_t rows, cols;
  std::vector<int8_t> t, q;
};

std::vector<Case> cases() {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> trit(-1, 1), byte(-128, 127);
  std::vector<Case> out;
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 128},
                            {3, 256},
                            {7, 384},
                            {33, 2560},
                            {130, 640},
                            {5, 6912}}) {
    Case c{"random_" + std::to_string(rows) + "x" + std::to_string(cols), rows,
           cols, std::vector<int8_t>(rows * cols), std::vector<int8_t>(cols)};
    for (int8_t &v : c.t)
      v = int8_t(trit(rng));
    for (int8_t &v : c.q)
      v = int8_t(byte(rng));
    out.push_back(std::move(c));
  }
  // Edge values: every weight -1 / +1 / 0 against the extreme int8 codes.
  for (int value : {-1, 1, 0})
    for (int8_t x : {int8_t(-128), int8_t(127)}) {
      Case c{"all" + std::to_string(value) + "_x" + std::to_string(x), 9, 384,
             std::vector<int8_t>(9 * 384, int8_t(value)),
             std::vector<int8_t>(384, x)};
      out.push_back(std::move(c));
    }
  return out;
}

TEST(Kernels, GenericDotMatchesTheDefinition) {
  for (const Case &c : cases()) {
    std::vector<uint8_t> w = packI2S(c.t, c.rows, c.cols);
    std::vector<int32_t> dots(c.rows);
    trit_i2s_dot_rows_generic(w.data(), c.q.data(), c.cols, 0, c.rows,
                              dots.data());
    int32_t qsum = 0;
    for (int8_t v : c.q)
      qsum += v;
    std::vector<int32_t> expected = referenceDots(c.t, c.q, c.rows, c.cols);
    for (int64_t r = 0; r < c.rows; ++r)
      ASSERT_EQ(dots[r] - qsum, expected[r]) << c.name << " row " << r;
  }
}

TEST(Kernels, EveryVariantMatchesGenericExactly) {
  for (const Variant &v : variants()) {
    if (!v.supported) {
      std::printf("skipping %s: not supported by this CPU\n", v.name);
      continue;
    }
    for (const Case &c : cases()) {
      std::vector<uint8_t> w = packI2S(c.t, c.rows, c.cols);
      std::vector<int32_t> expected(c.rows), got(c.rows);
      trit_i2s_dot_rows_generic(w.data(), c.q.data(), c.cols, 0, c.rows,
                                expected.data());
      v.dot(w.data(), c.q.data(), c.cols, 0, c.rows, got.data());
      EXPECT_EQ(got, expected) << v.name << " " << c.name;

      // A sub-range of rows, as the thread pool hands out.
      if (c.rows > 2) {
        std::vector<int32_t> part(c.rows - 2);
        v.dot(w.data(), c.q.data(), c.cols, 1, c.rows - 1, part.data());
        EXPECT_EQ(part, std::vector<int32_t>(expected.begin() + 1,
                                             expected.end() - 1))
            << v.name << " " << c.name << " rows [1, n-1)";
      }

      int32_t qsum = 0;
      for (int8_t x : c.q)
        qsum += x;
      std::vector<float> want(c.rows), have(c.rows);
      trit_bitlinear_gemv_generic(w.data(), c.q.data(), qsum, 41.5f, 0.75f,
                                  c.cols, 0, c.rows, want.data());
      v.gemv(w.data(), c.q.data(), qsum, 41.5f, 0.75f, c.cols, 0, c.rows,
             have.data());
      EXPECT_EQ(0, std::memcmp(want.data(), have.data(), 4 * c.rows))
          << v.name << " " << c.name;
    }
  }
}

using TileFn = void (*)(const uint8_t *, const int8_t *, int64_t, int64_t,
                        int64_t, int64_t, int32_t *);

TEST(Kernels, EveryDotTileMatchesGenericRowsExactly) {
  __builtin_cpu_init();
  bool vnni = __builtin_cpu_supports("avx512vnni") &&
              __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vl");
  struct {
    const char *name;
    bool supported;
    TileFn tile;
  } tiles[] = {
      {"generic", true, trit_i2s_dot_tile_generic},
      {"avx2", bool(__builtin_cpu_supports("avx2")), trit_i2s_dot_tile_avx2},
      {"avx512vnni", vnni, trit_i2s_dot_tile_avx512vnni},
  };
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> trit(-1, 1), byte(-128, 127);
  // Odd and even row counts, one to seven tokens (groups of four, three,
  // two and a single one), odd block counts, edge codes.
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 128},
                            {2, 256},
                            {5, 384},
                            {16, 640},
                            {17, 2560}})
    for (int64_t tokens = 1; tokens <= 7; ++tokens) {
      std::vector<int8_t> t(rows * cols), q(tokens * cols);
      for (int8_t &v : t)
        v = int8_t(trit(rng));
      for (int8_t &v : q)
        v = int8_t(byte(rng));
      if (tokens == 7)
        std::fill(q.begin(), q.begin() + cols, int8_t(-128));
      std::vector<uint8_t> w = packI2S(t, rows, cols);
      // Rows [1, rows) when there are several: a range as threads get.
      int64_t begin = rows > 2 ? 1 : 0, n = rows - begin;
      std::vector<int32_t> expected(tokens * n);
      for (int64_t k = 0; k < tokens; ++k)
        trit_i2s_dot_rows_generic(w.data(), q.data() + k * cols, cols, begin,
                                  rows, expected.data() + k * n);
      for (const auto &v : tiles) {
        if (!v.supported)
          continue;
        std::vector<int32_t> got(tokens * n, -1);
        v.tile(w.data(), q.data(), cols, begin, rows, tokens, got.data());
        EXPECT_EQ(got, expected) << v.name << " " << rows << "x" << cols
                                 << ", " << tokens << " tokens";
      }
    }
}

TEST(Kernels, T3X5StoresThreeWeightsInFiveBits) {
  EXPECT_EQ(trit_t3x5_row_bytes(192), 40);
  EXPECT_EQ(trit_t3x5_row_bytes(2560), 13 * 40 + 16); // 1.675 bits
  EXPECT_EQ(trit_t3x5_row_bytes(6912), 36 * 40);      // 1.667 bits
  EXPECT_EQ(trit_t3x5_row_bytes(128), 32);            // only the tail
}

TEST(Kernels, EveryT3X5KernelMatchesTheDefinition) {
  __builtin_cpu_init();
  bool vnni = __builtin_cpu_supports("avx512vnni") &&
              __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vl");
  bool avx2 = __builtin_cpu_supports("avx2");
  struct {
    const char *name;
    bool supported;
    DotFn dot;
    TileFn tile;
  } variants[] = {
      {"generic", true, trit_t3x5_dot_rows_generic, trit_t3x5_dot_tile_generic},
      {"avx2", avx2, trit_t3x5_dot_rows_avx2, trit_t3x5_dot_tile_avx2},
      {"avx512vnni", vnni, trit_t3x5_dot_rows_avx512vnni,
       trit_t3x5_dot_tile_avx512vnni},
      {"avx512vbmi", vnni && __builtin_cpu_supports("avx512vbmi"),
       trit_t3x5_dot_rows_avx512vbmi, trit_t3x5_dot_tile_avx512vbmi},
  };
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> trit(-1, 1), byte(-128, 127);
  // Rows with no groups (64, 128), one unpaired group (192, 256, 320),
  // pairs only (384, 6912), pairs and an unpaired group (2560); tails of 0,
  // 64 and 128 weights; odd row counts and a row range; 1 to 11 tokens (the
  // AVX-512 tile takes up to eight at once).
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{3, 64},
                            {1, 128},
                            {2, 192},
                            {5, 256},
                            {16, 320},
                            {4, 384},
                            {17, 2560},
                            {3, 6912}})
    for (int64_t tokens = 1; tokens <= 11; ++tokens) {
      std::vector<int8_t> t(rows * cols), q(tokens * cols);
      for (int8_t &v : t)
        v = int8_t(trit(rng));
      for (int8_t &v : q)
        v = int8_t(byte(rng));
      if (tokens == 7) { // edge values: all -1 / +1 against -128 / 127
        std::fill(t.begin(), t.begin() + cols, int8_t(-1));
        std::fill(t.end() - cols, t.end(), int8_t(1));
        std::fill(q.begin(), q.begin() + cols, int8_t(-128));
        std::fill(q.end() - cols, q.end(), int8_t(127));
      }
      std::vector<uint8_t> w = packT3X5(t, rows, cols);
      int64_t begin = rows > 2 ? 1 : 0, n = rows - begin;
      std::vector<int32_t> expected(tokens * n);
      for (int64_t k = 0; k < tokens; ++k)
        for (int64_t r = begin; r < rows; ++r) {
          int32_t dot = 0;
          for (int64_t c = 0; c < cols; ++c)
            dot += (t[r * cols + c] + 1) * q[k * cols + c];
          expected[k * n + r - begin] = dot;
        }
      for (const auto &v : variants) {
        if (!v.supported)
          continue;
        std::vector<int32_t> got(tokens * n, -1);
        v.tile(w.data(), q.data(), cols, begin, rows, tokens, got.data());
        EXPECT_EQ(got, expected) << v.name << " tile " << rows << "x" << cols
                                 << ", " << tokens << " tokens";
        std::vector<int32_t> row(n, -1);
        v.dot(w.data(), q.data() + (tokens - 1) * cols, cols, begin, rows,
              row.data());
        EXPECT_EQ(row, std::vector<int32_t>(expected.end() - n,
                                            expected.end()))
            << v.name << " rows " << rows << "x" << cols;
      }
    }
}

TEST(Kernels, T3X5WithRowsInLanesStoresThreeWeightsInFiveBits) {
  EXPECT_EQ(trit_t3x5x64_superblock_bytes(24), 256 + 320);
  // 2560 columns: 107 pairs of quads (8 padding columns), 1.68 bits.
  EXPECT_EQ(trit_t3x5x64_superblock_bytes(2560), 256 + 107 * 320);
  EXPECT_EQ(trit_t3x5x64_superblock_bytes(6912), 256 + 288 * 320);
}

TEST(Kernels, EveryT3X5WithRowsInLanesKernelMatchesTheDefinition) {
  __builtin_cpu_init();
  bool vbmi = __builtin_cpu_supports("avx512vnni") &&
              __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vbmi");
  struct {
    const char *name;
    bool supported;
    DotFn dot;
    TileFn tile;
  } variants[] = {
      {"generic", true, trit_t3x5x64_dot_rows_generic,
       trit_t3x5x64_dot_tile_generic},
      {"avx512vbmi", vbmi, trit_t3x5x64_dot_rows_avx512vbmi,
       trit_t3x5x64_dot_tile_avx512vbmi},
  };
  std::mt19937 rng(13);
  std::uniform_int_distribution<int> trit(-1, 1), byte(-128, 127);
  // Columns that fill whole pairs of quads (24, 192, 6912) or leave 8 or 16
  // of the last pair to padding (64, 128, 2560); row ranges that start and
  // end inside blocks and superblocks; 1 to 19 tokens (the tile takes up
  // to 16 at once).
  struct Case {
    int64_t rows, cols, begin, end;
  };
  for (Case c : {Case{64, 24, 0, 64}, Case{64, 64, 5, 64}, Case{128, 128, 17, 115},
                 Case{64, 192, 0, 16}, Case{192, 2560, 63, 130},
                 Case{64, 6912, 31, 33}})
    for (int64_t tokens : {1, 2, 3, 8, 9, 16, 19, 33}) {
      std::vector<int8_t> t(c.rows * c.cols), q(tokens * c.cols);
      for (int8_t &v : t)
        v = int8_t(trit(rng));
      for (int8_t &v : q)
        v = int8_t(byte(rng));
      if (tokens == 3) { // edge values: all -1 / +1 against -128 / 127
        std::fill(t.begin(), t.begin() + 64 * c.cols, int8_t(-1));
        std::fill(q.begin(), q.begin() + c.cols, int8_t(-128));
        std::fill(q.end() - c.cols, q.end(), int8_t(127));
      }
      std::vector<uint8_t> w = packT3X5x64(t, c.rows, c.cols);
      int64_t n = c.end - c.begin;
      std::vector<int32_t> expected(tokens * n);
      for (int64_t k = 0; k < tokens; ++k)
        for (int64_t r = c.begin; r < c.end; ++r) {
          int32_t dot = 0;
          for (int64_t col = 0; col < c.cols; ++col)
            dot += (t[r * c.cols + col] + 1) * q[k * c.cols + col];
          expected[k * n + r - c.begin] = dot;
        }
      for (const auto &v : variants) {
        if (!v.supported)
          continue;
        std::vector<int32_t> got(tokens * n, -1);
        v.tile(w.data(), q.data(), c.cols, c.begin, c.end, tokens, got.data());
        EXPECT_EQ(got, expected) << v.name << " tile " << c.rows << "x"
                                 << c.cols << ", " << tokens << " tokens";
        std::vector<int32_t> row(n, -1);
        v.dot(w.data(), q.data() + (tokens - 1) * c.cols, c.cols, c.begin,
              c.end, row.data());
        EXPECT_EQ(row, std::vector<int32_t>(expected.end() - n,
                                            expected.end()))
            << v.name << " rows " << c.rows << "x" << c.cols << " ["
            << c.begin << ", " << c.end << ")";
      }
    }
}

using LookupTableTileFn = void (*)(const uint8_t *, const int8_t *, int64_t,
                                  int64_t, int64_t, int64_t, int32_t *,
                                  int64_t);

/// A lookup-table tile's dots of rows [begin, end), written with an output
/// stride three wider than the range, whose gap must stay untouched.
std::vector<int32_t> runLookupTableTile(LookupTableTileFn tile,
                                        const std::vector<uint8_t> &w,
                                        const std::vector<int8_t> &q,
                                        int64_t cols, int64_t begin,
                                        int64_t end, int64_t tokens) {
  int64_t n = end - begin, stride = n + 3;
  std::vector<int32_t> out(tokens * stride, -7), got(tokens * n);
  tile(w.data(), q.data(), cols, begin, end, tokens, out.data(), stride);
  for (int64_t k = 0; k < tokens; ++k) {
    std::copy_n(out.begin() + k * stride, n, got.begin() + k * n);
    for (int64_t i = n; i < stride; ++i)
      EXPECT_EQ(out[k * stride + i], -7);
  }
  return got;
}

/// The lookup-table tile's dots as kernels.h defines them, from the plain
/// ternary matrix: a triple whose code is a negated positive triple takes
/// the negated entry of the negated sum (rounding halves up is not odd).
std::vector<int32_t> lookupTableDots(const std::vector<int8_t> &t,
                                     const std::vector<int8_t> &q,
                                     int64_t rows, int64_t cols,
                                     int64_t begin, int64_t tokens) {
  int64_t groups = cols / 192, n = rows - begin;
  std::vector<int32_t> dots(tokens * n);
  for (int64_t k = 0; k < tokens; ++k) {
    const int8_t *x = q.data() + k * cols;
    int32_t largest = 0, groupSum = 0;
    for (int64_t c = 0; c < groups * 192; ++c)
      groupSum += x[c];
    for (int64_t g = 0; g < groups; ++g)
      for (int j = 0; j < 64; ++j)
        largest = std::max(largest, std::abs(x[g * 192 + j]) +
                                        std::abs(x[g * 192 + j + 64]) +
                                        std::abs(x[g * 192 + j + 128]));
    int32_t m = largest <= 127 ? 16384 : 127 * 16384 / largest;
    auto entry = [&](int32_t sum) {
      return int32_t(std::floor((2.0 * sum * m + 16384) / 32768));
    };
    for (int64_t r = begin; r < rows; ++r) {
      const int8_t *w = t.data() + r * cols;
      int32_t S = 0, tail = 0;
      for (int64_t g = 0; g < groups; ++g)
        for (int j = 0; j < 64; ++j) {
          int64_t c = g * 192 + j;
          int v = 9 * (w[c] + 1) + 3 * (w[c + 64] + 1) + (w[c + 128] + 1);
          int32_t sum = w[c] * x[c] + w[c + 64] * x[c + 64] +
                        w[c + 128] * x[c + 128];
          S += v >= 13 ? entry(sum) : -entry(-sum);
        }
      for (int64_t c = groups * 192; c < cols; ++c)
        tail += (w[c] + 1) * x[c];
      float approx = float(S) * (16384.0f / float(m));
      dots[k * n + r - begin] =
          int32_t(std::nearbyint(approx)) + groupSum + tail;
    }
  }
  return dots;
}

TEST(Kernels, LookupTableTileMatchesItsDefinition) {
  __builtin_cpu_init();
  bool vbmi = __builtin_cpu_supports("avx512vnni") &&
              __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vl") &&
              __builtin_cpu_supports("avx512vbmi");
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> trit(-1, 1), byte(-128, 127);
  // Tails of 0, 64 and 128 weights, no group, one unpaired group, pairs and
  // both; rows short of a 16-row block, over a 64-row block and ragged; 1
  // to 64 tokens (the kernel takes four at a time); a row range and an
  // output stride wider than it.
  for (auto shape : {std::pair<int64_t, int64_t>{3, 64},
                     {17, 128},
                     {2, 192},
                     {70, 256},
                     {16, 384},
                     {130, 2560},
                     {5, 6912}})
    for (int64_t tokens : {1, 3, 16, 37, 64}) {
      int64_t rows = shape.first, cols = shape.second;
      std::vector<int8_t> t(rows * cols), q(tokens * cols);
      for (int8_t &v : t)
        v = int8_t(trit(rng));
      for (int8_t &v : q)
        v = int8_t(byte(rng));
      if (tokens == 3) { // edge values: all -1 / +1 against -128 / 127
        std::fill(t.begin(), t.begin() + cols, int8_t(-1));
        std::fill(t.end() - cols, t.end(), int8_t(1));
        std::fill(q.begin(), q.begin() + cols, int8_t(-128));
        std::fill(q.end() - cols, q.end(), int8_t(127));
      }
      std::vector<uint8_t> w = packT3X5(t, rows, cols);
      int64_t begin = rows > 2 ? 1 : 0;
      std::vector<int32_t> expected =
          lookupTableDots(t, q, rows, cols, begin, tokens);
      auto run = [&](LookupTableTileFn tile) {
        return runLookupTableTile(tile, w, q, cols, begin, rows, tokens);
      };
      EXPECT_EQ(run(trit_t3x5_lut_dot_tile_generic), expected)
          << "generic " << rows << "x" << cols << ", " << tokens
          << " tokens";
      if (vbmi)
        EXPECT_EQ(run(trit_t3x5_lut_dot_tile_avx512vbmi), expected)
            << "avx512vbmi " << rows << "x" << cols << ", " << tokens
            << " tokens";
    }
}

/// The rows-in-lanes lookup-table tile's dots as kernels.h defines them:
/// the triples (12Q + j, + 4, + 8) with zeros past the row, no exact tail.
std::vector<int32_t> lanesLookupTableDots(const std::vector<int8_t> &t,
                                          const std::vector<int8_t> &q,
                                          int64_t cols, int64_t begin,
                                          int64_t end, int64_t tokens) {
  int64_t quads = (cols + 23) / 24 * 2, n = end - begin;
  std::vector<int32_t> dots(tokens * n);
  for (int64_t k = 0; k < tokens; ++k) {
    const int8_t *x = q.data() + k * cols;
    auto at = [&](const int8_t *v, int64_t c) { return c < cols ? v[c] : 0; };
    int32_t largest = 0, sum = 0;
    for (int64_t c = 0; c < cols; ++c)
      sum += x[c];
    for (int64_t quad = 0; quad < quads; ++quad)
      for (int j = 0; j < 4; ++j)
        largest = std::max(largest,
                           std::abs(at(x, 12 * quad + j)) +
                               std::abs(at(x, 12 * quad + 4 + j)) +
                               std::abs(at(x, 12 * quad + 8 + j)));
    int32_t m = largest <= 127 ? 16384 : 127 * 16384 / largest;
    auto entry = [&](int32_t e) {
      return int32_t(std::floor((2.0 * e * m + 16384) / 32768));
    };
    for (int64_t r = begin; r < end; ++r) {
      const int8_t *w = t.data() + r * cols;
      int32_t S = 0;
      for (int64_t quad = 0; quad < quads; ++quad)
        for (int j = 0; j < 4; ++j) {
          int64_t c = 12 * quad + j;
          int v = 9 * (at(w, c) + 1) + 3 * (at(w, c + 4) + 1) +
                  (at(w, c + 8) + 1);
          int32_t e = at(w, c) * at(x, c) + at(w, c + 4) * at(x, c + 4) +
                      at(w, c + 8) * at(x, c + 8);
          S += v >= 13 ? entry(e) : -entry(-e);
        }
      float approx = float(S) * (16384.0f / float(m));
      dots[k * n + r - begin] = int32_t(std::nearbyint(approx)) + sum;
    }
  }
  return dots;
}

TEST(Kernels, EveryRowsInLanesLookupTableTileMatchesTheDefinition) {
  __builtin_cpu_init();
  bool vbmi = __builtin_cpu_supports("avx512vnni") &&
              __builtin_cpu_supports("avx512vbmi");
  std::mt19937 rng(15);
  std::uniform_int_distribution<int> trit(-1, 1), byte(-128, 127);
  // Columns filling whole pairs of quads or padding the last (64, 2560),
  // one pass of 32 quads or several (6912: 9 passes); ranges starting and
  // ending inside blocks and superblocks; 1 to 64 tokens (four at a time);
  // an output stride wider than the range.
  struct Case {
    int64_t rows, cols, begin, end;
  };
  for (Case c : {Case{64, 64, 0, 64}, Case{128, 192, 5, 128},
                 Case{192, 2560, 63, 130}, Case{64, 6912, 17, 50}})
    for (int64_t tokens : {1, 3, 16, 37, 64}) {
      std::vector<int8_t> t(c.rows * c.cols), q(tokens * c.cols);
      for (int8_t &v : t)
        v = int8_t(trit(rng));
      for (int8_t &v : q)
        v = int8_t(byte(rng));
      if (tokens == 3) { // edge values: all -1 / +1 against -128 / 127
        std::fill(t.begin(), t.begin() + 64 * c.cols, int8_t(-1));
        std::fill(t.end() - c.cols, t.end(), int8_t(1));
        std::fill(q.begin(), q.begin() + c.cols, int8_t(-128));
        std::fill(q.end() - c.cols, q.end(), int8_t(127));
      }
      std::vector<uint8_t> w = packT3X5x64(t, c.rows, c.cols);
      std::vector<int32_t> expected =
          lanesLookupTableDots(t, q, c.cols, c.begin, c.end, tokens);
      auto run = [&](LookupTableTileFn tile) {
        return runLookupTableTile(tile, w, q, c.cols, c.begin, c.end, tokens);
      };
      EXPECT_EQ(run(trit_t3x5x64_lut_dot_tile_generic), expected)
          << "generic " << c.cols << " columns, rows [" << c.begin << ", "
          << c.end << "), " << tokens << " tokens";
      if (vbmi)
        EXPECT_EQ(run(trit_t3x5x64_lut_dot_tile_avx512vbmi), expected)
            << "avx512vbmi " << c.cols << " columns, rows [" << c.begin
            << ", " << c.end << "), " << tokens << " tokens";
    }
}

TEST(Kernels, LookupTablesAreExactForSmallActivations) {
  // Triple sums within +-127 fit the tables unscaled: the exact dots.
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> trit(-1, 1), small(-42, 42);
  int64_t rows = 9, cols = 2560, tokens = 20;
  std::vector<int8_t> t(rows * cols), q(tokens * cols);
  for (int8_t &v : t)
    v = int8_t(trit(rng));
  for (int8_t &v : q)
    v = int8_t(small(rng));
  std::vector<uint8_t> w = packT3X5(t, rows, cols);
  std::vector<int32_t> got(tokens * rows), exact(tokens * rows);
  trit_t3x5_lut_dot_tile_generic(w.data(), q.data(), cols, 0, rows, tokens,
                                 got.data(), rows);
  trit_t3x5_dot_tile_generic(w.data(), q.data(), cols, 0, rows, tokens,
                             exact.data());
  EXPECT_EQ(got, exact);
}

TEST(Kernels, QuantizeRowFollowsBitnetCpp) {
  // max = 127, so the scale is exactly 1 and the rounding is visible:
  // halves go to the even neighbour.
  std::vector<float> x = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -127.0f};
  std::vector<int8_t> q(x.size());
  int32_t sum = 0;
  float scale = trit_quantize_row_generic(x.data(), q.data(), x.size(), &sum);
  EXPECT_EQ(scale, 1.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{127, 0, 2, 2, 0, -2, -127}));
  EXPECT_EQ(sum, 2);

  // An all-zero row: max is floored at 1e-5, every code is 0.
  std::vector<float> zeros(300, 0.0f);
  std::vector<int8_t> qz(300, 1);
  float zscale =
      trit_quantize_row_generic(zeros.data(), qz.data(), 300, &sum);
  EXPECT_EQ(zscale, float(127.0 / 1e-5));
  EXPECT_EQ(sum, 0);
  EXPECT_EQ(qz, std::vector<int8_t>(300, 0));

  // Random rows against the definition, computed independently.
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> row(2560);
  for (float &v : row)
    v = normal(rng);
  std::vector<int8_t> codes(row.size());
  float s = trit_quantize_row_generic(row.data(), codes.data(), row.size(),
                                      &sum);
  double max = 1e-5;
  for (float v : row)
    max = std::max(max, std::fabs(double(v)));
  EXPECT_EQ(s, float(127.0 / max));
  int32_t expectedSum = 0;
  for (size_t k = 0; k < row.size(); ++k) {
    float scaled = row[k] * s;
    int expected = int(std::nearbyint(scaled));
    expected = std::max(-128, std::min(127, expected));
    ASSERT_EQ(codes[k], expected) << k;
    expectedSum += expected;
  }
  EXPECT_EQ(sum, expectedSum);
}

} // namespace
