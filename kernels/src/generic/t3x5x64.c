/*===- t3x5x64.c - T3X5, rows in lanes, in portable C ---------------------===*
 *
 * The row dots and tile of T3X5 with 64 rows in lanes (kernels.h defines the
 * layout), one weight at a time: the reference of the AVX-512 VBMI kernels.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

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
