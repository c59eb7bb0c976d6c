/*===- t3x5_lut.c - lookup-table tiles in portable C ----------------------===*
 *
 * The definitions of tritc --prompt-lut's approximate T3X5 tiles (kernels.h),
 * for rows one after another and for rows in lanes, one row and token at a
 * time: the reference of the AVX-512 VBMI tiles.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

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
