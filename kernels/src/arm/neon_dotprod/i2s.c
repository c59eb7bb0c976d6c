/*===- i2s.c - I2_S kernels for NEON dotprod ------------------------------===*
 *
 * The I2_S row dots, tile and GEMV. sdot multiplies signed bytes and
 * accumulates groups of four into int32 lanes. The codes 0..2 are valid signed
 * bytes, so codes x activations is exact with sdot (usdot would need the i8mm
 * extension). A 128-weight block is two 16-byte halves; each half yields 16
 * codes for each quarter.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

#include <arm_neon.h>

void trit_i2s_dot_rows_neon_dotprod(const uint8_t *weights, const int8_t *q,
                                    int64_t cols, int64_t row_begin,
                                    int64_t row_end, int32_t *dots) {
  const uint8x16_t mask = vdupq_n_u8(3);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * (cols / 4);
    int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
    int32x4_t acc2 = vdupq_n_s32(0), acc3 = vdupq_n_s32(0);
    for (int64_t b = 0; b < cols / 128; ++b) {
      TRIT_MCA_BEGIN("i2s_dot_rows/128");
      const int8_t *x = q + b * 128;
      for (int h = 0; h < 2; ++h) {
        uint8x16_t packed = vld1q_u8(w + b * 32 + 16 * h);
        acc0 = vdotq_s32(acc0, vreinterpretq_s8_u8(vshrq_n_u8(packed, 6)),
                         vld1q_s8(x + 16 * h));
        acc1 = vdotq_s32(
            acc1, vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(packed, 4), mask)),
            vld1q_s8(x + 32 + 16 * h));
        acc2 = vdotq_s32(
            acc2, vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(packed, 2), mask)),
            vld1q_s8(x + 64 + 16 * h));
        acc3 = vdotq_s32(acc3, vreinterpretq_s8_u8(vandq_u8(packed, mask)),
                         vld1q_s8(x + 96 + 16 * h));
      }
      TRIT_MCA_END4("i2s_dot_rows/128", acc0, acc1, acc2, acc3);
    }
    dots[r - row_begin] =
        vaddvq_s32(vaddq_s32(vaddq_s32(acc0, acc1), vaddq_s32(acc2, acc3)));
  }
}

/* One row against T tokens: each 16-byte half of a block is unpacked once
 * into four code registers and multiplied with every token's activations;
 * two accumulators per token. */
static inline __attribute__((always_inline)) void
dot_row_tokens(const uint8_t *w, const int8_t *q, int64_t cols, int T,
               int32_t *dots, int64_t stride) {
  const uint8x16_t mask = vdupq_n_u8(3);
  int32x4_t a[4], b[4];
  for (int t = 0; t < T; ++t)
    a[t] = b[t] = vdupq_n_s32(0);
  for (int64_t blk = 0; blk < cols / 128; ++blk)
    for (int h = 0; h < 2; ++h) {
      uint8x16_t packed = vld1q_u8(w + blk * 32 + 16 * h);
      int8x16_t c0 = vreinterpretq_s8_u8(vshrq_n_u8(packed, 6));
      int8x16_t c1 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(packed, 4), mask));
      int8x16_t c2 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(packed, 2), mask));
      int8x16_t c3 = vreinterpretq_s8_u8(vandq_u8(packed, mask));
      for (int t = 0; t < T; ++t) {
        const int8_t *x = q + t * cols + blk * 128 + 16 * h;
        a[t] = vdotq_s32(a[t], c0, vld1q_s8(x));
        b[t] = vdotq_s32(b[t], c1, vld1q_s8(x + 32));
        a[t] = vdotq_s32(a[t], c2, vld1q_s8(x + 64));
        b[t] = vdotq_s32(b[t], c3, vld1q_s8(x + 96));
      }
    }
  for (int t = 0; t < T; ++t)
    dots[t * stride] = vaddvq_s32(vaddq_s32(a[t], b[t]));
}

TRIT_DEFINE_BITLINEAR_GEMV(neon_dotprod)
TRIT_DEFINE_DOT_TILE_BY_ROW_TOKENS(neon_dotprod)
