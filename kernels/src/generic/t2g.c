/*===- t2g.c - T2G kernels in portable C (the reference) ------------------===*
 *
 * Group-scaled ternary (Ternary Bonsai; kernels.h defines the layout): the
 * GEMM with Q8_0 activations in ggml's generic order, one weight at a time,
 * and one row read back for the embedding.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

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
