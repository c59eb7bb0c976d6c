/*===- q8_0.c - Q8_0 quantization in portable C ---------------------------===*
 *
 * ggml's quantize_row_q8_0_ref (kernels.h): the activations of the T2G
 * BitLinears.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

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
