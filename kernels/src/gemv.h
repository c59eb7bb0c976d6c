/*===- gemv.h - the BitLinear GEMV shared by every instruction set --------===*
 *
 * The numerics contract lives here once: bitnet.cpp's I2_S output
 * ((float)(dot - q_sum)) / q_scale * w_scale, in f32, left to right. Each ISA
 * file defines its dot-product kernel and instantiates the GEMV with
 * TRIT_DEFINE_BITLINEAR_GEMV(isa).
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_KERNELS_SRC_GEMV_H
#define TRIT_KERNELS_SRC_GEMV_H

#include "trit/kernels.h"

static inline float trit_bitlinear_output(int32_t dot, int32_t q_sum,
                                          float q_scale, float w_scale) {
  return (float)(dot - q_sum) / q_scale * w_scale;
}

#define TRIT_DEFINE_BITLINEAR_GEMV(isa)                                        \
  void trit_bitlinear_gemv_##isa(const uint8_t *weights, const int8_t *q,      \
                                 int32_t q_sum, float q_scale, float w_scale,  \
                                 int64_t cols, int64_t row_begin,              \
                                 int64_t row_end, float *out) {                \
    for (int64_t r = row_begin; r < row_end; ++r) {                            \
      int32_t dot;                                                             \
      trit_i2s_dot_rows_##isa(weights, q, cols, r, r + 1, &dot);               \
      out[r - row_begin] = trit_bitlinear_output(dot, q_sum, q_scale, w_scale);\
    }                                                                          \
  }

/* The dot-product tile as repeated row dot products, for instruction sets
 * without a kernel that shares the unpacked weights between tokens. */
#define TRIT_DEFINE_DOT_TILE_BY_ROWS(isa)                                      \
  void trit_i2s_dot_tile_##isa(const uint8_t *weights, const int8_t *q,        \
                               int64_t cols, int64_t row_begin,                \
                               int64_t row_end, int64_t tokens,                \
                               int32_t *dots) {                                \
    for (int64_t t = 0; t < tokens; ++t)                                       \
      trit_i2s_dot_rows_##isa(weights, q + t * cols, cols, row_begin, row_end, \
                              dots + t * (row_end - row_begin));               \
  }

/* The dot tile from a kernel of one row against T tokens that the ISA file
 * defines as dot_row_tokens(w, q, cols, T, dots, stride): tokens in groups
 * of up to four (T a constant in each call, so its loops unroll), a last
 * single token through the row dot. Always inlined into each generated
 * range function, so the shapes are constants. */
#define TRIT_DEFINE_DOT_TILE_BY_ROW_TOKENS(isa)                                \
  __attribute__((always_inline)) void trit_i2s_dot_tile_##isa(                 \
      const uint8_t *weights, const int8_t *q, int64_t cols,                   \
      int64_t row_begin, int64_t row_end, int64_t tokens, int32_t *dots) {     \
    int64_t rows = row_end - row_begin, t = 0;                                 \
    while (tokens - t >= 2) {                                                  \
      int T = tokens - t >= 4 ? 4 : (int)(tokens - t);                         \
      for (int64_t r = row_begin; r < row_end; ++r) {                          \
        const uint8_t *w = weights + r * (cols / 4);                           \
        int32_t *d = dots + t * rows + (r - row_begin);                        \
        switch (T) {                                                           \
        case 4: dot_row_tokens(w, q + t * cols, cols, 4, d, rows); break;      \
        case 3: dot_row_tokens(w, q + t * cols, cols, 3, d, rows); break;      \
        default: dot_row_tokens(w, q + t * cols, cols, 2, d, rows); break;     \
        }                                                                      \
      }                                                                        \
      t += T;                                                                  \
    }                                                                          \
    for (; t < tokens; ++t)                                                    \
      trit_i2s_dot_rows_##isa(weights, q + t * cols, cols, row_begin,          \
                              row_end, dots + t * rows);                       \
  }

#endif /* TRIT_KERNELS_SRC_GEMV_H */
