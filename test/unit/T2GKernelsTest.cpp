//===- T2GKernelsTest.cpp - the group-scaled ternary kernels --------------===//
//
// Q8_0 activation quantization and the T2G BitLinear (kernels.h) against
// their definitions, computed here from the values and scales (not the
// layout), and every instruction set against the generic kernel, bit for
// bit, over odd shapes: rows that are not a multiple of 16, one-group rows,
// row ranges as the thread pool hands them out, 1 to 9 tokens.
//
//===----------------------------------------------------------------------===//

#include "TernaryPackers.h"

#include "trit/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

namespace {

using trit::test::packT2G;

float halfToFloat(uint16_t h) {
  _Float16 f;
  std::memcpy(&f, &h, 2);
  return float(f);
}
uint16_t floatToHalf(float x) {
  _Float16 f = _Float16(x);
  uint16_t h;
  std::memcpy(&h, &f, 2);
  return h;
}

struct Q8_0 {
  std::vector<int8_t> q;
  std::vector<float> d;
  std::vector<int32_t> sums;
};

Q8_0 quantize(const std::vector<float> &x, int64_t tokens, int64_t cols) {
  Q8_0 a{std::vector<int8_t>(tokens * cols),
         std::vector<float>(tokens * cols / 32),
         std::vector<int32_t>(tokens * cols / 32)};
  for (int64_t t = 0; t < tokens; ++t)
    trit_q8_0_quantize_row_generic(x.data() + t * cols, cols,
                                   a.q.data() + t * cols,
                                   a.d.data() + t * cols / 32,
                                   a.sums.data() + t * cols / 32);
  return a;
}

TEST(T2GKernels, Q8_0RoundsHalvesAwayFromZero) {
  // amax 127: d = 1, so x * (1 / d) = x and the rounding shows.
  std::vector<float> x = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f,
                          -127.0f};
  x.resize(32, 0.0f);
  x.resize(64, 0.0f); // a second, all-zero block: d = 0, codes 0
  std::vector<int8_t> q(64);
  float d[2];
  int32_t sums[2];
  trit_q8_0_quantize_row_generic(x.data(), 64, q.data(), d, sums);
  EXPECT_EQ(std::vector<int8_t>(q.begin(), q.begin() + 8),
            (std::vector<int8_t>{127, 1, 2, 3, -1, -2, -3, -127}));
  EXPECT_EQ(d[0], 1.0f);
  EXPECT_EQ(sums[0], 0);
  EXPECT_EQ(d[1], 0.0f);
  EXPECT_EQ(sums[1], 0);
  for (int k = 32; k < 64; ++k)
    EXPECT_EQ(q[k], 0);
}

TEST(T2GKernels, Q8_0FollowsItsDefinition) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  int64_t cols = 4096;
  std::vector<float> x(cols);
  for (float &v : x)
    v = normal(rng);
  Q8_0 a = quantize(x, 1, cols);
  for (int64_t b = 0; b < cols / 32; ++b) {
    float amax = 0.0f;
    for (int k = 0; k < 32; ++k)
      amax = std::max(amax, std::fabs(x[b * 32 + k]));
    float d = amax / 127.0f, id = 1.0f / d;
    int32_t sum = 0;
    for (int k = 0; k < 32; ++k) {
      int expected = int(std::roundf(x[b * 32 + k] * id));
      ASSERT_EQ(a.q[b * 32 + k], expected) << b << " " << k;
      sum += expected;
    }
    EXPECT_EQ(a.d[b], halfToFloat(floatToHalf(d)));
    EXPECT_EQ(a.sums[b], sum);
  }
}

TEST(T2GKernels, Q8_0AVX512MatchesGenericExactly) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw")) {
    std::printf("skipping avx512vnni: not supported by this CPU\n");
    return;
  }
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  int64_t cols = 12288;
  std::vector<float> x(cols);
  for (float &v : x)
    v = normal(rng);
  // Ties, an all-zero block, a tiny block whose d is subnormal in f16.
  for (int k = 0; k < 32; ++k) {
    x[k] = k == 0 ? 127.0f : 0.5f * float(k % 7) - 1.5f;
    x[32 + k] = 0.0f;
    x[64 + k] = 1e-6f * float(k - 16);
  }
  std::vector<int8_t> q1(cols), q2(cols);
  std::vector<float> d1(cols / 32), d2(cols / 32);
  std::vector<int32_t> s1(cols / 32), s2(cols / 32);
  trit_q8_0_quantize_row_generic(x.data(), cols, q1.data(), d1.data(), s1.data());
  trit_q8_0_quantize_row_avx512vnni(x.data(), cols, q2.data(), d2.data(), s2.data());
  EXPECT_EQ(q1, q2);
  EXPECT_EQ(0, std::memcmp(d1.data(), d2.data(), 4 * d1.size()));
  EXPECT_EQ(s1, s2);
}

struct Case {
  int64_t rows, cols, group;
  std::vector<int8_t> t;     // values, -1..2
  std::vector<uint16_t> s;   // f16 scales [rows][cols / group]
};

