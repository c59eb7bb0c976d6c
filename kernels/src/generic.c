/*===- generic.c - portable microkernels (the reference) ------------------===*/

#include "gemv.h"

/* Round to nearest, ties to even, as ggml's nearest_int: adding 1.5 * 2^23
 * leaves the rounded integer in the low mantissa bits (|x| < 2^22). */
static inline int32_t nearest_int(float x) {
  union {
    float f;
    int32_t i;
  } u;
  u.f = x + 12582912.0f;
  return (u.i & 0x007fffff) - 0x00400000;
}

float trit_quantize_row_generic(const float *x, int8_t *q, int64_t cols,
                                int32_t *sum) {
  /* The largest magnitude, found in float (exact: a maximum rounds
   * nothing) in sixteen lanes so it vectorizes, then compared in double
   * with bitnet.cpp's floor of 1e-5. */
  float lanes[16] = {0};
  int64_t k = 0;
  for (; k + 16 <= cols; k += 16)
    for (int l = 0; l < 16; ++l) {
      float a = __builtin_fabsf(x[k + l]);
      lanes[l] = a > lanes[l] ? a : lanes[l];
    }
  for (; k < cols; ++k) {
    float a = __builtin_fabsf(x[k]);
    lanes[0] = a > lanes[0] ? a : lanes[0];
  }
  double max = 1e-5;
  for (int l = 0; l < 16; ++l)
    max = (double)lanes[l] > max ? (double)lanes[l] : max;
  float scale = (float)(127.0 / max);
  int32_t s = 0;
  for (k = 0; k < cols; ++k) {
    int32_t v = nearest_int(x[k] * scale);
    v = v < -128 ? -128 : (v > 127 ? 127 : v);
    q[k] = (int8_t)v;
    s += v;
  }
  *sum = s;
  return scale;
}

void trit_i2s_dot_rows_generic(const uint8_t *weights, const int8_t *q,
                               int64_t cols, int64_t row_begin,
                               int64_t row_end, int32_t *dots) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * (cols / 4);
    int32_t acc = 0;
    for (int64_t b = 0; b < cols / 128; ++b)
      acc += trit_i2s_block_dot(w + b * 32, q + b * 128, 128);
    dots[r - row_begin] = acc;
  }
}

TRIT_DEFINE_BITLINEAR_GEMV(generic)
TRIT_DEFINE_TILE_BY_ROWS(trit_i2s_dot_tile_generic, trit_i2s_dot_rows_generic)

void trit_t3x5_dot_rows_generic(const uint8_t *weights, const int8_t *q,
                                int64_t cols, int64_t row_begin,
                                int64_t row_end, int32_t *dots) {
  int64_t stride = trit_t3x5_row_bytes(cols), groups = cols / 192;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * stride;
    int32_t acc = 0;
    for (int64_t g = 0; g < groups; ++g) {
      const int8_t *x = q + g * 192;
      for (int j = 0; j < 64; ++j) {
        unsigned code = trit_t3x5_code(w, groups, g, j);
        acc += trit_t3x5_digit(code, 0) * x[j] +
               trit_t3x5_digit(code, 1) * x[64 + j] +
               trit_t3x5_digit(code, 2) * x[128 + j];
      }
    }
    acc += trit_i2s_block_dot(w + groups * 40, q + groups * 192, cols % 192);
    dots[r - row_begin] = acc;
  }
}

TRIT_DEFINE_TILE_BY_ROWS(trit_t3x5_dot_tile_generic,
                         trit_t3x5_dot_rows_generic)

void trit_t3x5x64_dot_rows_generic(const uint8_t *weights, const int8_t *q,
                                   int64_t cols, int64_t row_begin,
                                   int64_t row_end, int32_t *dots) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    int32_t acc = 0;
    for (int64_t c = 0; c < cols; ++c)
      acc += trit_t3x5x64_weight(weights, cols, r, c) * q[c];
    dots[r - row_begin] = acc;
  }
}
TRIT_DEFINE_TILE_BY_ROWS(trit_t3x5x64_dot_tile_generic,
                         trit_t3x5x64_dot_rows_generic)

/* The definition of the lookup-table tile (kernels.h), one row and token
 * at a time. */
void trit_t3x5_lut_dot_tile_generic(const uint8_t *weights, const int8_t *q,
                                    int64_t cols, int64_t row_begin,
                                    int64_t row_end, int64_t tokens,
                                    int32_t *dots, int64_t stride) {
  int64_t groups = cols / 192, row_bytes = trit_t3x5_row_bytes(cols);
  for (int64_t t = 0; t < tokens; ++t) {
    const int8_t *x = q + t * cols;
    int32_t M = 0, lut_sum = 0;
    for (int64_t k = 0; k < groups * 192; ++k)
      lut_sum += x[k];
    for (int64_t g = 0; g < groups; ++g)
      for (int j = 0; j < 64; ++j) {
        const int8_t *a = x + g * 192 + j;
        int32_t s = (a[0] < 0 ? -a[0] : a[0]) + (a[64] < 0 ? -a[64] : a[64]) +
                    (a[128] < 0 ? -a[128] : a[128]);
        M = s > M ? s : M;
      }
    int32_t m = trit_lut_multiplier(M);
    float unscale = trit_lut_unscale(m);
    for (int64_t r = row_begin; r < row_end; ++r) {
      const uint8_t *w = weights + r * row_bytes;
      int32_t S = 0;
      for (int64_t g = 0; g < groups; ++g)
        for (int j = 0; j < 64; ++j) {
          unsigned code = trit_t3x5_code(w, groups, g, j);
          unsigned index = code & 15;
          if (index == 0 || index > 13)
            continue;
          const int8_t *a = x + g * 192 + j;
          int32_t E = 0;
          for (int d = 0; d < 3; ++d)
            E += (trit_t3x5_digit(index, d) - 1) * a[64 * d];
          int32_t e = trit_lut_entry(E, m);
          S += code & 16 ? -e : e;
        }
      dots[t * stride + r - row_begin] =
          trit_lut_rescale(S, unscale) + lut_sum +
          trit_i2s_block_dot(w + groups * 40, x + groups * 192, cols % 192);
    }
  }
}

