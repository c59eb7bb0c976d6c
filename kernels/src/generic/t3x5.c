/*===- t3x5.c - T3X5 kernels in portable C (the reference) ----------------===*
 *
 * The T3X5 row dots and tile (kernels.h defines the layout), one code at a
 * time.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

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