Case makeCase(std::mt19937 &rng, int64_t rows, int64_t cols, int64_t group) {
  Case c{rows, cols, group, std::vector<int8_t>(rows * cols),
         std::vector<uint16_t>(rows * cols / group)};
  std::uniform_int_distribution<int> trit(-1, 1), rare(0, 499);
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  for (int8_t &v : c.t)
    v = rare(rng) == 0 ? 2 : int8_t(trit(rng)); // code 3 now and then
  for (uint16_t &v : c.s)
    v = floatToHalf(scale(rng));
  return c;
}

/// The output by its definition (kernels.h), from values and scales.
std::vector<float> reference(const Case &c, const Q8_0 &a, int64_t tokens) {
  int64_t blocks = c.cols / 32, per = c.group / 32;
  std::vector<float> out(tokens * c.rows);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t r = 0; r < c.rows; ++r) {
      float sumf = 0.0f;
      for (int64_t g = 0; g < c.cols / c.group; ++g) {
        float sumi = 0.0f;
        for (int64_t k = g * per; k < (g + 1) * per; ++k) {
          int32_t isum = 0;
          for (int64_t j = k * 32; j < k * 32 + 32; ++j)
            isum += c.t[r * c.cols + j] * a.q[t * c.cols + j];
          float term = a.d[t * blocks + k] * float(isum);
          sumi = sumi + term;
        }
        float term = halfToFloat(c.s[r * (c.cols / c.group) + g]) * sumi;
        sumf = sumf + term;
      }
      out[t * c.rows + r] = sumf;
    }
  return out;
}

using GemmFn = void (*)(const uint8_t *, const int8_t *, const float *,
                        const int32_t *, int64_t, int64_t, int64_t, int64_t,
                        int64_t, float *, int64_t);

TEST(T2GKernels, EveryInstructionSetMatchesTheDefinition) {
  __builtin_cpu_init();
  struct {
    const char *name;
    bool supported;
    GemmFn gemm;
  } variants[] = {
      {"generic", true, trit_t2g_gemm_generic},
      {"avx2", bool(__builtin_cpu_supports("avx2")), trit_t2g_gemm_avx2},
      {"avx512vnni",
       __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl"),
       trit_t2g_gemm_avx512vnni},
  };
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.5f);
  struct Shape {
    int64_t rows, cols, group;
  } shapes[] = {{1, 64, 64},    {15, 128, 64},  {16, 128, 128},
                {17, 192, 64},  {33, 384, 128}, {40, 640, 64},
                {64, 1024, 128}, {21, 4096, 64}};
  for (const Shape &shape : shapes) {
    Case c = makeCase(rng, shape.rows, shape.cols, shape.group);
    std::vector<uint8_t> w = packT2G(c.t, c.s, c.rows, c.cols, c.group);
    ASSERT_EQ(int64_t(w.size()),
              trit_weight_layout_bytes(c.group == 64
                                           ? TRIT_WEIGHT_LAYOUT_T2G64_X16
                                           : TRIT_WEIGHT_LAYOUT_T2G128_X16,
                                       c.rows, c.cols));
    for (int64_t tokens : {1, 2, 3, 4, 5, 9}) {
      std::vector<float> x(tokens * c.cols);
      for (float &v : x)
        v = normal(rng);
      Q8_0 a = quantize(x, tokens, c.cols);
      std::vector<float> want = reference(c, a, tokens);
      for (const auto &v : variants) {
        if (!v.supported) {
          std::printf("skipping %s: not supported by this CPU\n", v.name);
          continue;
        }
        std::vector<float> got(tokens * c.rows, -1.0f);
        v.gemm(w.data(), a.q.data(), a.d.data(), a.sums.data(), c.cols,
               c.group, 0, c.rows, tokens, got.data(), c.rows);
        ASSERT_EQ(0, std::memcmp(got.data(), want.data(), 4 * got.size()))
            << v.name << " " << c.rows << "x" << c.cols << " g" << c.group
            << " tokens " << tokens;
        // Rows from 16 on, as a second thread's chunk: the rest untouched.
        if (c.rows > 16) {
          std::vector<float> part(tokens * c.rows, -1.0f);
          v.gemm(w.data(), a.q.data(), a.d.data(), a.sums.data(), c.cols,
                 c.group, 16, c.rows, tokens, part.data(), c.rows);
          for (int64_t t = 0; t < tokens; ++t)
            for (int64_t r = 0; r < c.rows; ++r)
              ASSERT_EQ(part[t * c.rows + r],
                        r < 16 ? -1.0f : want[t * c.rows + r])
                  << v.name << " row " << r << " token " << t;
        }
      }
    }
  }
}

TEST(T2GKernels, RowDequantizesExactly) {
  std::mt19937 rng(5);
  Case c = makeCase(rng, 19, 256, 128);
  std::vector<uint8_t> w = packT2G(c.t, c.s, c.rows, c.cols, c.group);
  std::vector<float> row(c.cols);
  for (int64_t r : {0, 15, 16, 18}) {
    trit_t2g_row_generic(w.data(), c.cols, c.group, r, row.data());
    for (int64_t k = 0; k < c.cols; ++k)
      ASSERT_EQ(row[k], float(c.t[r * c.cols + k]) *
                            halfToFloat(c.s[r * 2 + k / 128]))
          << r << " " << k;
  }
}

} // namespace
