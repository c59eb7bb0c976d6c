/*===- t2g.c - T2G kernels for NEON dotprod -------------------------------===*
 *
 * Group-scaled ternary (kernels.h) times Q8_0 activations in ggml's generic
 * order: the generic kernel's bits.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

#include <arm_neon.h>

/* One token against a 16-row superblock: a chunk's 64 bytes are four
 * quads of 4 rows; per 4-column step s, sdot by lane s of the chunk's 16
 * activations adds four columns to each row's lane. Then ggml's order
 * (kernels.h). */
static inline void t2g_superblock_token(const uint8_t *sb, const int8_t *x,
                                        const float *q_d,
                                        const int32_t *q_sums, int64_t cols,
                                        int64_t group, float32x4_t *sums) {
  const uint8x16_t three = vdupq_n_u8(3);
  const uint8_t *codes = sb + trit_t2g_codes_offset(cols, group);
  int64_t per_group = group / 32;
  for (int j = 0; j < 4; ++j)
    sums[j] = vdupq_n_f32(0.0f);
  for (int64_t g = 0; g < cols / group; ++g) {
    float32x4_t sumi[4];
    for (int j = 0; j < 4; ++j)
      sumi[j] = vdupq_n_f32(0.0f);
    for (int64_t k = g * per_group; k < (g + 1) * per_group; ++k) {
      int32x4_t acc[4];
      for (int j = 0; j < 4; ++j)
        acc[j] = vdupq_n_s32(0);
      TRIT_MCA_BEGIN("t2g_gemm/512");
      for (int c2 = 0; c2 < 2; ++c2) {
        int64_t chunk = 2 * k + c2;
        __builtin_prefetch(codes + chunk * 64 + 4096);
        int8x16_t a = vld1q_s8(x + chunk * 16);
        for (int j = 0; j < 4; ++j) {
          uint8x16_t v = vld1q_u8(codes + chunk * 64 + 16 * j);
          acc[j] = vdotq_laneq_s32(acc[j],
                                   vreinterpretq_s8_u8(vandq_u8(v, three)), a,
                                   0);
          acc[j] = vdotq_laneq_s32(
              acc[j], vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(v, 2), three)),
              a, 1);
          acc[j] = vdotq_laneq_s32(
              acc[j], vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(v, 4), three)),
              a, 2);
          acc[j] = vdotq_laneq_s32(
              acc[j], vreinterpretq_s8_u8(vshrq_n_u8(v, 6)), a, 3);
        }
      }
      TRIT_MCA_END("t2g_gemm/512", acc[0]);
      float32x4_t da = vdupq_n_f32(q_d[k]);
      int32x4_t qs = vdupq_n_s32(q_sums[k]);
      for (int j = 0; j < 4; ++j)
        sumi[j] = vaddq_f32(
            sumi[j], vmulq_f32(da, vcvtq_f32_s32(vsubq_s32(acc[j], qs))));
    }
    for (int j = 0; j < 4; ++j) {
      float16x4_t h = vreinterpret_f16_u16(
          vld1_u16((const uint16_t *)(sb + g * 32 + 8 * j)));
      sums[j] = vaddq_f32(sums[j], vmulq_f32(vcvt_f32_f16(h), sumi[j]));
    }
  }
}

void trit_t2g_gemm_neon_dotprod(const uint8_t *weights, const int8_t *q,
                                const float *q_d, const int32_t *q_sums,
                                int64_t cols, int64_t group,
                                int64_t row_begin, int64_t row_end,
                                int64_t tokens, float *out, int64_t stride) {
  int64_t sb_bytes = trit_t2g_superblock_bytes(cols, group);
  int64_t blocks = cols / 32;
  for (int64_t r0 = row_begin; r0 < row_end; r0 += 16) {
    const uint8_t *sb = weights + r0 / 16 * sb_bytes;
    int64_t valid = row_end - r0 < 16 ? row_end - r0 : 16;
    for (int64_t t = 0; t < tokens; ++t) {
      float32x4_t sums[4];
      t2g_superblock_token(sb, q + t * cols, q_d + t * blocks,
                           q_sums + t * blocks, cols, group, sums);
      float lanes[16];
      for (int j = 0; j < 4; ++j)
        vst1q_f32(lanes + 4 * j, sums[j]);
      for (int64_t l = 0; l < valid; ++l)
        out[t * stride + r0 + l] = lanes[l];
    }
  }
}
