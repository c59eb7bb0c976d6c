/*===- i2s.c - I2_S kernels in portable C (the reference) -----------------===*
 *
 * bitnet.cpp's activation quantization (quantize_row_i8_s) and the I2_S row
 * dots, tile and GEMV (kernels.h), one weight at a time: the integers every
 * instruction set's I2_S kernels compute.
 *===----------------------------------------------------------------------===*/

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