/* The same over T3X5 with rows in lanes: that layout's triples (columns
 * 12Q + t, + 4, + 8, zero past the row), no exact tail. */
void trit_t3x5x64_lut_dot_tile_generic(const uint8_t *weights,
                                       const int8_t *q, int64_t cols,
                                       int64_t row_begin, int64_t row_end,
                                       int64_t tokens, int32_t *dots,
                                       int64_t stride) {
  int64_t quads = (cols + 23) / 24 * 2;
  for (int64_t t = 0; t < tokens; ++t) {
    const int8_t *x = q + t * cols;
    int32_t M = 0, lut_sum = 0;
    for (int64_t k = 0; k < cols; ++k)
      lut_sum += x[k];
    for (int64_t quad = 0; quad < quads; ++quad)
      for (int j = 0; j < 4; ++j) {
        int32_t s = 0;
        for (int d = 0; d < 3; ++d) {
          int64_t c = 12 * quad + 4 * d + j;
          s += c < cols ? (x[c] < 0 ? -x[c] : x[c]) : 0;
        }
        M = s > M ? s : M;
      }
    int32_t m = trit_lut_multiplier(M);
    float unscale = trit_lut_unscale(m);
    for (int64_t r = row_begin; r < row_end; ++r) {
      int32_t S = 0;
      for (int64_t quad = 0; quad < quads; ++quad)
        for (int j = 0; j < 4; ++j) {
          unsigned code = trit_t3x5x64_code(weights, cols, r, quad, j);
          unsigned index = code & 15;
          if (index == 0 || index > 13)
            continue;
          int32_t E = 0;
          for (int d = 0; d < 3; ++d) {
            int64_t c = 12 * quad + 4 * d + j;
            E += (trit_t3x5_digit(index, d) - 1) * (c < cols ? x[c] : 0);
          }
          int32_t e = trit_lut_entry(E, m);
          S += code & 16 ? -e : e;
        }
      dots[t * stride + r - row_begin] = trit_lut_rescale(S, unscale) + lut_sum;
    }
  }
}

/*===--- T2G: group-scaled ternary (kernels.h) ----------------------------===*/

void trit_q8_0_quantize_row_generic(const float *x, int64_t cols, int8_t *q,
                                    float *d, int32_t *sums) {
  for (int64_t b = 0; b < cols / 32; ++b) {
    const float *xb = x + b * 32;
    float amax = 0.0f;
    for (int k = 0; k < 32; ++k) {
      float a = __builtin_fabsf(xb[k]);
      amax = a > amax ? a : amax;
    }
    float db = amax / 127.0f;
    float id = db != 0.0f ? 1.0f / db : 0.0f;
    int32_t s = 0;
    for (int k = 0; k < 32; ++k) {
      int32_t v = trit_round_half_away(xb[k] * id);
      q[b * 32 + k] = (int8_t)v;
      s += v;
    }
    d[b] = trit_half_to_float(trit_float_to_half(db));
    sums[b] = s;
  }
}

void trit_t2g_gemm_generic(const uint8_t *weights, const int8_t *q,
                           const float *q_d, const int32_t *q_sums,
                           int64_t cols, int64_t group, int64_t row_begin,
                           int64_t row_end, int64_t tokens, float *out,
                           int64_t stride) {
  int64_t blocks = cols / 32, per_group = group / 32;
  for (int64_t t = 0; t < tokens; ++t) {
    const int8_t *x = q + t * cols;
    for (int64_t r = row_begin; r < row_end; ++r) {
      float sumf = 0.0f;
      for (int64_t g = 0; g < cols / group; ++g) {
        float sumi = 0.0f;
        for (int64_t k = g * per_group; k < (g + 1) * per_group; ++k) {
          int32_t dot = 0;
          for (int64_t c = k * 32; c < k * 32 + 32; ++c)
            dot += trit_t2g_code(weights, cols, group, r, c) * x[c];
          sumi += q_d[t * blocks + k] * (float)(dot - q_sums[t * blocks + k]);
        }
        sumf +=
            trit_half_to_float(trit_t2g_scale(weights, cols, group, r, g)) *
            sumi;
      }
      out[t * stride + r] = sumf;
    }
  }
}

void trit_t2g_row_generic(const uint8_t *weights, int64_t cols, int64_t group,
                          int64_t row, float *out) {
  for (int64_t c = 0; c < cols; ++c)
    out[c] = (float)(trit_t2g_code(weights, cols, group, row, c) - 1) *
             trit_half_to_float(
                 trit_t2g_scale(weights, cols, group, row, c / group));
}

#define TRIT_ISA generic
#include "ops.h"
